// CPU kernels of the Transformer family (see op_list.inc). This file: the factory and the normalisations
// (RMSNormalization, GroupNormalization, LRN, MeanVarianceNormalization) and the elementwise Shrink and Swish.
// Attention / RotaryEmbedding live in transformer_attention.cc, the losses in transformer_loss.cc. Float kernels
// compute in float (float32 in place; float16, bfloat16 and double converted) with double accumulators.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/broadcast.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/transformer_kernels.h"

namespace kiln::cpu {
namespace {

void check_float(const ir::Node& node, const Tensor* t, const char* what) {
    if (!t) return;
    DType d = t->dtype();
    KILN_CHECK(d == DType::Float || d == DType::Double || d == DType::Float16 || d == DType::BFloat16, NotImplemented,
               node.describe(), ": ", what, " dtype ", dtype_name(d), " is not supported");
}

class ShrinkKernel : public Kernel {
  public:
    explicit ShrinkKernel(const ir::Node& node)
        : bias_(node.attr_float("bias", 0.f)), lambd_(node.attr_float("lambd", 0.5f)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        Tensor& yt = *ctx.output(0);
        const int64_t n = xt.element_count();
        dispatch_dtype<kNumericTypes>(xt.dtype(), ctx.node, [&](auto traits) {
            using Tr = decltype(traits);
            using S = typename Tr::Storage;
            using C = typename Tr::Compute;
            // Integers compare and subtract in double (lambd / bias are floats), then convert back.
            using W = std::conditional_t<std::is_floating_point_v<C>, C, double>;
            const S* x = xt.data<S>();
            S* y = yt.data<S>();
            const W lambd = static_cast<W>(lambd_), bias = static_cast<W>(bias_);
            parallel_for(n, ctx.threads, [&](int64_t i0, int64_t i1) {
                for (int64_t i = i0; i < i1; ++i) {
                    W v = static_cast<W>(Tr::load(x[i]));
                    W r = v < -lambd ? v + bias : (v > lambd ? v - bias : W(0));
                    y[i] = Tr::store(static_cast<C>(r));
                }
            });
        });
    }

  private:
    float bias_, lambd_;
};

class SwishKernel : public Kernel {
  public:
    explicit SwishKernel(const ir::Node& node) : alpha_(node.attr_float("alpha", 1.f)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        Tensor& yt = *ctx.output(0);
        const int64_t n = xt.element_count();
        dispatch_dtype<kFloatTypes>(xt.dtype(), ctx.node, [&](auto traits) {
            using Tr = decltype(traits);
            using S = typename Tr::Storage;
            using C = typename Tr::Compute;
            const S* x = xt.data<S>();
            S* y = yt.data<S>();
            const C alpha = static_cast<C>(alpha_);
            parallel_for(n, ctx.threads, [&](int64_t i0, int64_t i1) {
                for (int64_t i = i0; i < i1; ++i) {
                    C v = Tr::load(x[i]);
                    y[i] = Tr::store(v / (C(1) + exp_of<C>(-alpha * v)));
                }
            });
        });
    }

  private:
    float alpha_;
};

// RMSNormalization: Y = X / sqrt(mean(X^2 over axes [axis, rank)) + epsilon) * scale.
class RmsNormKernel : public Kernel {
  public:
    explicit RmsNormKernel(const ir::Node& node)
        : axis_(node.attr_int("axis", -1)), epsilon_(node.attr_float("epsilon", 1e-5f)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& st = *ctx.input(1);
        check_float(node, &xt, "X");
        check_float(node, &st, "scale");
        const Shape& xs = xt.shape();
        int64_t axis = ops::normalize_axis(node, axis_, static_cast<int64_t>(xs.size()));
        Shape norm_shape(xs.begin() + axis, xs.end());
        int64_t size = 1;
        for (int64_t d : norm_shape) size *= d;
        const int64_t rows = size ? xt.element_count() / size : 0;
        FloatView x(&xt), s(&st);
        std::vector<float> scale = broadcast_floats(node, s.data(), st.shape(), norm_shape, "scale");
        FloatOut y(*ctx.output(0));
        parallel_for(
            rows, ctx.threads,
            [&](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) {
                    const float* xr = x.data() + r * size;
                    float* yr = y.data() + r * size;
                    double sq = 0;
                    for (int64_t i = 0; i < size; ++i) sq += static_cast<double>(xr[i]) * xr[i];
                    float inv = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(size) + epsilon_));
                    for (int64_t i = 0; i < size; ++i) yr[i] = xr[i] * inv * scale[i];
                }
            },
            size * 4);
        y.finish();
    }

  private:
    int64_t axis_;
    float epsilon_;
};

