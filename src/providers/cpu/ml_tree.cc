// TreeEnsemble (ai.onnx.ml opset 5, CPU). The nodes_* / leaf_* arrays are checked and flattened once when the
// kernel is created (indices in range, trees acyclic, one NaN-delimited membership set per BRANCH_MEMBER node in
// the order of nodes_modes); run() walks every tree for every row in double precision, aggregates the reached
// leaves per target (SUM, AVERAGE, MIN, MAX; a target that no leaf reached gets 0 under MIN and MAX, as in
// onnxruntime) and applies post_transform (NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO, PROBIT as onnxruntime defines
// them; ONNX's reference implementation ignores post_transform).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "common/half.h"
#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/ml_kernels.h"

namespace kiln::cpu {
namespace {

enum class Mode : uint8_t { Leq = 0, Lt = 1, Gte = 2, Gt = 3, Eq = 4, Neq = 5, Member = 6 };
enum class Aggregate { Average = 0, Sum = 1, Min = 2, Max = 3 };
enum class Post { None = 0, Softmax = 1, Logistic = 2, SoftmaxZero = 3, Probit = 4 };

struct TreeNode {
    Mode mode;
    bool missing_true;
    int64_t feature;
    double split;
    int64_t member_begin = 0, member_end = 0;  // into members_ (BRANCH_MEMBER)
    int64_t next[2];                           // [false, true]: >= 0 a node index, < 0 a leaf (~leaf index)
};

// erfinv(x) for x in (-1, 1): Giles' approximation refined by two Newton steps.
double erfinv(double x) {
    if (x <= -1) return -std::numeric_limits<double>::infinity();
    if (x >= 1) return std::numeric_limits<double>::infinity();
    double w = -std::log((1.0 - x) * (1.0 + x)), p;
    if (w < 5.0) {
        w -= 2.5;
        p = 2.81022636e-08;
        for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
                         0.246640727, 1.50140941})
            p = c + p * w;
    } else {
        w = std::sqrt(w) - 3.0;
        p = -0.000200214257;
        for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                         1.00167406, 2.83297682})
            p = c + p * w;
    }
    double y = p * x;
    for (int i = 0; i < 2; ++i) y -= (std::erf(y) - x) / (2.0 / std::sqrt(std::numbers::pi) * std::exp(-y * y));
    return y;
}

