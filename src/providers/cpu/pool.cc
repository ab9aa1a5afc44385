// CPU kernels of the Pool family (see op_list.inc): MaxPool (optional int64 Indices, storage_order), AveragePool
// (count_include_pad), LpPool and the Global* pools, 1-D/2-D/3-D. Computes in float (float32 in place; float16,
// double and int8 / uint8 for MaxPool converted).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/parallel.h"
#include "ops/conv_window.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/im2col.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

enum class PoolKind { Max, Average, Lp };

PoolKind pool_kind(OpKind op) {
    switch (op) {
        case OpKind::MaxPool:
        case OpKind::GlobalMaxPool:
            return PoolKind::Max;
        case OpKind::AveragePool:
        case OpKind::GlobalAveragePool:
            return PoolKind::Average;
        default:
            return PoolKind::Lp;
    }
}

void check_dtype(const ir::Node& node, DType t, PoolKind kind) {
    bool ok = t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16 ||
              (kind == PoolKind::Max && (t == DType::Int8 || t == DType::UInt8));
    KILN_CHECK(ok, NotImplemented, node.describe(), ": ", node.op_type, " on ", dtype_name(t), " is not implemented");
}

class GlobalPoolKernel : public Kernel {
  public:
    explicit GlobalPoolKernel(const ir::Node& node) : kind_(pool_kind(node.op)), p_(node.attr_int("p", 2)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        Tensor& yt = *ctx.output(0);
        check_dtype(ctx.node, xt.dtype(), kind_);
        const int64_t planes = xt.shape()[0] * xt.shape()[1];
        const int64_t size = planes ? xt.element_count() / planes : 0;
        FloatView x(&xt);
        FloatOut y(yt);
        parallel_for(
            planes, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                    const float* xp = x.data() + p * size;
                    float r = 0.f;
                    if (kind_ == PoolKind::Max) {
                        r = -std::numeric_limits<float>::infinity();
                        for (int64_t i = 0; i < size; ++i) r = std::max(r, xp[i]);
                    } else if (kind_ == PoolKind::Average) {
                        double s = 0;
                        for (int64_t i = 0; i < size; ++i) s += xp[i];
                        r = static_cast<float>(s / static_cast<double>(size));
                    } else {
                        double s = 0;
                        for (int64_t i = 0; i < size; ++i) s += std::pow(std::fabs(xp[i]), static_cast<double>(p_));
                        r = static_cast<float>(std::pow(s, 1.0 / static_cast<double>(p_)));
                    }
                    y.data()[p] = r;
                }
            },
            size);
        y.finish();
    }

  private:
    PoolKind kind_;
    int64_t p_;
};

// The kernel taps k in [0, kernel) of one dim for an output whose first tap is at `start` (tap k at start + k *
// dilation): [lo, hi) read the input; the first `counted` lie before the end padding (what count_include_pad
// divides by). Found directly, so that a kernel far larger than the input costs what the input costs (a MaxPool
// kernel of 35 million, found by model_loader_fuzz, ran for minutes).
struct TapRange {
    int64_t lo, hi, counted;
};

TapRange tap_range(int64_t start, int64_t kernel, int64_t dilation, int64_t in, int64_t pad_end) {
    auto first_reaching = [&](int64_t bound) {  // the first k with start + k * dilation >= bound, at most kernel
        if (start >= bound) return int64_t{0};
        return std::min(kernel, (bound - start + dilation - 1) / dilation);
    };
    int64_t lo = first_reaching(0);
    return {lo, std::max(lo, first_reaching(in)), first_reaching(in + pad_end)};
}

