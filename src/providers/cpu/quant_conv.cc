// CPU kernels of ConvInteger and QLinearConv (NCHW, 1 to 3 spatial dims, groups, strides, dilations, pads and
// auto_pad): an im2col of (x - x_zero_point) (padding contributes 0) and an exact integer GEMM with the weights
// (w - w_zero_point[m]), the sums wrapping to int32.
// QLinearConv: y = saturate(round_half_even((acc + B[m]) * (x_scale * w_scale[m] / y_scale)) + y_zero_point), the scale
// product in float32, the rest in double (what the ONNX reference computes).
#include <algorithm>
#include <cmath>

#include "common/parallel.h"
#include "ops/conv_window.h"
#include "providers/cpu/quant_kernels.h"

namespace kiln::cpu::quant {
namespace {

constexpr size_t kMaxSpatial = 3;

// Window geometry padded to 3 spatial dims (leading dims: extent 1, kernel 1).
struct Geometry {
    int64_t in[kMaxSpatial] = {1, 1, 1};
    int64_t out[kMaxSpatial] = {1, 1, 1};
    int64_t kernel[kMaxSpatial] = {1, 1, 1};
    int64_t stride[kMaxSpatial] = {1, 1, 1};
    int64_t dilation[kMaxSpatial] = {1, 1, 1};
    int64_t pad[kMaxSpatial] = {0, 0, 0};
    int64_t in_size() const { return in[0] * in[1] * in[2]; }
    int64_t out_size() const { return out[0] * out[1] * out[2]; }
    int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

Geometry resolve_geometry(const ir::Node& node, const Shape& x, const Shape& w, const Shape& y) {
    size_t spatial = x.size() - 2;
    KILN_CHECK(spatial >= 1 && spatial <= kMaxSpatial, NotImplemented, node.describe(), ": ", spatial,
               " spatial dims are not supported (1 to 3)");
    std::vector<int64_t> kernel(w.begin() + 2, w.end());
    ops::Window win = ops::read_window(node, spatial, kernel);
    Geometry g;
    size_t lead = kMaxSpatial - spatial;
    for (size_t d = 0; d < spatial; ++d) {
        int64_t out = ops::resolve_window_dim(node, win, d, x[d + 2]);
        KILN_CHECK(out == y[d + 2], Internal, node.describe(), ": output extent ", out, " differs from the shape ",
                   shape_to_string(y));
        g.in[lead + d] = x[d + 2];
        g.out[lead + d] = out;
        g.kernel[lead + d] = kernel[d];
        g.stride[lead + d] = win.strides[d];
        g.dilation[lead + d] = win.dilations[d];
        g.pad[lead + d] = win.pads[d];
    }
    return g;
}

// col[(c, kd, kh, kw), (od, oh, ow)] = x[c, od*s - p + kd*dil, ...] (0 outside), for `channels` channels of x.
void im2col_int(const Geometry& g, const int32_t* x, int64_t channels, int32_t* col) {
    int64_t out_size = g.out_size();
    int64_t in_size = g.in_size();
    int64_t ks = g.kernel_size();
    for (int64_t c = 0; c < channels; ++c) {
        const int32_t* xc = x + c * in_size;
        for (int64_t kr = 0; kr < ks; ++kr) {
            int64_t k0 = kr / (g.kernel[1] * g.kernel[2]);
            int64_t k1 = (kr / g.kernel[2]) % g.kernel[1];
            int64_t k2 = kr % g.kernel[2];
            int32_t* row = col + (c * ks + kr) * out_size;
            for (int64_t o0 = 0; o0 < g.out[0]; ++o0) {
                int64_t i0 = o0 * g.stride[0] - g.pad[0] + k0 * g.dilation[0];
                for (int64_t o1 = 0; o1 < g.out[1]; ++o1) {
                    int64_t i1 = o1 * g.stride[1] - g.pad[1] + k1 * g.dilation[1];
                    int32_t* dst = row + (o0 * g.out[1] + o1) * g.out[2];
                    bool inside = i0 >= 0 && i0 < g.in[0] && i1 >= 0 && i1 < g.in[1];
                    for (int64_t o2 = 0; o2 < g.out[2]; ++o2) {
                        int64_t i2 = o2 * g.stride[2] - g.pad[2] + k2 * g.dilation[2];
                        dst[o2] = inside && i2 >= 0 && i2 < g.in[2] ? xc[(i0 * g.in[1] + i1) * g.in[2] + i2] : 0;
                    }
                }
            }
        }
    }
}

// One value, or one per output channel.
template <typename T>
T per_channel(const std::vector<T>& v, int64_t m) {
    return v.size() == 1 ? v[0] : v[m];
}

void check_per_channel(const ir::Node& node, size_t count, int64_t channels, const char* what) {
    KILN_CHECK(count == 1 || static_cast<int64_t>(count) == channels, InvalidArgument, node.describe(), ": ", what,
               " has ", count, " elements; expected 1 or ", channels, " (one per output channel)");
}

// acc[n, m, spatial...] (int32, wrapping) of the integer convolution; `finish(m, acc_row, count, out_offset)` then
// turns each output row into the output type.
template <typename Finish>
void integer_conv(const ir::Node& node, const Tensor& x, const Tensor* x_zp, const Tensor& w, const Tensor* w_zp,
                  const Shape& y_shape, int threads, Finish&& finish) {
    const Shape& xs = x.shape();
    const Shape& ws = w.shape();
    KILN_CHECK(xs.size() >= 3 && ws.size() == xs.size(), InvalidArgument, node.describe(), ": x ", shape_to_string(xs),
               " and w ", shape_to_string(ws), " must be [N, C, spatial...] and [M, C/group, k...]");
    int64_t group = node.attr_int("group", 1);
    int64_t batch = xs[0], channels = xs[1], maps = ws[0];
    KILN_CHECK(group >= 1 && channels == ws[1] * group && maps % group == 0, InvalidArgument, node.describe(), ": x ",
               shape_to_string(xs), " and w ", shape_to_string(ws), " do not fit group ", group);
    Geometry g = resolve_geometry(node, xs, ws, y_shape);
    std::vector<int32_t> xv = to_int32s(node, x, "x");
    if (x_zp) {
        KILN_CHECK(x_zp->dtype() == x.dtype(), InvalidArgument, node.describe(), ": x_zero_point is ",
                   dtype_name(x_zp->dtype()), " but x is ", dtype_name(x.dtype()));
        std::vector<int32_t> z = to_int32s(node, *x_zp, "x_zero_point");
        KILN_CHECK(z.size() == 1, InvalidArgument, node.describe(), ": x_zero_point must be a scalar, got shape ",
                   shape_to_string(x_zp->shape()));
        for (int32_t& v : xv) v -= z[0];
    }
    std::vector<int32_t> wv = to_int32s(node, w, "w");
    int64_t per_map = shape_element_count(ws) / std::max<int64_t>(maps, 1);
    if (w_zp) {
        KILN_CHECK(w_zp->dtype() == w.dtype(), InvalidArgument, node.describe(), ": w_zero_point is ",
                   dtype_name(w_zp->dtype()), " but w is ", dtype_name(w.dtype()));
        std::vector<int32_t> z = to_int32s(node, *w_zp, "w_zero_point");
        check_per_channel(node, z.size(), maps, "w_zero_point");
        for (int64_t m = 0; m < maps; ++m)
            for (int64_t r = 0; r < per_map; ++r) wv[m * per_map + r] -= per_channel(z, m);
    }
    int64_t cg = channels / group, mg = maps / group;
    int64_t out_size = g.out_size();
    int64_t rows = cg * g.kernel_size();  // == per_map
    std::vector<int32_t> col(static_cast<size_t>(rows * out_size));
    for (int64_t n = 0; n < batch; ++n) {
        for (int64_t gi = 0; gi < group; ++gi) {
            im2col_int(g, xv.data() + (n * channels + gi * cg) * g.in_size(), cg, col.data());
            parallel_for(
                mg, threads,
                [&](int64_t begin, int64_t end) {
                    std::vector<int64_t> acc(static_cast<size_t>(out_size));
                    for (int64_t mi = begin; mi < end; ++mi) {
                        int64_t m = gi * mg + mi;
                        const int32_t* wrow = wv.data() + m * per_map;
                        std::fill(acc.begin(), acc.end(), 0);
                        for (int64_t r = 0; r < rows; ++r) {
                            int64_t wr = wrow[r];
                            if (wr == 0) continue;
                            const int32_t* crow = col.data() + r * out_size;
                            for (int64_t p = 0; p < out_size; ++p) acc[p] += wr * crow[p];
                        }
                        finish(m, acc.data(), out_size, (n * maps + m) * out_size);
                    }
                },
                rows * out_size);
        }
    }
}

inline int32_t wrap_int32(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

class ConvIntegerKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        Tensor& y = *ctx.output(0);
        int32_t* out = y.data<int32_t>();
        integer_conv(ctx.node, *ctx.input(0), ctx.input(2), *ctx.input(1), ctx.input(3), y.shape(), ctx.threads,
                     [&](int64_t, const int64_t* acc, int64_t count, int64_t offset) {
                         for (int64_t p = 0; p < count; ++p) out[offset + p] = wrap_int32(acc[p]);
                     });
    }
};

class QLinearConvKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        Tensor& y = *ctx.output(0);
        int64_t lo, hi;
        KILN_CHECK((y.dtype() == DType::Int8 || y.dtype() == DType::UInt8) && integer_range(y.dtype(), lo, hi),
                   NotImplemented, node.describe(), ": output type ", dtype_name(y.dtype()), " is not supported");
        const Tensor& w = *ctx.input(3);
        int64_t maps = w.rank() > 0 ? w.shape()[0] : 0;
        std::vector<float> xs = to_floats(node, *ctx.input(1), "x_scale");
        std::vector<float> ws = to_floats(node, *ctx.input(4), "w_scale");
        std::vector<float> ys = to_floats(node, *ctx.input(6), "y_scale");
        const Tensor& yzp_t = *ctx.input(7);
        KILN_CHECK(yzp_t.dtype() == y.dtype(), InvalidArgument, node.describe(), ": y_zero_point is ",
                   dtype_name(yzp_t.dtype()), " but y is ", dtype_name(y.dtype()));
        std::vector<int32_t> yzp = to_int32s(node, yzp_t, "y_zero_point");
        KILN_CHECK(xs.size() == 1 && ys.size() == 1 && yzp.size() == 1, InvalidArgument, node.describe(),
                   ": x_scale, y_scale and y_zero_point must be scalars");
        check_per_channel(node, ws.size(), maps, "w_scale");
        std::vector<int32_t> bias;
        if (const Tensor* b = ctx.input(8)) {
            KILN_CHECK(b->dtype() == DType::Int32, InvalidArgument, node.describe(), ": B must be int32, got ",
                       dtype_name(b->dtype()));
            bias = to_int32s(node, *b, "B");
            KILN_CHECK(static_cast<int64_t>(bias.size()) == maps, InvalidArgument, node.describe(), ": B has ",
                       bias.size(), " elements; expected ", maps);
        }
        std::vector<double> mult(static_cast<size_t>(std::max<int64_t>(maps, 1)));
        for (int64_t m = 0; m < maps; ++m)
            mult[m] = static_cast<float>(static_cast<float>(xs[0] * per_channel(ws, m)) / ys[0]);
        std::vector<int64_t> q(static_cast<size_t>(y.element_count()));
        integer_conv(node, *ctx.input(0), ctx.input(2), w, ctx.input(5), y.shape(), ctx.threads,
                     [&](int64_t m, const int64_t* acc, int64_t count, int64_t offset) {
                         int64_t b = bias.empty() ? 0 : bias[m];
                         for (int64_t p = 0; p < count; ++p) {
                             double v = static_cast<double>(wrap_int32(acc[p] + b)) * mult[m] + yzp[0];
                             v = std::nearbyint(std::clamp(v, static_cast<double>(lo), static_cast<double>(hi)));
                             q[offset + p] = std::isnan(v) ? 0 : static_cast<int64_t>(v);
                         }
                     });
        store_ints(q.data(), y);
    }
};

}  // namespace

std::unique_ptr<Kernel> create_conv_integer(const ir::Node&) { return std::make_unique<ConvIntegerKernel>(); }
std::unique_ptr<Kernel> create_qlinear_conv(const ir::Node&) { return std::make_unique<QLinearConvKernel>(); }

}  // namespace kiln::cpu::quant
