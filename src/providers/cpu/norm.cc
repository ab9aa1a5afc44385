// CPU kernels of the Norm family (see op_list.inc): BatchNormalization (inference), InstanceNormalization,
// LayerNormalization, LpNormalization, Softmax / LogSoftmax / Hardmax (per-axis, opset 13 meaning). Computes in
// float (float32 in place; float16, bfloat16 and double converted) with double accumulators for statistics.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/broadcast.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/vec_math.h"

namespace kiln::cpu {
namespace {

void check_dtype(const ir::Node& node, DType t) {
    KILN_CHECK(t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16, NotImplemented,
               node.describe(), ": ", node.op_type, " on ", dtype_name(t), " is not implemented");
}

class BatchNormKernel : public Kernel {
  public:
    explicit BatchNormKernel(const ir::Node& node)
        : epsilon_(node.attr_float("epsilon", 1e-5f)),
          momentum_(node.attr_float("momentum", 0.9f)),
          training_(node.attr_int("training_mode", 0) != 0) {
        size_t extra = 0;
        for (size_t i = 1; i < node.outputs.size(); ++i) extra += node.outputs[i] != nullptr;
        KILN_CHECK(training_ || extra == 0, InvalidModel, node.describe(),
                   ": running_mean / running_var outputs require training_mode=1");
    }

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        check_dtype(ctx.node, xt.dtype());
        FloatView x(&xt), scale(ctx.input(1)), bias(ctx.input(2)), mean(ctx.input(3)), var(ctx.input(4));
        FloatOut y(*ctx.output(0));
        const Shape& xs = xt.shape();
        KILN_CHECK(!xs.empty(), InvalidArgument, ctx.node.describe(), ": X must have rank >= 1");
        const int64_t n = xs[0], c = xs.size() > 1 ? xs[1] : 1;
        const int64_t size = n * c > 0 ? xt.element_count() / (n * c) : 0;
        const char* per_channel[] = {"scale", "B", "input_mean", "input_var"};
        for (int k = 1; k <= 4; ++k) {
            const Tensor* t = ctx.input(k);
            KILN_CHECK(t, InvalidArgument, ctx.node.describe(), ": ", per_channel[k - 1], " is missing");
            KILN_CHECK(t->element_count() == c, InvalidArgument, ctx.node.describe(), ": ", per_channel[k - 1], " ",
                       shape_to_string(t->shape()), " does not match ", c, " channels");
        }
        // Training mode normalises with the batch's own statistics (population variance over N and the spatial
        // dims) and outputs the updated running statistics, as the ONNX reference does.
        std::vector<float> batch_mean, batch_var;
        if (training_) batch_statistics(x.data(), n, c, size, batch_mean, batch_var);
        const float* use_mean = training_ ? batch_mean.data() : mean.data();
        const float* use_var = training_ ? batch_var.data() : var.data();
        std::vector<float> a(c), b(c);
        for (int64_t i = 0; i < c; ++i) {
            a[i] = scale.data()[i] / std::sqrt(use_var[i] + epsilon_);
            b[i] = bias.data()[i] - use_mean[i] * a[i];
        }
        if (training_) {
            const float* running[] = {mean.data(), var.data()};
            const float* batch[] = {batch_mean.data(), batch_var.data()};
            for (size_t k = 0; k < 2; ++k) {
                Tensor* out = ctx.output(1 + k);
                if (!out) continue;
                FloatOut o(*out);
                for (int64_t i = 0; i < c; ++i) o.data()[i] = running[k][i] * momentum_ + batch[k][i] * (1 - momentum_);
                o.finish();
            }
        }
        parallel_for(
            n * c, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                    const float* xp = x.data() + p * size;
                    float* yp = y.data() + p * size;
                    float av = a[p % c], bv = b[p % c];
                    for (int64_t i = 0; i < size; ++i) yp[i] = xp[i] * av + bv;
                }
            },
            size);
        y.finish();
    }

  private:
    // Per-channel mean and population variance of x [n, c, size].
    static void batch_statistics(const float* x, int64_t n, int64_t c, int64_t size, std::vector<float>& mean,
                                 std::vector<float>& var) {
        mean.assign(c, 0.f);
        var.assign(c, 0.f);
        double count = static_cast<double>(n * size);
        if (count == 0) return;
        for (int64_t ch = 0; ch < c; ++ch) {
            double sum = 0, sq = 0;
            for (int64_t b = 0; b < n; ++b) {
                const float* p = x + (b * c + ch) * size;
                for (int64_t i = 0; i < size; ++i) sum += p[i];
            }
            double m = sum / count;
            for (int64_t b = 0; b < n; ++b) {
                const float* p = x + (b * c + ch) * size;
                for (int64_t i = 0; i < size; ++i) sq += (p[i] - m) * (p[i] - m);
            }
            mean[ch] = static_cast<float>(m);
            var[ch] = static_cast<float>(sq / count);
        }
    }

    float epsilon_;
    float momentum_;
    bool training_;
};