// 2-D max pooling of one plane without dilation: for each kernel tap, one pass over the output row's valid
// columns (a vectorisable max). in / out / k / s / pb are {height, width} pairs.
void max_pool_plane(const float* x, float* y, const int64_t* in, const int64_t* out, const int64_t* k, const int64_t* s,
                    const int64_t* pb) {
    const int64_t ow_n = out[1], sw = s[1];
    for (int64_t oh = 0; oh < out[0]; ++oh) {
        float* yr = y + oh * ow_n;
        std::fill(yr, yr + ow_n, -std::numeric_limits<float>::infinity());
        TapRange rows = tap_range(oh * s[0] - pb[0], k[0], 1, in[0], 0);
        // Columns: the taps that some output column reads inside the row.
        int64_t kw_lo = std::max<int64_t>(0, pb[1] - (ow_n - 1) * sw), kw_hi = std::min(k[1], pb[1] + in[1]);
        for (int64_t kh = rows.lo; kh < rows.hi; ++kh) {
            int64_t ih = oh * s[0] - pb[0] + kh;
            const float* xr = x + ih * in[1];
            for (int64_t kw = kw_lo; kw < kw_hi; ++kw) {
                const int64_t iw0 = kw - pb[1];  // iw = ow * sw + iw0
                int64_t lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
                int64_t hi = in[1] - iw0 <= 0 ? 0 : std::min(ow_n, (in[1] - iw0 + sw - 1) / sw);
                const float* xs = xr + iw0;
                if (sw == 1) {
                    for (int64_t ow = lo; ow < hi; ++ow) yr[ow] = xs[ow] > yr[ow] ? xs[ow] : yr[ow];
                } else {
                    for (int64_t ow = lo; ow < hi; ++ow) yr[ow] = xs[ow * sw] > yr[ow] ? xs[ow * sw] : yr[ow];
                }
            }
        }
    }
}

