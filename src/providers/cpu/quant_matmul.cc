// CPU kernels of MatMulInteger and QLinearMatMul: numpy matmul (1-D promotion, batch broadcasting) of
// (a - a_zero_point) and (b - b_zero_point) in exact integer arithmetic, the sums wrapping to int32.
// Zero points and scales: a scalar (per tensor), a 1-D vector (per row of a, per column of b), or an N-D tensor that
// broadcasts numpy-style against its operand (a-side parameters [..., M, 1], b-side [..., 1, N]).
// QLinearMatMul: y = saturate(round_half_even(acc * (a_scale * b_scale / y_scale)) + y_zero_point), the scale product
// rounded to the scales' type, the rest in double.
#include <algorithm>
#include <cmath>

#include "common/parallel.h"
#include "providers/cpu/double_values.h"
#include "providers/cpu/quant_kernels.h"

namespace kiln::cpu::quant {
namespace {

// (value - zero_point) as int32 with the matmul's 1-D promotion applied to the shape: a [M, K] (1-D: [1, K]), b [K, N]
// (1-D: [K, 1]).
struct Operand {
    Shape shape;  // promoted, rank >= 2
    std::vector<int32_t> values;
};

// The shape a 1-D per-row / per-column parameter broadcasts as (a side: [M, 1], b side: [N]); others unchanged.
Shape param_shape(const Shape& p, bool a_side) {
    if (p.size() == 1 && p[0] != 1 && a_side) return Shape{p[0], 1};
    return p;
}

Operand shifted_operand(const ir::Node& node, const Tensor& v, const Tensor* zp, bool a_side, const char* what,
                        const char* zp_what) {
    Operand op;
    op.shape = v.shape();
    KILN_CHECK(!op.shape.empty(), InvalidArgument, node.describe(), ": ", what, " must not be a scalar");
    if (op.shape.size() == 1) {
        if (a_side) {
            op.shape.insert(op.shape.begin(), 1);
        } else {
            op.shape.push_back(1);
        }
    }
    op.values = to_int32s(node, v, what);
    if (zp) {
        KILN_CHECK(zp->dtype() == v.dtype(), InvalidArgument, node.describe(), ": ", zp_what, " is ",
                   dtype_name(zp->dtype()), " but ", what, " is ", dtype_name(v.dtype()));
        std::vector<int32_t> z = to_int32s(node, *zp, zp_what);
        if (z.size() == 1) {
            for (int32_t& x : op.values) x -= z[0];
        } else {
            for_each_broadcast(node, op.shape, param_shape(zp->shape(), a_side), zp_what,
                               [&](int64_t i, int64_t k) { op.values[i] -= z[k]; });
        }
    }
    return op;
}

// C [batch..., M, N] (int32, wrapping) = A x B with batch broadcasting; `out_shape` is the promoted output shape.
std::vector<int32_t> integer_matmul(const ir::Node& node, const Operand& a, const Operand& b, const Shape& out_shape,
                                    int threads) {
    int64_t m = a.shape[a.shape.size() - 2];
    int64_t k = a.shape.back();
    int64_t n = b.shape.back();
    KILN_CHECK(b.shape[b.shape.size() - 2] == k, InvalidArgument, node.describe(),
               ": inner dimensions differ: ", shape_to_string(a.shape), " x ", shape_to_string(b.shape));
    Shape batch(out_shape.begin(), out_shape.end() - 2);
    Shape a_batch(a.shape.begin(), a.shape.end() - 2);
    Shape b_batch(b.shape.begin(), b.shape.end() - 2);
    int64_t batches = shape_element_count(batch);
    std::vector<int64_t> a_off(static_cast<size_t>(batches)), b_off(static_cast<size_t>(batches));
    for_each_broadcast(node, batch, a_batch, "A batch", [&](int64_t i, int64_t s) { a_off[i] = s * m * k; });
    for_each_broadcast(node, batch, b_batch, "B batch", [&](int64_t i, int64_t s) { b_off[i] = s * k * n; });
    std::vector<int32_t> c(static_cast<size_t>(batches * m * n));
    parallel_for(
        batches * m, threads,
        [&](int64_t begin, int64_t end) {
            std::vector<int64_t> acc(static_cast<size_t>(n));
            for (int64_t r = begin; r < end; ++r) {
                int64_t bi = r / m;
                const int32_t* arow = a.values.data() + a_off[bi] + (r % m) * k;
                const int32_t* bmat = b.values.data() + b_off[bi];
                std::fill(acc.begin(), acc.end(), 0);
                for (int64_t p = 0; p < k; ++p) {
                    int64_t av = arow[p];
                    const int32_t* brow = bmat + p * n;
                    for (int64_t j = 0; j < n; ++j) acc[j] += av * brow[j];
                }
                int32_t* crow = c.data() + r * n;
                for (int64_t j = 0; j < n; ++j) crow[j] = static_cast<int32_t>(static_cast<uint32_t>(acc[j]));
            }
        },
        k * n);
    return c;
}

// The output shape with 1-D promotion undone (the shape the shape function derived).
Shape promoted_out(const Tensor& y, const Tensor& a, const Tensor& b) {
    Shape s = y.shape();
    if (a.rank() == 1) s.insert(s.end() - (b.rank() == 1 ? 0 : 1), 1);
    if (b.rank() == 1) s.push_back(1);
    return s;
}

class MatMulIntegerKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& a = *ctx.input(0);
        const Tensor& b = *ctx.input(1);
        Operand ao = shifted_operand(node, a, ctx.input(2), true, "A", "a_zero_point");
        Operand bo = shifted_operand(node, b, ctx.input(3), false, "B", "b_zero_point");
        Tensor& y = *ctx.output(0);
        std::vector<int32_t> c = integer_matmul(node, ao, bo, promoted_out(y, a, b), ctx.threads);
        std::copy(c.begin(), c.end(), y.data<int32_t>());
    }
};

