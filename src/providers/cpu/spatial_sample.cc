// CPU kernels of the Spatial family that sample an image at fractional positions: GridSample (linear / nearest /
// cubic, zeros / border / reflection padding, align_corners, 1-D to 3-D spatial) and DeformConv (2-D; offsets,
// optional mask and bias, groups and offset groups; bilinear sampling into columns, then one GEMM per group).
// Computes in float32.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/parallel.h"
#include "ops/conv_window.h"
#include "providers/cpu/coordinate.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/gemm.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/spatial_kernels.h"

namespace kiln::cpu {
namespace {

void check_float(const ir::Node& node, DType t, const char* what) {
    KILN_CHECK(t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16, NotImplemented,
               node.describe(), ": ", what, " dtype ", dtype_name(t), " is not supported");
}

// ---- GridSample ----

enum class SampleMode { Linear, Nearest, Cubic };
enum class PaddingMode { Zeros, Border, Reflection };

// Reflects x into [lo, hi] by the nearer border, repeatedly (as PyTorch's GridSampler does). The number of
// reflections stays a float: a grid value may be far beyond any integer type.
float reflect(float x, float lo, float hi) {
    float range = hi - lo;
    if (range <= 0 || std::isinf(x)) return lo;  // a grid value so large that its position overflowed
    if (x < lo) {
        float dx = lo - x;
        float n = std::floor(dx / range);
        float r = dx - n * range;
        return std::fmod(n, 2.f) == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        float dx = x - hi;
        float n = std::floor(dx / range);
        float r = dx - n * range;
        return std::fmod(n, 2.f) == 0 ? hi - r : lo + r;
    }
    return x;
}

void cubic_coeffs(float t, float c[4]) {
    constexpr float kA = -0.75f;
    t = std::fabs(t);
    float t1 = t + 1, s = 1 - t, s1 = 2 - t;
    c[0] = ((kA * t1 - 5 * kA) * t1 + 8 * kA) * t1 - 4 * kA;
    c[1] = ((kA + 2) * t - (kA + 3)) * t * t + 1;
    c[2] = ((kA + 2) * s - (kA + 3)) * s * s + 1;
    c[3] = ((kA * s1 - 5 * kA) * s1 + 8 * kA) * s1 - 4 * kA;
}

class GridSampleKernel : public Kernel {
  public:
    explicit GridSampleKernel(const ir::Node& node) : align_corners_(node.attr_int("align_corners", 0) != 0) {
        std::string mode = node.attr_string("mode", "linear");
        mode_ = mode == "nearest"                        ? SampleMode::Nearest
                : (mode == "cubic" || mode == "bicubic") ? SampleMode::Cubic
                                                         : SampleMode::Linear;
        std::string pad = node.attr_string("padding_mode", "zeros");
        padding_ = pad == "border"       ? PaddingMode::Border
                   : pad == "reflection" ? PaddingMode::Reflection
                                         : PaddingMode::Zeros;
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& gt = *ctx.input(1);
        Tensor& yt = *ctx.output(0);
        check_float(node, xt.dtype(), "X");
        check_float(node, gt.dtype(), "grid");
        const Shape& xs = xt.shape();
        const int64_t n = xs[0], channels = xs[1];
        const int nd = static_cast<int>(xs.size()) - 2;
        KILN_CHECK(nd >= 1 && nd <= 3, NotImplemented, node.describe(), ": ", nd,
                   "-D GridSample is not implemented (1-D to 3-D only)");
        const Shape& gs = gt.shape();
        KILN_CHECK(gs.size() == xs.size() && gs[0] == xs[0] && gs.back() == nd, InvalidArgument, node.describe(),
                   ": grid ", shape_to_string(gs), " must be [N, spatial..., ", nd, "] with the batch N of X ",
                   shape_to_string(xs));
        std::vector<int64_t> dims(xs.begin() + 2, xs.end());
        int64_t plane = 1;
        for (int64_t d : dims) plane *= d;
        const int64_t points = n ? yt.element_count() / (n * channels) : 0;
        std::vector<float> lo(nd), hi(nd);
        for (int d = 0; d < nd; ++d) {
            lo[d] = align_corners_ ? 0.f : -0.5f;
            hi[d] = align_corners_ ? static_cast<float>(dims[d] - 1) : static_cast<float>(dims[d]) - 0.5f;
        }
        FloatView x(&xt), grid(&gt);
        FloatOut y(yt);
        const int taps = mode_ == SampleMode::Cubic ? 4 : mode_ == SampleMode::Linear ? 2 : 1;
        int64_t corners = 1;
        for (int d = 0; d < nd; ++d) corners *= taps;
        parallel_for(
            n * points, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                std::vector<int64_t> offsets(corners);
                std::vector<float> weights(corners);
                for (int64_t p = p0; p < p1; ++p) {
                    int64_t b = p / points, q = p % points;
                    const float* g = grid.data() + p * nd;
                    // Per spatial dim: tap indices (after padding) and weights; index -1 means a zero pixel.
                    int64_t idx[3][4];
                    float wt[3][4];
                    for (int d = 0; d < nd; ++d) {
                        float v = g[nd - 1 - d];  // grid holds (x, y, z): reversed spatial order
                        float len = static_cast<float>(dims[d]);
                        float c = align_corners_ ? (v + 1) / 2.f * (len - 1) : ((v + 1) * len - 1) / 2.f;
                        if (mode_ == SampleMode::Nearest) c = std::nearbyint(c);
                        if (c < lo[d] || c > hi[d]) {
                            if (padding_ == PaddingMode::Border) {
                                c = std::clamp(c, 0.f, len - 1);
                            } else if (padding_ == PaddingMode::Reflection) {
                                c = reflect(c, lo[d], hi[d]);
                            }
                        }
                        int64_t base;
                        if (mode_ == SampleMode::Nearest) {
                            base = coordinate_to_index(c);
                            wt[d][0] = 1.f;
                        } else {
                            float f = std::floor(c);
                            base = coordinate_to_index(f) - (mode_ == SampleMode::Cubic ? 1 : 0);
                            float t = c - f;
                            if (mode_ == SampleMode::Linear) {
                                wt[d][0] = 1 - t;
                                wt[d][1] = t;
                            } else {
                                cubic_coeffs(t, wt[d]);
                            }
                        }
                        for (int k = 0; k < taps; ++k) {
                            int64_t i = base + k;
                            if (i < 0 || i >= dims[d]) {
                                if (padding_ == PaddingMode::Zeros) {
                                    i = -1;
                                } else if (padding_ == PaddingMode::Border) {
                                    i = std::clamp<int64_t>(i, 0, dims[d] - 1);
                                } else {
                                    i = static_cast<int64_t>(reflect(static_cast<float>(i), lo[d], hi[d]));
                                    i = std::clamp<int64_t>(i, 0, dims[d] - 1);
                                }
                            }
                            idx[d][k] = i;
                        }
                    }
                    for (int64_t cidx = 0; cidx < corners; ++cidx) {
                        int ks[3] = {0, 0, 0};
                        for (int64_t t = cidx, d = nd; d-- > 0;) {
                            ks[d] = static_cast<int>(t % taps);
                            t /= taps;
                        }
                        int64_t off = 0;
                        float w = 1.f;
                        for (int d = 0; d < nd && off >= 0; ++d) {
                            int64_t i = idx[d][ks[d]];
                            off = i < 0 ? -1 : off * dims[d] + i;
                            w *= wt[d][ks[d]];
                        }
                        offsets[cidx] = off;
                        weights[cidx] = off < 0 ? 0.f : w;
                    }
                    for (int64_t c = 0; c < channels; ++c) {
                        const float* src = x.data() + (b * channels + c) * plane;
                        float acc = 0.f;
                        for (int64_t k = 0; k < corners; ++k)
                            if (offsets[k] >= 0) acc += weights[k] * src[offsets[k]];
                        y.data()[(b * channels + c) * points + q] = acc;
                    }
                }
            },
            channels * corners * 2);
        y.finish();
    }

