// CPU kernels for NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (onnx/reference/ops/op_*_loss.py).
// Input [N, C, d1, ...], target [N, d1, ...] (int32 / int64) with class indices in [0, C) or ignore_index,
// optional weight [C]. reduction none: per-element loss; sum; mean: sum(w * loss) / sum(w) over the elements
// that are not ignored (w = weight[target] or 1). Computes in float with double accumulators.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/transformer_kernels.h"

namespace kiln::cpu {
namespace {

class LossKernel : public Kernel {
  public:
    explicit LossKernel(const ir::Node& node)
        : softmax_(node.op == OpKind::SoftmaxCrossEntropyLoss),
          has_ignore_(node.has_attribute("ignore_index")),
          ignore_(node.attr_int("ignore_index", 0)),
          reduction_(node.attr_string("reduction", "mean")) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& tt = *ctx.input(1);
        const Tensor* wt = ctx.input(2);
        DType d = xt.dtype();
        KILN_CHECK(d == DType::Float || d == DType::Double || d == DType::Float16 || d == DType::BFloat16,
                   NotImplemented, node.describe(), ": input dtype ", dtype_name(d), " is not supported");
        const Shape& xs = xt.shape();
        const int64_t n = xs[0], c = xs[1];
        const int64_t inner = n * c > 0 ? xt.element_count() / (n * c) : 0;
        std::vector<int64_t> target = ops::tensor_to_int64s(tt);
        KILN_CHECK(static_cast<int64_t>(target.size()) == n * inner, InvalidArgument, node.describe(), ": target ",
                   shape_to_string(tt.shape()), " does not match input ", shape_to_string(xs));
        if (wt)
            KILN_CHECK(wt->element_count() == c, InvalidArgument, node.describe(), ": weight ",
                       shape_to_string(wt->shape()), " must have ", c, " elements");
        for (size_t i = 0; i < target.size(); ++i) {
            if (has_ignore_ && target[i] == ignore_) continue;
            KILN_CHECK(target[i] >= 0 && target[i] < c, InvalidArgument, node.describe(), ": target[", i,
                       "] = ", target[i], " is outside [0, ", c, ")");
        }
        FloatView x(&xt), w(wt);

        // Log-probabilities: the input itself for NLL, log_softmax over axis 1 for SCE.
        const float* logp = x.data();
        std::vector<float> log_softmax;
        if (softmax_) {
            log_softmax.resize(xt.element_count());
            parallel_for(
                n * inner, ctx.threads,
                [&](int64_t p0, int64_t p1) {
                    for (int64_t p = p0; p < p1; ++p) {
                        const int64_t b = p / inner, s = p % inner;
                        const float* xp = x.data() + b * c * inner + s;
                        float* lp = log_softmax.data() + b * c * inner + s;
                        float mx = -std::numeric_limits<float>::infinity();
                        for (int64_t k = 0; k < c; ++k) mx = std::max(mx, xp[k * inner]);
                        double sum = 0;
                        for (int64_t k = 0; k < c; ++k) sum += std::exp(static_cast<double>(xp[k * inner]) - mx);
                        float lse = static_cast<float>(std::log(sum)) + mx;
                        for (int64_t k = 0; k < c; ++k) lp[k * inner] = xp[k * inner] - lse;
                    }
                },
                c * 8);
            logp = log_softmax.data();
        }

        std::vector<float> loss(n * inner);
        double total = 0, weight_sum = 0;
        for (int64_t b = 0; b < n; ++b) {
            for (int64_t s = 0; s < inner; ++s) {
                const int64_t i = b * inner + s, t = target[i];
                if (has_ignore_ && t == ignore_) continue;
                const float wv = wt ? w.data()[t] : 1.f;
                loss[i] = -logp[(b * c + t) * inner + s] * wv;
                total += loss[i];
                weight_sum += wv;
            }
        }
        FloatOut out(*ctx.output(0));
        if (reduction_ == "none") {
            std::copy(loss.begin(), loss.end(), out.data());
        } else if (reduction_ == "sum") {
            out.data()[0] = static_cast<float>(total);
        } else {
            out.data()[0] = static_cast<float>(total / weight_sum);
        }
        out.finish();
        if (Tensor* lp = ctx.output(1)) {
            KILN_CHECK(softmax_, InvalidModel, node.describe(), ": has no second output");
            FloatOut o(*lp);
            std::copy(logp, logp + xt.element_count(), o.data());
            o.finish();
        }
    }

  private:
    bool softmax_;
    bool has_ignore_;
    int64_t ignore_;
    std::string reduction_;
};

}  // namespace

std::unique_ptr<Kernel> create_loss_kernel(const ir::Node& node) {
    std::string reduction = node.attr_string("reduction", "mean");
    KILN_CHECK(reduction == "none" || reduction == "sum" || reduction == "mean", InvalidModel, node.describe(),
               ": unknown reduction '", reduction, "'");
    return std::make_unique<LossKernel>(node);
}

}  // namespace kiln::cpu