class TreeEnsembleKernel : public Kernel {
  public:
    explicit TreeEnsembleKernel(const ir::Node& node) {
        const std::string who = node.describe();
        std::vector<int64_t> features = node.attr_ints("nodes_featureids");
        std::vector<int64_t> modes = ops::tensor_to_int64s(node.attr("nodes_modes").t);
        std::vector<double> splits = ops::tensor_to_doubles(node.attr("nodes_splits").t);
        std::vector<int64_t> true_ids = node.attr_ints("nodes_truenodeids");
        std::vector<int64_t> false_ids = node.attr_ints("nodes_falsenodeids");
        std::vector<int64_t> true_leafs = node.attr_ints("nodes_trueleafs");
        std::vector<int64_t> false_leafs = node.attr_ints("nodes_falseleafs");
        std::vector<int64_t> missing = node.attr_ints("nodes_missing_value_tracks_true");
        size_t count = features.size();
        KILN_CHECK(modes.size() == count && splits.size() == count && true_ids.size() == count &&
                       false_ids.size() == count && true_leafs.size() == count && false_leafs.size() == count &&
                       (missing.empty() || missing.size() == count),
                   InvalidModel, who, ": the nodes_* attributes differ in length");

        targets_ = leaf_target_count(node);
        leaf_targets_ = node.attr_ints("leaf_targetids");
        leaf_weights_ = ops::tensor_to_doubles(node.attr("leaf_weights").t);
        int64_t leaves = static_cast<int64_t>(leaf_weights_.size());
        KILN_CHECK(static_cast<int64_t>(leaf_targets_.size()) == leaves, InvalidModel, who,
                   ": leaf_targetids and leaf_weights differ in length");
        for (int64_t t : leaf_targets_)
            KILN_CHECK(t >= 0 && t < targets_, InvalidModel, who, ": leaf target ", t, " is outside [0, ", targets_,
                       ")");

        std::vector<double> members;
        if (const ir::Attribute* a = node.find_attribute("membership_values")) members = ops::tensor_to_doubles(a->t);
        size_t member_pos = 0;
        nodes_.resize(count);
        for (size_t i = 0; i < count; ++i) {
            TreeNode& n = nodes_[i];
            KILN_CHECK(modes[i] >= 0 && modes[i] <= 6, InvalidModel, who, ": node ", i, " has unknown mode ", modes[i]);
            n.mode = static_cast<Mode>(modes[i]);
            n.feature = features[i];
            KILN_CHECK(n.feature >= 0, InvalidModel, who, ": node ", i, " has negative feature id ", n.feature);
            n.split = splits[i];
            n.missing_true = !missing.empty() && missing[i] != 0;
            for (int side = 0; side < 2; ++side) {
                int64_t id = side ? true_ids[i] : false_ids[i];
                bool leaf = (side ? true_leafs[i] : false_leafs[i]) != 0;
                int64_t limit = leaf ? leaves : static_cast<int64_t>(count);
                KILN_CHECK(id >= 0 && id < limit, InvalidModel, who, ": node ", i, " points to ",
                           leaf ? "leaf " : "node ", id, " of ", limit);
                n.next[side] = leaf ? ~id : id;
            }
            if (n.mode == Mode::Member) {
                n.member_begin = static_cast<int64_t>(member_pos);
                while (member_pos < members.size() && !std::isnan(members[member_pos])) ++member_pos;
                KILN_CHECK(member_pos < members.size(), InvalidModel, who,
                           ": membership_values has no NaN-terminated set for BRANCH_MEMBER node ", i);
                n.member_end = static_cast<int64_t>(member_pos++);  // past the NaN delimiter
            }
        }
        members_ = std::move(members);

        for (int64_t r : node.attr_ints("tree_roots")) {
            KILN_CHECK(r >= 0 && r < static_cast<int64_t>(count), InvalidModel, who, ": tree root ", r,
                       " is outside the ", count, " nodes");
            const TreeNode& n = nodes_[r];
            // A single-leaf tree: both branches name the same leaf.
            roots_.push_back(n.next[0] < 0 && n.next[0] == n.next[1] ? n.next[0] : r);
        }
        KILN_CHECK(!roots_.empty(), InvalidModel, who, ": tree_roots is empty");
        check_acyclic(who);

        int64_t aggregate = node.attr_int("aggregate_function", 1);
        KILN_CHECK(aggregate >= 0 && aggregate <= 3, InvalidModel, who, ": aggregate_function ", aggregate,
                   " is not 0..3");
        aggregate_ = static_cast<Aggregate>(aggregate);
        int64_t post = node.attr_int("post_transform", 0);
        KILN_CHECK(post >= 0 && post <= 4, InvalidModel, who, ": post_transform ", post, " is not 0..4");
        post_ = static_cast<Post>(post);
    }

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        DType t = xt.dtype();
        KILN_CHECK(t == DType::Float || t == DType::Double || t == DType::Float16, NotImplemented, ctx.node.describe(),
                   ": input dtype ", dtype_name(t), " is not supported");
        int64_t rows = xt.rank() == 2 ? xt.shape()[0] : 1;
        int64_t features = xt.shape().empty() ? 1 : xt.shape().back();
        KILN_CHECK(max_feature_ < features, InvalidArgument, ctx.node.describe(), ": feature id ", max_feature_,
                   " is out of range for X with ", features, " features");
        std::vector<double> x = ops::tensor_to_doubles(xt);
        std::vector<double> y(rows * targets_);
        parallel_for(
            rows, ctx.threads,
            [&](int64_t r0, int64_t r1) {
                std::vector<char> hit(targets_);
                for (int64_t r = r0; r < r1; ++r) predict(x.data() + r * features, y.data() + r * targets_, hit);
            },
            static_cast<int64_t>(roots_.size()) * 16);
        Tensor& out = *ctx.output(0);
        int64_t n = out.element_count();
        switch (out.dtype()) {
            case DType::Float:
                for (int64_t i = 0; i < n; ++i) out.data<float>()[i] = static_cast<float>(y[i]);
                break;
            case DType::Double:
                std::copy_n(y.begin(), n, out.data<double>());
                break;
            default:
                for (int64_t i = 0; i < n; ++i) out.data<uint16_t>()[i] = float_to_half(static_cast<float>(y[i]));
        }
    }

  private:
    static int64_t leaf_target_count(const ir::Node& node) {
        int64_t n = node.attr_int("n_targets", -1);
        if (n >= 0) return n;
        std::vector<int64_t> ids = node.attr_ints("leaf_targetids");
        return ids.empty() ? 1 : *std::max_element(ids.begin(), ids.end()) + 1;
    }

    // InvalidModel when a tree loops back on itself; records the largest feature id in use.
    void check_acyclic(const std::string& who) {
        std::vector<char> state(nodes_.size(), 0);  // 0 unseen, 1 on the stack, 2 done
        for (int64_t root : roots_) {
            if (root < 0 || state[root] == 2) continue;
            std::vector<std::pair<int64_t, int>> stack{{root, 0}};
            state[root] = 1;
            while (!stack.empty()) {
                auto& [id, side] = stack.back();
                if (side == 2) {
                    state[id] = 2;
                    max_feature_ = std::max(max_feature_, nodes_[id].feature);
                    stack.pop_back();
                    continue;
                }
                int64_t next = nodes_[id].next[side++];
                if (next < 0 || state[next] == 2) continue;
                KILN_CHECK(state[next] == 0, InvalidModel, who, ": the tree through node ", next, " has a cycle");
                state[next] = 1;
                stack.push_back({next, 0});
            }
        }
    }

    bool compare(const TreeNode& n, double v) const {
        if (std::isnan(v) && n.missing_true) return true;
        switch (n.mode) {
            case Mode::Leq:
                return v <= n.split;
            case Mode::Lt:
                return v < n.split;
            case Mode::Gte:
                return v >= n.split;
            case Mode::Gt:
                return v > n.split;
            case Mode::Eq:
                return v == n.split;
            case Mode::Neq:
                return v != n.split;
            case Mode::Member:
                for (int64_t k = n.member_begin; k < n.member_end; ++k)
                    if (members_[k] == v) return true;
                return false;
        }
        return false;
    }

    void predict(const double* x, double* y, std::vector<char>& hit) const {
        bool extreme = aggregate_ == Aggregate::Min || aggregate_ == Aggregate::Max;
        std::fill(y, y + targets_, 0.0);
        std::fill(hit.begin(), hit.end(), 0);
        for (int64_t id : roots_) {
            while (id >= 0) {
                const TreeNode& n = nodes_[id];
                id = n.next[compare(n, x[n.feature]) ? 1 : 0];
            }
            int64_t leaf = ~id;
            int64_t t = leaf_targets_[leaf];
            double w = leaf_weights_[leaf];
            if (!extreme) {
                y[t] += w;
            } else if (!hit[t]) {
                y[t] = w;
            } else {
                y[t] = aggregate_ == Aggregate::Min ? std::min(y[t], w) : std::max(y[t], w);
            }
            hit[t] = 1;
        }
        if (aggregate_ == Aggregate::Average)
            for (int64_t t = 0; t < targets_; ++t) y[t] /= static_cast<double>(roots_.size());
        transform(y);
    }

    void transform(double* y) const {
        switch (post_) {
            case Post::None:
                return;
            case Post::Logistic:
                for (int64_t t = 0; t < targets_; ++t) y[t] = 1.0 / (1.0 + std::exp(-y[t]));
                return;
            case Post::Probit:
                for (int64_t t = 0; t < targets_; ++t) y[t] = std::sqrt(2.0) * erfinv(2.0 * y[t] - 1.0);
                return;
            case Post::Softmax:
            case Post::SoftmaxZero: {
                bool zero = post_ == Post::SoftmaxZero;
                double mx = -std::numeric_limits<double>::infinity();
                for (int64_t t = 0; t < targets_; ++t) mx = std::max(mx, y[t]);
                double sum = 0;
                for (int64_t t = 0; t < targets_; ++t) {
                    if (zero && std::fabs(y[t]) <= 1e-7) {
                        y[t] = 0;
                        continue;
                    }
                    y[t] = std::exp(y[t] - mx);
                    sum += y[t];
                }
                if (sum > 0)
                    for (int64_t t = 0; t < targets_; ++t) y[t] /= sum;
                return;
            }
        }
    }

    std::vector<TreeNode> nodes_;
    std::vector<double> members_;
    std::vector<int64_t> roots_;  // node index, or ~leaf for single-leaf trees
    std::vector<int64_t> leaf_targets_;
    std::vector<double> leaf_weights_;
    int64_t targets_ = 1;
    int64_t max_feature_ = -1;
    Aggregate aggregate_ = Aggregate::Sum;
    Post post_ = Post::None;
};

}  // namespace

std::unique_ptr<Kernel> create_tree_ensemble(const ir::Node& node) {
    return std::make_unique<TreeEnsembleKernel>(node);
}

}  // namespace kiln::cpu