// GroupNormalization (opset 21): statistics per (n, group) over C / G channels and the spatial dims; per-channel
// scale and bias.
class GroupNormKernel : public Kernel {
  public:
    explicit GroupNormKernel(const ir::Node& node)
        : groups_(node.attr(std::string("num_groups")).i), epsilon_(node.attr_float("epsilon", 1e-5f)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        check_float(node, &xt, "X");
        check_float(node, ctx.input(1), "scale");
        check_float(node, ctx.input(2), "bias");
        const Shape& xs = xt.shape();
        const int64_t n = xs[0], c = xs[1];
        const int64_t spatial = n * c > 0 ? xt.element_count() / (n * c) : 0;
        KILN_CHECK(ctx.input(1)->element_count() == c && ctx.input(2)->element_count() == c, InvalidArgument,
                   node.describe(), ": scale ", shape_to_string(ctx.input(1)->shape()), " and bias ",
                   shape_to_string(ctx.input(2)->shape()), " must have one value per channel (", c, ")");
        const int64_t per_group = c / groups_;
        const int64_t size = per_group * spatial;
        FloatView x(&xt), scale(ctx.input(1)), bias(ctx.input(2));
        FloatOut y(*ctx.output(0));
        parallel_for(
            n * groups_, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                    const float* xp = x.data() + p * size;
                    float* yp = y.data() + p * size;
                    double sum = 0;
                    for (int64_t i = 0; i < size; ++i) sum += xp[i];
                    double mean = size ? sum / static_cast<double>(size) : 0.0;
                    double var = 0;
                    for (int64_t i = 0; i < size; ++i) var += (xp[i] - mean) * (xp[i] - mean);
                    var = size ? var / static_cast<double>(size) : 0.0;
                    float inv = static_cast<float>(1.0 / std::sqrt(var + epsilon_));
                    float m = static_cast<float>(mean);
                    const int64_t c0 = (p % groups_) * per_group;
                    for (int64_t k = 0; k < per_group; ++k) {
                        float a = inv * scale.data()[c0 + k], b = bias.data()[c0 + k];
                        const float* xc = xp + k * spatial;
                        float* yc = yp + k * spatial;
                        for (int64_t i = 0; i < spatial; ++i) yc[i] = (xc[i] - m) * a + b;
                    }
                }
            },
            size * 4);
        y.finish();
    }

  private:
    int64_t groups_;
    float epsilon_;
};

// LRN: y = x / (bias + alpha / size * sum of x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta.
class LrnKernel : public Kernel {
  public:
    explicit LrnKernel(const ir::Node& node)
        : alpha_(node.attr_float("alpha", 1e-4f)),
          beta_(node.attr_float("beta", 0.75f)),
          bias_(node.attr_float("bias", 1.f)),
          size_(node.attr(std::string("size")).i) {}

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        check_float(ctx.node, &xt, "X");
        const Shape& xs = xt.shape();
        const int64_t n = xs[0], c = xs[1];
        const int64_t spatial = n * c > 0 ? xt.element_count() / (n * c) : 0;
        const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
        const float coef = alpha_ / static_cast<float>(size_);
        FloatView x(&xt);
        FloatOut y(*ctx.output(0));
        parallel_for(
            n * c, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                    const int64_t b = p / c, ch = p % c;
                    const int64_t lo = std::max<int64_t>(0, ch - before), hi = std::min<int64_t>(c - 1, ch + after);
                    const float* xp = x.data() + p * spatial;
                    float* yp = y.data() + p * spatial;
                    for (int64_t i = 0; i < spatial; ++i) {
                        float sq = 0.f;
                        for (int64_t k = lo; k <= hi; ++k) {
                            float v = x.data()[(b * c + k) * spatial + i];
                            sq += v * v;
                        }
                        yp[i] = xp[i] / std::pow(bias_ + coef * sq, beta_);
                    }
                }
            },
            spatial * size_ * 2);
        y.finish();
    }

  private:
    float alpha_, beta_, bias_;
    int64_t size_;
};

