// CPU kernels of the Conv family (see op_list.inc). Conv: 1x1 stride-1 unpadded convolutions are one GEMM per
// (batch, group); depthwise convolutions (one input channel per group) use a direct kernel; the rest im2col + sgemm.
// ConvTranspose: sgemm (W^T x X) + col2im. float32 natively; double and float16 / bfloat16 compute in float.
// FusedConv (internal, from FuseConvActivation) is a Conv whose GEMM blocks start from bias + Z and end with its
// activation, each thread on its own block.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "ops/conv_window.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/gemm.h"
#include "providers/cpu/im2col.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/vec_math.h"

namespace kiln::cpu {
namespace {

void check_dtype(const ir::Node& node, DType t) {
    KILN_CHECK(t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16, NotImplemented,
               node.describe(), ": ", node.op_type, " on ", dtype_name(t), " is not implemented");
}

// Fills the 3-D-padded geometry from N-D shapes and a resolved window.
ConvGeometry make_geometry(const ops::Window& w, const Shape& in, const Shape& out) {
    ConvGeometry g;
    size_t n = w.rank();
    size_t off = 3 - n;
    for (size_t d = 0; d < n; ++d) {
        g.in[off + d] = in[d + 2];
        g.out[off + d] = out[d + 2];
        g.kernel[off + d] = w.kernel[d];
        g.stride[off + d] = w.strides[d];
        g.dilation[off + d] = w.dilations[d];
        g.pad[off + d] = w.pads[d];
    }
    return g;
}

std::vector<int64_t> weight_kernel(const Shape& w) { return std::vector<int64_t>(w.begin() + 2, w.end()); }

// Depthwise: y[c] = sum_k w[c, k] * x[c, window] for one channel plane (output preset to bias).
void depthwise_plane(const ConvGeometry& g, const float* x, const float* w, float* y) {
    const int64_t o2 = g.out[2], s2 = g.stride[2];
    for (int64_t od = 0; od < g.out[0]; ++od) {
        for (int64_t oh = 0; oh < g.out[1]; ++oh) {
            float* yr = y + (od * g.out[1] + oh) * o2;
            for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
                int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
                if (id < 0 || id >= g.in[0]) continue;
                for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
                    int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
                    if (ih < 0 || ih >= g.in[1]) continue;
                    const float* xr = x + (id * g.in[1] + ih) * g.in[2];
                    const float* wr = w + (kd * g.kernel[1] + kh) * g.kernel[2];
                    for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                        const int64_t iw0 = kw * g.dilation[2] - g.pad[2];
                        int64_t lo = iw0 >= 0 ? 0 : (-iw0 + s2 - 1) / s2;
                        int64_t hi = g.in[2] - iw0 <= 0 ? 0 : (g.in[2] - iw0 + s2 - 1) / s2;
                        hi = std::min(hi, o2);
                        const float wv = wr[kw];
                        const float* xs = xr + iw0;
                        if (s2 == 1) {
                            for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xs[ow];
                        } else {
                            for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xs[ow * s2];
                        }
                    }
                }
            }
        }
    }
}

// FusedConv's activation (applied after bias and Z).
struct Activation {
    enum class Kind { None, Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid };
    Kind kind = Kind::None;
    float a = 0, b = 0;

    static Activation from(const ir::Node& node) {
        Activation act;
        if (!node.has_attribute("activation")) return act;
        std::string name = node.attr_string("activation", "");
        std::vector<float> p = node.attr_floats("activation_params");
        auto param = [&](size_t i, float fallback) { return i < p.size() ? p[i] : fallback; };
        if (name == "Relu") {
            act.kind = Kind::Relu;
        } else if (name == "Clip") {
            act = {Kind::Clip, param(0, -std::numeric_limits<float>::infinity()),
                   param(1, std::numeric_limits<float>::infinity())};
        } else if (name == "LeakyRelu") {
            act = {Kind::LeakyRelu, param(0, 0.01f), 0.f};
        } else if (name == "HardSigmoid") {
            act = {Kind::HardSigmoid, param(0, 0.2f), param(1, 0.5f)};
        } else if (name == "HardSwish") {
            act.kind = Kind::HardSwish;
        } else if (name == "Sigmoid") {
            act.kind = Kind::Sigmoid;
        } else {
            fail(ErrorCode::InvalidModel, node.describe(), ": unknown activation '", name, "'");
        }
        return act;
    }