// sum(x[i]), or sum((x[i] - center)^2) when `squares`, over sixteen float partial sums (vectorised) combined in
// double.
double lane_sum(const float* x, int64_t n, float center, bool squares) {
    constexpr int kLanes = 16;
    float part[kLanes] = {};
    int64_t i = 0;
    if (squares) {
        for (; i + kLanes <= n; i += kLanes)
            for (int l = 0; l < kLanes; ++l) part[l] += (x[i + l] - center) * (x[i + l] - center);
    } else {
        for (; i + kLanes <= n; i += kLanes)
            for (int l = 0; l < kLanes; ++l) part[l] += x[i + l];
    }
    double s = 0;
    for (; i < n; ++i) s += squares ? static_cast<double>(x[i] - center) * (x[i] - center) : x[i];
    for (int l = 0; l < kLanes; ++l) s += part[l];
    return s;
}

// Normalises `rows` rows of `size` elements: y = (x - mean) / sqrt(var + eps) * scale[i] + bias[i], with per-row
// scale / bias when `per_row` (InstanceNormalization: one value per channel) or per-element otherwise.
void normalize_rows(const float* x, float* y, int64_t rows, int64_t size, float epsilon, const float* scale,
                    const float* bias, bool per_row, int64_t channels, float* mean_out, float* inv_out, int threads) {
    parallel_for(
        rows, threads,
        [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
                const float* xr = x + r * size;
                float* yr = y + r * size;
                double mean = size ? lane_sum(xr, size, 0.f, false) / static_cast<double>(size) : 0.0;
                double var =
                    size ? lane_sum(xr, size, static_cast<float>(mean), true) / static_cast<double>(size) : 0.0;
                float inv = static_cast<float>(1.0 / std::sqrt(var + epsilon));
                float m = static_cast<float>(mean);
                if (mean_out) mean_out[r] = m;
                if (inv_out) inv_out[r] = inv;
                if (per_row) {
                    int64_t ch = r % channels;
                    float a = inv * scale[ch], b = bias ? bias[ch] : 0.f;
                    for (int64_t i = 0; i < size; ++i) yr[i] = (xr[i] - m) * a + b;
                } else {
                    if (bias) {
                        for (int64_t i = 0; i < size; ++i) yr[i] = (xr[i] - m) * inv * scale[i] + bias[i];
                    } else {
                        for (int64_t i = 0; i < size; ++i) yr[i] = (xr[i] - m) * inv * scale[i];
                    }
                }
            }
        },
        size * 4);
}

class InstanceNormKernel : public Kernel {
  public:
    explicit InstanceNormKernel(const ir::Node& node) : epsilon_(node.attr_float("epsilon", 1e-5f)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        check_dtype(ctx.node, xt.dtype());
        FloatView x(&xt), scale(ctx.input(1)), bias(ctx.input(2));
        FloatOut y(*ctx.output(0));
        const Shape& xs = xt.shape();
        const int64_t rows = xs[0] * xs[1];
        const int64_t size = rows ? xt.element_count() / rows : 0;
        normalize_rows(x.data(), y.data(), rows, size, epsilon_, scale.data(), bias.data(), true, xs[1], nullptr,
                       nullptr, ctx.threads);
        y.finish();
    }