// MeanVarianceNormalization: y = (x - mean) / (sqrt(mean(x^2) - mean^2) + 1e-9), statistics over `axes`.
class MvnKernel : public Kernel {
  public:
    explicit MvnKernel(const ir::Node& node) : axes_(node.attr_ints("axes", {0, 2, 3})) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        check_float(node, &xt, "X");
        const Shape& xs = xt.shape();
        const int64_t rank = static_cast<int64_t>(xs.size());
        std::vector<bool> reduced(rank, false);
        for (int64_t a : axes_) reduced[ops::normalize_axis(node, a, rank)] = true;
        // Slot strides: each element's statistics slot is its index over the kept dims.
        std::vector<int64_t> slot_stride(rank, 0);
        int64_t slots = 1;
        for (int64_t d = rank; d-- > 0;) {
            if (reduced[d]) continue;
            slot_stride[d] = slots;
            slots *= xs[d];
        }
        const int64_t total = xt.element_count();
        const int64_t count = slots ? total / slots : 0;
        std::vector<int64_t> slot_of(total);
        std::vector<int64_t> idx(rank, 0);
        for (int64_t i = 0; i < total; ++i) {
            int64_t s = 0;
            for (int64_t d = 0; d < rank; ++d) s += idx[d] * slot_stride[d];
            slot_of[i] = s;
            for (int64_t d = rank; d-- > 0;) {
                if (++idx[d] < xs[d]) break;
                idx[d] = 0;
            }
        }
        FloatView x(&xt);
        std::vector<double> sum(slots, 0.0), sum_sq(slots, 0.0);
        for (int64_t i = 0; i < total; ++i) {
            double v = x.data()[i];
            sum[slot_of[i]] += v;
            sum_sq[slot_of[i]] += v * v;
        }
        std::vector<float> mean(slots), inv(slots);
        for (int64_t s = 0; s < slots; ++s) {
            double m = sum[s] / static_cast<double>(count);
            double var = std::max(0.0, sum_sq[s] / static_cast<double>(count) - m * m);
            mean[s] = static_cast<float>(m);
            inv[s] = static_cast<float>(1.0 / (std::sqrt(var) + 1e-9));
        }
        FloatOut y(*ctx.output(0));
        parallel_for(total, ctx.threads, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; ++i) y.data()[i] = (x.data()[i] - mean[slot_of[i]]) * inv[slot_of[i]];
        });
        y.finish();
    }

  private:
    std::vector<int64_t> axes_;
};

}  // namespace

std::unique_ptr<Kernel> create_Transformer(const ir::Node& node) {
    switch (node.op) {
        case OpKind::Attention:
            return create_attention_kernel(node);
        case OpKind::RotaryEmbedding:
            return create_rotary_kernel(node);
        case OpKind::FlexAttention:
            return create_flex_attention_kernel(node);
        case OpKind::NegativeLogLikelihoodLoss:
        case OpKind::SoftmaxCrossEntropyLoss:
            return create_loss_kernel(node);
        case OpKind::RMSNormalization:
            return std::make_unique<RmsNormKernel>(node);
        case OpKind::GroupNormalization:
            return std::make_unique<GroupNormKernel>(node);
        case OpKind::LRN:
            return std::make_unique<LrnKernel>(node);
        case OpKind::MeanVarianceNormalization:
            return std::make_unique<MvnKernel>(node);
        case OpKind::Shrink:
            return std::make_unique<ShrinkKernel>(node);
        case OpKind::Swish:
            return std::make_unique<SwishKernel>(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Transformer-family op");
    }
}

}  // namespace kiln::cpu