    // y[i] = f(y[i]) for i in [0, n); the same formulas as the Unary kernels.
    void apply(float* y, int64_t n) const {
        switch (kind) {
            case Kind::None:
                break;
            case Kind::Relu:
                for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? 0.f : y[i];
                break;
            case Kind::Clip:
                for (int64_t i = 0; i < n; ++i) y[i] = std::min(b, std::max(a, y[i]));
                break;
            case Kind::LeakyRelu:
                for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? a * y[i] : y[i];
                break;
            case Kind::HardSigmoid:
                for (int64_t i = 0; i < n; ++i) y[i] = std::min(1.f, std::max(0.f, a * y[i] + b));
                break;
            case Kind::HardSwish:
                for (int64_t i = 0; i < n; ++i) y[i] = y[i] * std::min(1.f, std::max(0.f, y[i] / 6.f + 0.5f));
                break;
            case Kind::Sigmoid:
                for (int64_t i = 0; i < n; ++i) {
                    float e = exp_approx(-std::fabs(y[i]));
                    float r = 1.f / (1.f + e);
                    y[i] = y[i] >= 0.f ? r : e * r;
                }
                break;
        }
    }
};

// Conv and FusedConv.
class ConvKernel : public Kernel {
  public:
    explicit ConvKernel(const ir::Node& node) : group_(node.attr_int("group", 1)), act_(Activation::from(node)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& wt = *ctx.input(1);
        const Tensor* bt = ctx.input(2);
        if (bt && bt->element_count() == 0) bt = nullptr;
        const Tensor* zt = ctx.input(3);  // FusedConv's residual, same shape as Y
        Tensor& yt = *ctx.output(0);
        check_dtype(node, xt.dtype());
        if (yt.element_count() == 0) return;
        const Shape& xs = xt.shape();
        const Shape& ws = wt.shape();
        KILN_CHECK(!zt || zt->shape() == yt.shape(), InvalidArgument, node.describe(), ": Z ",
                   shape_to_string(zt->shape()), " must have the output's shape ", shape_to_string(yt.shape()));
        ops::Window win = ops::read_window(node, xs.size() - 2, weight_kernel(ws));
        for (size_t d = 0; d < win.rank(); ++d) ops::resolve_window_dim(node, win, d, xs[d + 2]);
        ConvGeometry g = make_geometry(win, xs, yt.shape());

        FloatView x(&xt), w(&wt), b(bt), z(zt);
        FloatOut y(yt);
        const int64_t batch = xs[0], c_in = xs[1], c_out = ws[0];
        const int64_t cg = c_in / group_, mg = c_out / group_;
        const int64_t in_size = g.in_size(), out_size = g.out_size(), k_size = g.kernel_size();
        const int64_t kdim = cg * k_size;
        float* yp = y.data();
        const int threads = ctx.threads;

        if (cg == 1 && mg == 1) {  // depthwise
            parallel_for(
                batch * c_out, threads,
                [&](int64_t p0, int64_t p1) {
                    for (int64_t p = p0; p < p1; ++p) {
                        int64_t c = p % c_out;
                        float* yc = yp + p * out_size;
                        std::fill(yc, yc + out_size, b.data() ? b.data()[c] : 0.f);
                        depthwise_plane(g, x.data() + p * in_size, w.data() + c * k_size, yc);
                        if (z.data()) {
                            const float* zc = z.data() + p * out_size;
                            for (int64_t i = 0; i < out_size; ++i) yc[i] += zc[i];
                        }
                        act_.apply(yc, out_size);
                    }
                },
                out_size * k_size);
            y.finish();
            return;
        }

        bool pointwise = k_size == 1;
        for (int d = 0; d < 3; ++d) pointwise &= g.stride[d] == 1 && g.pad[d] == 0 && g.in[d] == g.out[d];
        auto one_group = [&](int64_t n, int64_t gi, int inner_threads) {
            const float* xg = x.data() + (n * c_in + gi * cg) * in_size;
            const float* wg = w.data() + gi * mg * kdim;
            float* yg = yp + (n * c_out + gi * mg) * out_size;
            const float* col = xg;
            if (!pointwise) {
                float* buf = thread_scratch(0, kdim * out_size);
                parallel_for(
                    kdim, inner_threads, [&](int64_t r0, int64_t r1) { im2col(g, xg, r0, r1, buf + r0 * out_size); },
                    out_size);
                col = buf;
            }
            // Each thread's block of Y starts as bias (+ Z), the GEMM accumulates onto it (beta = 1, which costs
            // what zeroing Y for beta = 0 would) and the activation runs on it while it is still in cache.
            const float* zg = z.data() ? z.data() + (n * c_out + gi * mg) * out_size : nullptr;
            const float* bg = b.data() ? b.data() + gi * mg : nullptr;
            for_each_gemm_block(mg, out_size, kdim, inner_threads, [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
                for (int64_t m = i0; m < i1 && (zg || bg); ++m) {
                    float bv = bg ? bg[m] : 0.f;
                    float* row = yg + m * out_size;
                    if (zg) {
                        const float* zr = zg + m * out_size;
                        for (int64_t j = j0; j < j1; ++j) row[j] = zr[j] + bv;
                    } else {
                        std::fill(row + j0, row + j1, bv);
                    }
                }
                sgemm_serial(false, false, i1 - i0, j1 - j0, kdim, 1.f, wg + i0 * kdim, kdim, col + j0, out_size,
                             zg || bg ? 1.f : 0.f, yg + i0 * out_size + j0, out_size);
                for (int64_t m = i0; m < i1; ++m) act_.apply(yg + m * out_size + j0, j1 - j0);
            });
        };
        const int64_t units = batch * group_;
        if (threads > 1 && units >= threads) {
            parallel_for(
                units, threads,
                [&](int64_t u0, int64_t u1) {
                    for (int64_t u = u0; u < u1; ++u) one_group(u / group_, u % group_, 1);
                },
                int64_t{1} << 20);
        } else {
            for (int64_t u = 0; u < units; ++u) one_group(u / group_, u % group_, threads);
        }
        y.finish();
    }

