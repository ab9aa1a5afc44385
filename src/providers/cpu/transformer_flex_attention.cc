// CPU kernel of FlexAttention (ai.onnx.preview, onnx/reference/ops/aionnx_preview/op_flex_attention.py): rank-4
// Q [B, Hq, L, E], K [B, Hkv, S, E], V [B, Hkv, S, Ev]; query head h reads K/V head h / (Hq / Hkv).
// scores = (Q sqrt(scale)) (K sqrt(scale))^T, then the optional score_mod subgraph, a softmax over S, the optional
// prob_mod subgraph and probs V. The arithmetic is in double; the tensors handed to the subgraphs have the
// softmax precision's dtype (softmax_precision, else float32, or double for double inputs), as in the reference.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/double_values.h"
#include "providers/cpu/evaluate.h"
#include "providers/cpu/transformer_kernels.h"

namespace kiln::cpu {
namespace {

// A tensor of dtype `d` holding `v`.
Tensor tensor_of(const ir::Node& node, DType d, const Shape& shape, const std::vector<double>& v) {
    Tensor t(d, shape);
    store_values(node, t, v);
    return t;
}

class FlexAttentionKernel : public Kernel {
  public:
    explicit FlexAttentionKernel(const ir::Node& node) {
        if (const ir::Attribute* a = node.find_attribute("scale")) scale_ = std::make_unique<float>(a->f);
        if (node.has_attribute("softmax_precision")) {
            int64_t p = node.attr_int("softmax_precision", 0);
            KILN_CHECK(dtype_is_valid(static_cast<int32_t>(p)) && is_float_dtype(static_cast<DType>(p)), InvalidModel,
                       node.describe(), ": softmax_precision ", p, " is not float, float16, bfloat16 or double");
            precision_ = static_cast<DType>(p);
        }
        for (const char* key : {"score_mod", "prob_mod"}) {
            const ir::Attribute* a = node.find_attribute(key);
            if (!a) continue;
            KILN_CHECK(a->kind == ir::Attribute::Kind::Graph && a->g, InvalidModel, node.describe(), ": attribute '",
                       key, "' must be a graph");
            KILN_CHECK(a->g->inputs().size() == 1 && a->g->outputs().size() == 1, InvalidModel, node.describe(),
                       ": subgraph '", key, "' must have one input and one output, not ", a->g->inputs().size(),
                       " and ", a->g->outputs().size());
            (key[0] == 's' ? score_mod_ : prob_mod_) = a->g.get();
        }
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& q = *ctx.input(0);
        const Tensor& k = *ctx.input(1);
        const Tensor& v = *ctx.input(2);
        for (const Tensor* t : {&q, &k, &v})
            KILN_CHECK(is_float_dtype(t->dtype()), NotImplemented, node.describe(), ": dtype ", dtype_name(t->dtype()),
                       " is not supported");
        const Shape& qs = q.shape();
        const Shape& ks = k.shape();
        const Shape& vs = v.shape();
        const int64_t batch = qs[0], hq = qs[1], len = qs[2], e = qs[3];
        const int64_t hkv = ks[1], s = ks[2], ev = vs[3];
        const int64_t group = hq / hkv;

        const DType in = q.dtype();
        const DType compute = precision_ != DType::Undefined ? precision_
                              : in == DType::Double          ? DType::Double
                                                             : DType::Float;
        // sqrt(scale) in float32, rounded to the input type; Q and K are scaled (and rounded) before the product.
        const float sc = scale_ ? *scale_ : static_cast<float>(1.0 / std::sqrt(static_cast<double>(e)));
        const double root = round_to_precision(std::sqrt(sc), in);
        std::vector<double> qd = ops::tensor_to_doubles(q), kd = ops::tensor_to_doubles(k);
        const std::vector<double> vd = ops::tensor_to_doubles(v);
        for (double& x : qd) x = round_to_precision(x * root, in);
        for (double& x : kd) x = round_to_precision(x * root, in);

        const Shape score_shape{batch, hq, len, s};
        std::vector<double> scores(static_cast<size_t>(batch * hq * len * s));
        parallel_for(
            batch * hq, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                    const int64_t b = p / hq, h = p % hq, kh = h / group;
                    const double* qp = qd.data() + p * len * e;
                    const double* kp = kd.data() + (b * hkv + kh) * s * e;
                    double* out = scores.data() + p * len * s;
                    for (int64_t i = 0; i < len; ++i)
                        for (int64_t j = 0; j < s; ++j) {
                            double acc = 0;
                            for (int64_t c = 0; c < e; ++c) acc += qp[i * e + c] * kp[j * e + c];
                            out[i * s + j] = round_to_precision(acc, compute);
                        }
                }
            },
            len * s * e);

        if (score_mod_) scores = apply_mod(*score_mod_, "score_mod", node, compute, score_shape, scores, ctx.threads);

        for (size_t r = 0; r < scores.size(); r += static_cast<size_t>(s)) {
            double* row = scores.data() + r;
            double mx = -INFINITY;
            for (int64_t j = 0; j < s; ++j) mx = std::max(mx, row[j]);
            double sum = 0;
            for (int64_t j = 0; j < s; ++j) sum += row[j] = std::exp(row[j] - mx);
            for (int64_t j = 0; j < s; ++j) row[j] = round_to_precision(row[j] / sum, compute);
        }

        if (prob_mod_) scores = apply_mod(*prob_mod_, "prob_mod", node, compute, score_shape, scores, ctx.threads);

        std::vector<double> y(static_cast<size_t>(batch * hq * len * ev));
        for (int64_t p = 0; p < batch * hq; ++p) {
            const int64_t b = p / hq, kh = (p % hq) / group;
            const double* pp = scores.data() + p * len * s;
            const double* vp = vd.data() + (b * hkv + kh) * s * ev;
            double* out = y.data() + p * len * ev;
            for (int64_t i = 0; i < len; ++i)
                for (int64_t j = 0; j < s; ++j) {
                    const double w = pp[i * s + j];
                    for (int64_t c = 0; c < ev; ++c) out[i * ev + c] += w * round_to_precision(vp[j * ev + c], compute);
                }
        }
        store_values(ctx.node, *ctx.output(0), y);
    }

  private:
    // Runs a modifier subgraph on `values` (as a `dtype` tensor of `shape`); its output must keep the shape.
    static std::vector<double> apply_mod(const ir::Graph& graph, const char* key, const ir::Node& node, DType dtype,
                                         const Shape& shape, const std::vector<double>& values, int threads) {
        const std::string what = str(key, " of ", node.describe());
        std::vector<Tensor> out = evaluate_graph(graph, {tensor_of(node, dtype, shape, values)}, threads, what);
        KILN_CHECK(out.size() == 1 && out[0].shape() == shape, InvalidArgument, what, ": output must have shape ",
                   shape_to_string(shape), ", got ", out.empty() ? "none" : shape_to_string(out[0].shape()));
        KILN_CHECK(is_float_dtype(out[0].dtype()), InvalidArgument, what, ": output dtype ", dtype_name(out[0].dtype()),
                   " is not a float type");
        std::vector<double> result = ops::tensor_to_doubles(out[0]);
        for (double& x : result) x = round_to_precision(x, dtype);
        return result;
    }

    std::unique_ptr<float> scale_;
    DType precision_ = DType::Undefined;
    const ir::Graph* score_mod_ = nullptr;
    const ir::Graph* prob_mod_ = nullptr;
};

}  // namespace

std::unique_ptr<Kernel> create_flex_attention_kernel(const ir::Node& node) {
    return std::make_unique<FlexAttentionKernel>(node);
}

}  // namespace kiln::cpu