// A per-output-element parameter: one value, or one per element of the output.
struct OutParam {
    std::vector<double> v;
    double at(int64_t i) const { return v.size() == 1 ? v[0] : v[i]; }
};

OutParam out_param(const ir::Node& node, const Tensor& p, const Shape& out, bool a_side, const char* what) {
    std::vector<float> f = to_floats(node, p, what);
    OutParam r;
    if (f.size() == 1) {
        r.v = {f[0]};
        return r;
    }
    r.v.resize(static_cast<size_t>(shape_element_count(out)));
    for_each_broadcast(node, out, param_shape(p.shape(), a_side), what, [&](int64_t i, int64_t k) { r.v[i] = f[k]; });
    return r;
}

class QLinearMatMulKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& a = *ctx.input(0);
        const Tensor& b = *ctx.input(3);
        Tensor& y = *ctx.output(0);
        int64_t lo, hi;
        KILN_CHECK((y.dtype() == DType::Int8 || y.dtype() == DType::UInt8) && integer_range(y.dtype(), lo, hi),
                   NotImplemented, node.describe(), ": output type ", dtype_name(y.dtype()), " is not supported");
        Operand ao = shifted_operand(node, a, ctx.input(2), true, "a", "a_zero_point");
        Operand bo = shifted_operand(node, b, ctx.input(5), false, "b", "b_zero_point");
        Shape out = promoted_out(y, a, b);
        std::vector<int32_t> c = integer_matmul(node, ao, bo, out, ctx.threads);
        DType scale_type = ctx.input(1)->dtype();
        OutParam as = out_param(node, *ctx.input(1), out, true, "a_scale");
        OutParam bs = out_param(node, *ctx.input(4), out, false, "b_scale");
        OutParam ys = out_param(node, *ctx.input(6), out, false, "y_scale");
        const Tensor& yzp = *ctx.input(7);
        KILN_CHECK(yzp.dtype() == y.dtype(), InvalidArgument, node.describe(), ": y_zero_point is ",
                   dtype_name(yzp.dtype()), " but y is ", dtype_name(y.dtype()));
        OutParam yz = out_param(node, yzp, out, false, "y_zero_point");
        std::vector<int64_t> q(c.size());
        for (size_t i = 0; i < c.size(); ++i) {
            int64_t e = static_cast<int64_t>(i);
            double mult =
                round_to_precision(round_to_precision(as.at(e) * bs.at(e), scale_type) / ys.at(e), scale_type);
            double v = std::nearbyint(static_cast<double>(c[i]) * mult + yz.at(e));
            if (std::isnan(v)) v = 0;
            q[i] = static_cast<int64_t>(std::clamp(v, static_cast<double>(lo), static_cast<double>(hi)));
        }
        store_ints(q.data(), y);
    }
};

}  // namespace

std::unique_ptr<Kernel> create_matmul_integer(const ir::Node&) { return std::make_unique<MatMulIntegerKernel>(); }
std::unique_ptr<Kernel> create_qlinear_matmul(const ir::Node&) { return std::make_unique<QLinearMatMulKernel>(); }

}  // namespace kiln::cpu::quant