  private:
    float epsilon_;
};

class LayerNormKernel : public Kernel {
  public:
    explicit LayerNormKernel(const ir::Node& node)
        : axis_(node.attr_int("axis", -1)), epsilon_(node.attr_float("epsilon", 1e-5f)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        check_dtype(node, xt.dtype());
        const Shape& xs = xt.shape();
        int64_t axis = ops::normalize_axis(node, axis_, static_cast<int64_t>(xs.size()));
        Shape norm_shape(xs.begin() + axis, xs.end());
        int64_t size = 1;
        for (int64_t d : norm_shape) size *= d;
        int64_t rows = size ? xt.element_count() / size : 0;
        FloatView x(&xt), scale(ctx.input(1)), bias(ctx.input(2));
        std::vector<float> s = broadcast_floats(ctx.node, scale.data(), ctx.input(1)->shape(), norm_shape, "scale");
        std::vector<float> b;
        if (ctx.input(2)) b = broadcast_floats(ctx.node, bias.data(), ctx.input(2)->shape(), norm_shape, "bias");
        FloatOut y(*ctx.output(0));
        std::vector<float> mean(rows), inv(rows);
        normalize_rows(x.data(), y.data(), rows, size, epsilon_, s.data(), b.empty() ? nullptr : b.data(), false, 1,
                       mean.data(), inv.data(), ctx.threads);
        y.finish();
        const std::vector<float>* stats[] = {&mean, &inv};
        for (int o = 1; o <= 2; ++o) {
            Tensor* t = ctx.output(o);
            if (!t) continue;
            switch (t->dtype()) {
                case DType::Float:
                    std::copy(stats[o - 1]->begin(), stats[o - 1]->end(), t->data<float>());
                    break;
                case DType::Double:
                    std::copy(stats[o - 1]->begin(), stats[o - 1]->end(), t->data<double>());
                    break;
                case DType::Float16:
                    for (int64_t i = 0; i < rows; ++i) t->data<uint16_t>()[i] = float_to_half((*stats[o - 1])[i]);
                    break;
                case DType::BFloat16:
                    for (int64_t i = 0; i < rows; ++i) t->data<uint16_t>()[i] = float_to_bf16((*stats[o - 1])[i]);
                    break;
                default:
                    fail(ErrorCode::NotImplemented, node.describe(), ": stash_type ", dtype_name(t->dtype()),
                         " is not implemented");
            }
        }
    }

  private:
    int64_t axis_;
    float epsilon_;
};

// Softmax of one contiguous row. Sixteen partial maxima / sums keep the reductions vectorised; exp_approx is
// within 2 ulp of expf.
void softmax_row(const float* x, float* y, int64_t n) {
    constexpr int kLanes = 16;
    float part[kLanes];
    std::fill(part, part + kLanes, -std::numeric_limits<float>::infinity());
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
        for (int l = 0; l < kLanes; ++l) part[l] = std::max(part[l], x[j + l]);
    float mx = -std::numeric_limits<float>::infinity();
    for (; j < n; ++j) mx = std::max(mx, x[j]);
    for (int l = 0; l < kLanes; ++l) mx = std::max(mx, part[l]);
    for (j = 0; j < n; ++j) y[j] = exp_approx(x[j] - mx);
    std::fill(part, part + kLanes, 0.f);
    for (j = 0; j + kLanes <= n; j += kLanes)
        for (int l = 0; l < kLanes; ++l) part[l] += y[j + l];
    double sum = 0;
    for (; j < n; ++j) sum += y[j];
    for (int l = 0; l < kLanes; ++l) sum += part[l];
    const float inv = static_cast<float>(1.0 / sum);
    for (j = 0; j < n; ++j) y[j] *= inv;
}