class PoolKernel : public Kernel {
  public:
    explicit PoolKernel(const ir::Node& node)
        : kind_(pool_kind(node.op)),
          p_(node.attr_int("p", 2)),
          count_include_pad_(node.attr_int("count_include_pad", 0) != 0),
          storage_order_(node.attr_int("storage_order", 0)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        Tensor& yt = *ctx.output(0);
        Tensor* indices = ctx.output(1);
        check_dtype(node, xt.dtype(), kind_);
        const Shape& xs = xt.shape();
        size_t spatial = xs.size() - 2;
        ops::Window win = ops::read_window(node, spatial, node.attr("kernel_shape").ints);
        for (size_t d = 0; d < spatial; ++d) ops::resolve_window_dim(node, win, d, xs[d + 2]);
        // 3-D padded geometry; leading dims have extent 1.
        size_t off = 3 - spatial;
        int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, dl[3] = {1, 1, 1};
        int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
        for (size_t d = 0; d < spatial; ++d) {
            in[off + d] = xs[d + 2];
            out[off + d] = yt.shape()[d + 2];
            k[off + d] = win.kernel[d];
            s[off + d] = win.strides[d];
            dl[off + d] = win.dilations[d];
            pb[off + d] = win.pads[d];
            pe[off + d] = win.pads[d + spatial];
        }
        const int64_t planes = xs[0] * xs[1];
        const int64_t in_size = in[0] * in[1] * in[2], out_size = out[0] * out[1] * out[2];
        FloatView x(&xt);
        FloatOut y(yt);
        int64_t* idx = indices ? indices->data<int64_t>() : nullptr;
        const double p = static_cast<double>(p_);
        if (kind_ == PoolKind::Max && !idx && xt.dtype() == DType::Float && dl[0] == 1 && dl[1] == 1 && dl[2] == 1 &&
            k[0] == 1 && s[0] == 1 && pb[0] == 0 && out[0] == in[0]) {
            const int64_t plane_in = in[1] * in[2], plane_out = out[1] * out[2];
            parallel_for(
                planes * in[0], ctx.threads,
                [&](int64_t p0, int64_t p1) {
                    for (int64_t q = p0; q < p1; ++q)
                        max_pool_plane(x.data() + q * plane_in, y.data() + q * plane_out, in + 1, out + 1, k + 1, s + 1,
                                       pb + 1);
                },
                plane_out * k[1] * k[2]);
            y.finish();
            return;
        }

        parallel_for(
            planes, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                for (int64_t plane = p0; plane < p1; ++plane) {
                    const float* xp = x.data() + plane * in_size;
                    float* yp = y.data() + plane * out_size;
                    for (int64_t od = 0; od < out[0]; ++od)
                        for (int64_t oh = 0; oh < out[1]; ++oh)
                            for (int64_t ow = 0; ow < out[2]; ++ow) {
                                int64_t o[3] = {od, oh, ow};
                                float best = -std::numeric_limits<float>::infinity();
                                int64_t best_at = -1;
                                double sum = 0;
                                int64_t valid = 0;
                                double padded = 1;  // taps before the end padding: may exceed int64 in 3-D
                                int64_t start[3];
                                TapRange taps[3];
                                for (int d = 0; d < 3; ++d) {
                                    start[d] = o[d] * s[d] - pb[d];
                                    taps[d] = tap_range(start[d], k[d], dl[d], in[d], pe[d]);
                                    padded *= static_cast<double>(taps[d].counted);
                                }
                                for (int64_t kd = taps[0].lo; kd < taps[0].hi; ++kd) {
                                    int64_t id = start[0] + kd * dl[0];
                                    for (int64_t kh = taps[1].lo; kh < taps[1].hi; ++kh) {
                                        int64_t ih = start[1] + kh * dl[1];
                                        for (int64_t kw = taps[2].lo; kw < taps[2].hi; ++kw) {
                                            int64_t iw = start[2] + kw * dl[2];
                                            int64_t at = (id * in[1] + ih) * in[2] + iw;
                                            float v = xp[at];
                                            ++valid;
                                            if (kind_ == PoolKind::Max) {
                                                if (v > best || best_at < 0) {
                                                    best = v;
                                                    best_at = at;
                                                }
                                            } else if (kind_ == PoolKind::Average) {
                                                sum += v;
                                            } else {
                                                sum += std::pow(std::fabs(static_cast<double>(v)), p);
                                            }
                                        }
                                    }
                                }
                                int64_t oi = (od * out[1] + oh) * out[2] + ow;
                                if (kind_ == PoolKind::Max) {
                                    yp[oi] = best;
                                    if (idx) {
                                        int64_t flat = best_at < 0 ? 0 : best_at;
                                        if (storage_order_ != 0 && best_at >= 0) {  // column-major position
                                            int64_t bw = best_at % in[2], bh = (best_at / in[2]) % in[1],
                                                    bd = best_at / (in[2] * in[1]);
                                            flat = bd + bh * in[0] + bw * in[0] * in[1];
                                            if (spatial == 2) flat = bh + bw * in[1];
                                        }
                                        idx[plane * out_size + oi] = plane * in_size + flat;
                                    }
                                } else if (kind_ == PoolKind::Average) {
                                    double count = count_include_pad_ ? padded : static_cast<double>(valid);
                                    yp[oi] = count > 0 ? static_cast<float>(sum / count) : 0.f;
                                } else {
                                    yp[oi] = static_cast<float>(std::pow(sum, 1.0 / p));
                                }
                            }
                }
            },
            out_size * win.kernel.size() * 4);
        y.finish();
    }

  private:
    PoolKind kind_;
    int64_t p_;
    bool count_include_pad_;
    int64_t storage_order_;
};

}  // namespace

std::unique_ptr<Kernel> create_Pool(const ir::Node& node) {
    switch (node.op) {
        case OpKind::GlobalAveragePool:
        case OpKind::GlobalMaxPool:
        case OpKind::GlobalLpPool:
            return std::make_unique<GlobalPoolKernel>(node);
        default:
            break;
    }
    if (node.op == OpKind::AveragePool || node.op == OpKind::LpPool) {
        KILN_CHECK(node.outputs.size() <= 1, InvalidModel, node.describe(), ": has ", node.outputs.size(),
                   " outputs, expected 1");
    }
    return std::make_unique<PoolKernel>(node);
}

}  // namespace kiln::cpu