  private:
    SampleMode mode_;
    PaddingMode padding_;
    bool align_corners_;
};

// ---- DeformConv ----

class DeformConvKernel : public Kernel {
  public:
    explicit DeformConvKernel(const ir::Node& node)
        : group_(node.attr_int("group", 1)), offset_group_(node.attr_int("offset_group", 1)) {
        KILN_CHECK(group_ > 0 && offset_group_ > 0, InvalidModel, node.describe(),
                   ": group and offset_group must be positive");
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& wt = *ctx.input(1);
        const Tensor& ot = *ctx.input(2);
        const Tensor* bt = ctx.input(3);
        const Tensor* mt = ctx.input(4);
        Tensor& yt = *ctx.output(0);
        check_float(node, xt.dtype(), "X");
        const Shape& xs = xt.shape();
        const Shape& ws = wt.shape();
        const Shape& ys = yt.shape();
        KILN_CHECK(xs.size() == 4, NotImplemented, node.describe(), ": only 2-D DeformConv is implemented");
        KILN_CHECK(ws.size() == 4 && ys.size() == 4, InvalidArgument, node.describe(), ": W ", shape_to_string(ws),
                   " must be 4-D like X ", shape_to_string(xs));
        const int64_t n = xs[0], ic = xs[1], ih = xs[2], iw = xs[3];
        const int64_t oc = ws[0], icg = ws[1], oh = ys[2], ow = ys[3];
        std::vector<int64_t> kshape = node.attr_ints("kernel_shape", {ws[2], ws[3]});
        KILN_CHECK(kshape.size() == 2, InvalidModel, node.describe(), ": kernel_shape must have 2 values");
        ops::Window w = ops::read_window(node, 2, kshape);
        const int64_t kh = kshape[0], kw = kshape[1], k = kh * kw;
        KILN_CHECK(ic == icg * group_ && oc % group_ == 0, InvalidArgument, node.describe(), ": W ",
                   shape_to_string(ws), " does not match X ", shape_to_string(xs), " with group ", group_);
        KILN_CHECK(ic % offset_group_ == 0, InvalidArgument, node.describe(), ": ", ic,
                   " channels are not divisible by offset_group ", offset_group_);
        KILN_CHECK(ot.shape() == (Shape{n, offset_group_ * k * 2, oh, ow}), InvalidArgument, node.describe(),
                   ": offset ", shape_to_string(ot.shape()), " must be ",
                   shape_to_string(Shape{n, offset_group_ * k * 2, oh, ow}));
        if (mt)
            KILN_CHECK(mt->shape() == (Shape{n, offset_group_ * k, oh, ow}), InvalidArgument, node.describe(),
                       ": mask ", shape_to_string(mt->shape()), " must be ",
                       shape_to_string(Shape{n, offset_group_ * k, oh, ow}));
        if (bt)
            KILN_CHECK(bt->element_count() == oc, InvalidArgument, node.describe(), ": B has ", bt->element_count(),
                       " values for ", oc, " output channels");
        const int64_t ocg = oc / group_, icpo = ic / offset_group_, pixels = oh * ow;
        FloatView x(&xt), weight(&wt), offset(&ot), mask(mt), bias(bt);
        FloatOut y(yt);
        std::vector<float> cols(icg * k * pixels);
        for (int64_t b = 0; b < n; ++b) {
            for (int64_t g = 0; g < group_; ++g) {
                // Columns [icg * k, pixels] for this group: masked bilinear samples at the offset positions.
                parallel_for(
                    icg * k, ctx.threads,
                    [&](int64_t r0, int64_t r1) {
                        for (int64_t r = r0; r < r1; ++r) {
                            int64_t c = g * icg + r / k, kk = r % k;
                            int64_t og = c / icpo, ki = kk / kw, kj = kk % kw;
                            const float* plane = x.data() + (b * ic + c) * ih * iw;
                            const float* off_h = offset.data() + ((b * offset_group_ + og) * k + kk) * 2 * pixels;
                            const float* off_w = off_h + pixels;
                            const float* m = mt ? mask.data() + ((b * offset_group_ + og) * k + kk) * pixels : nullptr;
                            float* col = cols.data() + r * pixels;
                            for (int64_t i = 0; i < oh; ++i) {
                                for (int64_t j = 0; j < ow; ++j) {
                                    int64_t p = i * ow + j;
                                    float hpos =
                                        static_cast<float>(i * w.strides[0] - w.pads[0] + ki * w.dilations[0]) +
                                        off_h[p];
                                    float wpos =
                                        static_cast<float>(j * w.strides[1] - w.pads[1] + kj * w.dilations[1]) +
                                        off_w[p];
                                    float h0 = std::floor(hpos), w0 = std::floor(wpos);
                                    float th = hpos - h0, tw = wpos - w0;
                                    int64_t hi0 = coordinate_to_index(h0), wi0 = coordinate_to_index(w0);
                                    float v = 0.f;
                                    for (int dh = 0; dh < 2; ++dh) {
                                        int64_t hh = hi0 + dh;
                                        if (hh < 0 || hh >= ih) continue;
                                        float fh = dh ? th : 1 - th;
                                        for (int dw = 0; dw < 2; ++dw) {
                                            int64_t ww = wi0 + dw;
                                            if (ww < 0 || ww >= iw) continue;
                                            v += fh * (dw ? tw : 1 - tw) * plane[hh * iw + ww];
                                        }
                                    }
                                    col[p] = m ? v * m[p] : v;
                                }
                            }
                        }
                    },
                    pixels * 8);
                float* out = y.data() + (b * oc + g * ocg) * pixels;
                sgemm(false, false, ocg, pixels, icg * k, 1.f, weight.data() + g * ocg * icg * k, icg * k, cols.data(),
                      pixels, 0.f, out, pixels, ctx.threads);
                if (bt) {
                    for (int64_t o = 0; o < ocg; ++o)
                        for (int64_t p = 0; p < pixels; ++p) out[o * pixels + p] += bias.data()[g * ocg + o];
                }
            }
        }
        y.finish();
    }

  private:
    int64_t group_, offset_group_;
};

}  // namespace

std::unique_ptr<Kernel> make_grid_sample_kernel(const ir::Node& node) {
    return std::make_unique<GridSampleKernel>(node);
}

std::unique_ptr<Kernel> make_deform_conv_kernel(const ir::Node& node) {
    return std::make_unique<DeformConvKernel>(node);
}

}  // namespace kiln::cpu