  private:
    int64_t group_;
    Activation act_;
};

class ConvTransposeKernel : public Kernel {
  public:
    explicit ConvTransposeKernel(const ir::Node& node) : group_(node.attr_int("group", 1)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& wt = *ctx.input(1);
        const Tensor* bt = ctx.input(2);
        if (bt && bt->element_count() == 0) bt = nullptr;
        Tensor& yt = *ctx.output(0);
        check_dtype(node, xt.dtype());
        if (yt.element_count() == 0) return;
        const Shape& xs = xt.shape();
        const Shape& ws = wt.shape();
        size_t spatial = xs.size() - 2;
        ops::Window win = ops::read_window(node, spatial, weight_kernel(ws));
        auto output_padding = node.attr_ints("output_padding", std::vector<int64_t>(spatial, 0));
        auto output_shape = node.attr_ints("output_shape");
        if (output_shape.size() == spatial + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
        for (size_t d = 0; d < spatial; ++d)
            ops::resolve_transpose_dim(node, win, d, xs[d + 2], output_padding[d],
                                       output_shape.empty() ? -1 : output_shape[d]);
        // Geometry seen from the output: im2col of y would produce x's positions; col2im maps back.
        ConvGeometry g = make_geometry(win, yt.shape(), xs);
        std::swap(g.in, g.out);  // g.in: x extents, g.out: y extents

        FloatView x(&xt), w(&wt), b(bt);
        FloatOut y(yt);
        const int64_t batch = xs[0], c_in = xs[1];
        const int64_t cg = c_in / group_, mg = ws[1], c_out = mg * group_;
        const int64_t in_size = g.in_size(), out_size = g.out_size(), k_size = g.kernel_size();
        const int64_t rows = mg * k_size;
        float* yp = y.data();
        const int threads = ctx.threads;
        for (int64_t n = 0; n < batch; ++n) {
            for (int64_t gi = 0; gi < group_; ++gi) {
                const float* xg = x.data() + (n * c_in + gi * cg) * in_size;
                const float* wg = w.data() + gi * cg * rows;
                float* yg = yp + (n * c_out + gi * mg) * out_size;
                float* col = thread_scratch(0, rows * in_size);
                // col[rows, in_size] = wg^T [rows, cg] x xg [cg, in_size]
                sgemm(true, false, rows, in_size, cg, 1.f, wg, rows, xg, in_size, 0.f, col, in_size, threads);
                parallel_for(
                    mg, threads,
                    [&](int64_t m0, int64_t m1) {
                        for (int64_t m = m0; m < m1; ++m) {
                            float* ym = yg + m * out_size;
                            std::fill(ym, ym + out_size, b.data() ? b.data()[gi * mg + m] : 0.f);
                        }
                        col2im_add(g, col, m0, m1, yg);
                    },
                    out_size * k_size);
            }
        }
        y.finish();
    }

  private:
    int64_t group_;
};

}  // namespace

std::unique_ptr<Kernel> create_Conv(const ir::Node& node) {
    if (node.op == OpKind::ConvTranspose) return std::make_unique<ConvTransposeKernel>(node);
    return std::make_unique<ConvKernel>(node);
}

}  // namespace kiln::cpu