// Softmax, LogSoftmax, Hardmax and LpNormalization: one reduction along `axis` per (outer, inner) position.
class AxisKernel : public Kernel {
  public:
    explicit AxisKernel(const ir::Node& node)
        : op_(node.op), axis_(node.attr_int("axis", -1)), p_(node.attr_int("p", 2)) {
        if (op_ == OpKind::LpNormalization)
            KILN_CHECK(p_ == 1 || p_ == 2, InvalidModel, node.describe(), ": p must be 1 or 2, got ", p_);
    }

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        check_dtype(ctx.node, xt.dtype());
        const Shape& xs = xt.shape();
        FloatView x(&xt);
        FloatOut y(*ctx.output(0));
        if (xt.element_count() == 0) return;
        if (xs.empty()) {  // scalar: a single element along the (virtual) axis
            float v = x.data()[0];
            y.data()[0] = op_ == OpKind::LogSoftmax        ? 0.f
                          : op_ == OpKind::LpNormalization ? (v == 0.f ? 0.f : v / std::fabs(v))
                                                           : 1.f;
            y.finish();
            return;
        }
        int64_t axis = ops::normalize_axis(ctx.node, axis_, static_cast<int64_t>(xs.size()));
        int64_t outer = 1, inner = 1, n = xs[axis];
        for (int64_t d = 0; d < axis; ++d) outer *= xs[d];
        for (size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
        parallel_for(
            outer * inner, ctx.threads,
            [&](int64_t q0, int64_t q1) {
                for (int64_t q = q0; q < q1; ++q) {
                    int64_t o = q / inner, i = q % inner;
                    const float* xp = x.data() + o * n * inner + i;
                    float* yp = y.data() + o * n * inner + i;
                    reduce_one(xp, yp, n, inner);
                }
            },
            n * 8);
        y.finish();
    }

  private:
    void reduce_one(const float* x, float* y, int64_t n, int64_t stride) const {
        if (op_ == OpKind::Softmax && stride == 1) {
            softmax_row(x, y, n);
            return;
        }
        switch (op_) {
            case OpKind::Softmax:
            case OpKind::LogSoftmax: {
                float mx = -std::numeric_limits<float>::infinity();
                for (int64_t j = 0; j < n; ++j) mx = std::max(mx, x[j * stride]);
                double sum = 0;
                for (int64_t j = 0; j < n; ++j) {
                    float e = std::exp(x[j * stride] - mx);
                    if (op_ == OpKind::Softmax) y[j * stride] = e;
                    sum += e;
                }
                if (op_ == OpKind::Softmax) {
                    float inv = static_cast<float>(1.0 / sum);
                    for (int64_t j = 0; j < n; ++j) y[j * stride] *= inv;
                } else {
                    float lse = static_cast<float>(std::log(sum));
                    for (int64_t j = 0; j < n; ++j) y[j * stride] = x[j * stride] - mx - lse;
                }
                break;
            }
            case OpKind::Hardmax: {
                int64_t best = 0;
                for (int64_t j = 1; j < n; ++j)
                    if (x[j * stride] > x[best * stride]) best = j;
                for (int64_t j = 0; j < n; ++j) y[j * stride] = j == best ? 1.f : 0.f;
                break;
            }
            default: {  // LpNormalization
                double norm = 0;
                for (int64_t j = 0; j < n; ++j) {
                    double v = x[j * stride];
                    norm += p_ == 1 ? std::fabs(v) : v * v;
                }
                if (p_ == 2) norm = std::sqrt(norm);
                for (int64_t j = 0; j < n; ++j)
                    y[j * stride] = norm == 0 ? 0.f : static_cast<float>(x[j * stride] / norm);
                break;
            }
        }
    }

    OpKind op_;
    int64_t axis_;
    int64_t p_;
};

}  // namespace

std::unique_ptr<Kernel> create_Norm(const ir::Node& node) {
    switch (node.op) {
        case OpKind::BatchNormalization:
            return std::make_unique<BatchNormKernel>(node);
        case OpKind::InstanceNormalization:
            return std::make_unique<InstanceNormKernel>(node);
        case OpKind::LayerNormalization:
            return std::make_unique<LayerNormKernel>(node);
        default:
            return std::make_unique<AxisKernel>(node);
    }
}

}  // namespace kiln::cpu
