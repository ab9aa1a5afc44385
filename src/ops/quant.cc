// Shape functions of the Quant family (see op_list.inc):
// - QuantizeLinear / DequantizeLinear: output shaped like x; scale (and zero point) per tensor (one element), per
//   axis (1-D, length x.shape[axis]) or blocked (x's rank, ceil(x.shape[axis] / block_size) along axis).
//   QuantizeLinear's type: y_zero_point's, else output_dtype, else uint8. DequantizeLinear's: output_dtype, else
//   x_scale's.
// - DynamicQuantizeLinear: y (uint8, x's shape), y_scale (float scalar), y_zero_point (uint8 scalar).
// - MatMulInteger (int32) and QLinearMatMul (y_zero_point's type): numpy matmul shapes.
// - ConvInteger (int32) and QLinearConv (y_zero_point's type): Conv shapes (NCHW, any spatial rank).
// - BitwiseNot: the input's type and shape.
#include <algorithm>

#include "ops/conv_window.h"
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

bool known(const SymbolicShape& s, size_t i) { return i < s.size() && s[i].known(); }

bool is_quantized_type(DType t) {
    switch (t) {
        case DType::Int8:
        case DType::UInt8:
        case DType::Int16:
        case DType::UInt16:
        case DType::Int4:
        case DType::UInt4:
        case DType::Int2:
        case DType::UInt2:
        case DType::Float8E4M3FN:
        case DType::Float8E4M3FNUZ:
        case DType::Float8E5M2:
        case DType::Float8E5M2FNUZ:
        case DType::Float4E2M1:
            return true;
        default:
            return false;
    }
}

// Element count when every dim is known, else -1.
int64_t known_count(const SymbolicShape& s) {
    int64_t n = 1;
    for (const Dim& d : s) {
        if (!d.known()) return -1;
        n *= d.value;
    }
    return n;
}

// Checks the scale (and zero point) layout against x for per-tensor, per-axis and blocked quantisation.
void check_quant_params(const ir::Node& node, const TensorInfo& x, const TensorInfo* scale, const TensorInfo* zp) {
    int64_t block = node.attr_int("block_size", 0);
    KILN_CHECK(block >= 0, InvalidModel, node.describe(), ": block_size must be >= 0, got ", block);
    if (scale && zp && scale->has_rank() && zp->has_rank()) {
        const SymbolicShape& s = *scale->shape;
        const SymbolicShape& z = *zp->shape;
        bool both_single = known_count(s) == 1 && known_count(z) == 1;
        bool same = s.size() == z.size();
        for (size_t i = 0; same && i < s.size(); ++i) same = !(s[i].known() && z[i].known() && s[i] != z[i]);
        KILN_CHECK(both_single || same, InvalidArgument, node.describe(), ": scale ", symbolic_shape_to_string(s),
                   " and zero point ", symbolic_shape_to_string(z), " must have the same shape");
    }
    if (!scale || !scale->has_rank() || !x.has_rank()) return;
    const SymbolicShape& s = *scale->shape;
    const SymbolicShape& xs = *x.shape;
    if (s.empty() || known_count(s) == 1) return;  // per tensor
    int64_t rank = static_cast<int64_t>(xs.size());
    KILN_CHECK(rank >= 1, InvalidArgument, node.describe(), ": scale ", symbolic_shape_to_string(s),
               " needs an input of rank >= 1, got a scalar");
    int64_t axis = normalize_axis(node, node.attr_int("axis", 1), rank);
    if (block == 0) {
        KILN_CHECK(s.size() == 1, InvalidArgument, node.describe(), ": scale ", symbolic_shape_to_string(s),
                   " must be a scalar or 1-D (per-axis) without block_size");
        if (s[0].known() && xs[axis].known())
            KILN_CHECK(s[0].value == xs[axis].value, InvalidArgument, node.describe(), ": scale ",
                       symbolic_shape_to_string(s), " does not match axis ", axis, " of input ",
                       symbolic_shape_to_string(xs));
        return;
    }
    KILN_CHECK(static_cast<int64_t>(s.size()) == rank, InvalidArgument, node.describe(), ": blocked scale ",
               symbolic_shape_to_string(s), " must have the rank of input ", symbolic_shape_to_string(xs));
    for (int64_t d = 0; d < rank; ++d) {
        if (!s[d].known() || !xs[d].known()) continue;
        int64_t want = d == axis ? (xs[d].value + block - 1) / block : xs[d].value;
        KILN_CHECK(s[d].value == want, InvalidArgument, node.describe(), ": blocked scale ",
                   symbolic_shape_to_string(s), " does not fit input ", symbolic_shape_to_string(xs), " with axis ",
                   axis, " and block_size ", block);
    }
}

void infer_quantize(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    const TensorInfo* scale = ctx.input(1);
    const TensorInfo* zp = ctx.input(2);
    KILN_CHECK(x && scale, InvalidModel, node.describe(), ": needs inputs x and y_scale");
    DType out = static_cast<DType>(node.attr_int("output_dtype", 0));
    if (zp && zp->dtype != DType::Undefined) {
        KILN_CHECK(out == DType::Undefined || out == zp->dtype, InvalidModel, node.describe(), ": output_dtype ",
                   dtype_name(out), " differs from y_zero_point's type ", dtype_name(zp->dtype));
        out = zp->dtype;
    }
    if (out == DType::Undefined && !zp) out = DType::UInt8;
    KILN_CHECK(out == DType::Undefined || is_quantized_type(out), InvalidModel, node.describe(), ": ", dtype_name(out),
               " is not a quantized type");
    check_quant_params(node, *x, scale, zp);
    ctx.outputs.at(0).dtype = out;
    ctx.outputs[0].shape = x->shape;
}

void infer_dequantize(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    const TensorInfo* scale = ctx.input(1);
    const TensorInfo* zp = ctx.input(2);
    KILN_CHECK(x && scale, InvalidModel, node.describe(), ": needs inputs x and x_scale");
    if (zp && zp->dtype != DType::Undefined && x->dtype != DType::Undefined)
        KILN_CHECK(zp->dtype == x->dtype, InvalidModel, node.describe(), ": x is ", dtype_name(x->dtype),
                   " but x_zero_point is ", dtype_name(zp->dtype));
    DType out = static_cast<DType>(node.attr_int("output_dtype", 0));
    if (out == DType::Undefined) out = scale->dtype == DType::Float8E8M0 ? DType::Float : scale->dtype;
    check_quant_params(node, *x, scale, zp);
    ctx.outputs.at(0).dtype = out;
    ctx.outputs[0].shape = x->shape;
}

// numpy matmul of a and b (1-D promotion, batch broadcasting).
std::optional<SymbolicShape> matmul_shape(const ir::Node& node, const TensorInfo& a, const TensorInfo& b) {
    if (!a.has_rank() || !b.has_rank()) return std::nullopt;
    SymbolicShape as = *a.shape;
    SymbolicShape bs = *b.shape;
    KILN_CHECK(!as.empty() && !bs.empty(), InvalidArgument, node.describe(), ": matmul inputs must not be scalars");
    bool a_vec = as.size() == 1;
    bool b_vec = bs.size() == 1;
    if (a_vec) as.insert(as.begin(), Dim(1));
    if (b_vec) bs.push_back(Dim(1));
    const Dim& ka = as.back();
    const Dim& kb = bs[bs.size() - 2];
    if (ka.known() && kb.known())
        KILN_CHECK(ka.value == kb.value, InvalidArgument, node.describe(), ": inner dimensions differ: A ",
                   symbolic_shape_to_string(a.shape), " x B ", symbolic_shape_to_string(b.shape));
    SymbolicShape a_batch(as.begin(), as.end() - 2);
    SymbolicShape b_batch(bs.begin(), bs.end() - 2);
    SymbolicShape out = broadcast_shapes(node, {&a_batch, &b_batch});
    if (!a_vec) out.push_back(as[as.size() - 2]);
    if (!b_vec) out.push_back(bs.back());
    return out;
}

// Conv output shape of x [N, C, spatial...] and w [M, C/group, k...]; bias (when given) [M].
std::optional<SymbolicShape> conv_shape(const ir::Node& node, const TensorInfo& x, const TensorInfo& w,
                                        const TensorInfo* bias) {
    int64_t group = node.attr_int("group", 1);
    KILN_CHECK(group >= 1, InvalidModel, node.describe(), ": group must be >= 1, got ", group);
    if (!x.has_rank() && !w.has_rank()) return std::nullopt;
    size_t rank = x.has_rank() ? x.shape->size() : w.shape->size();
    KILN_CHECK(rank >= 3, InvalidModel, node.describe(), ": x must have rank >= 3 (N, C, spatial...), got ",
               symbolic_shape_to_string(x.shape));
    if (x.has_rank() && w.has_rank())
        KILN_CHECK(x.shape->size() == w.shape->size(), InvalidModel, node.describe(), ": x ",
                   symbolic_shape_to_string(x.shape), " and w ", symbolic_shape_to_string(w.shape),
                   " must have the same rank");
    SymbolicShape xs = x.has_rank() ? *x.shape : SymbolicShape(rank);
    SymbolicShape ws = w.has_rank() ? *w.shape : SymbolicShape(rank);
    size_t spatial = rank - 2;
    if (known(xs, 1) && known(ws, 1))
        KILN_CHECK(xs[1].value == ws[1].value * group, InvalidArgument, node.describe(), ": x ",
                   symbolic_shape_to_string(xs), " has ", xs[1].value, " channels but w ", symbolic_shape_to_string(ws),
                   " expects ", ws[1].value, " x group ", group);
    if (known(ws, 0))
        KILN_CHECK(ws[0].value % group == 0, InvalidArgument, node.describe(), ": ", ws[0].value,
                   " output channels are not divisible by group ", group);
    if (bias && bias->has_rank() && known(ws, 0))
        KILN_CHECK(bias->shape->size() == 1 && (!(*bias->shape)[0].known() || (*bias->shape)[0].value == ws[0].value),
                   InvalidArgument, node.describe(), ": bias ", symbolic_shape_to_string(bias->shape), " must be [",
                   ws[0].value, "]");
    SymbolicShape out(rank);
    out[0] = xs[0];
    out[1] = ws[0];
    std::vector<int64_t> kernel(spatial, -1);
    if (node.has_attribute("kernel_shape")) {
        kernel = node.attr_ints("kernel_shape");
        KILN_CHECK(kernel.size() == spatial, InvalidModel, node.describe(), ": kernel_shape has ", kernel.size(),
                   " dims but the input has ", spatial, " spatial dims");
        for (size_t i = 0; i < spatial; ++i)
            if (known(ws, i + 2))
                KILN_CHECK(ws[i + 2].value == kernel[i], InvalidModel, node.describe(), ": kernel_shape ",
                           shape_to_string(kernel), " does not match w ", symbolic_shape_to_string(ws));
    } else {
        for (size_t i = 0; i < spatial; ++i)
            if (known(ws, i + 2)) kernel[i] = ws[i + 2].value;
    }
    if (std::any_of(kernel.begin(), kernel.end(), [](int64_t k) { return k < 0; })) return out;
    Window win = read_window(node, spatial, kernel);
    for (size_t d = 0; d < spatial; ++d) {
        int64_t o = resolve_window_dim(node, win, d, xs[d + 2].known() ? xs[d + 2].value : -1);
        if (o >= 0) {
            KILN_CHECK(o > 0, InvalidArgument, node.describe(), ": empty output for x ", symbolic_shape_to_string(xs));
            out[d + 2] = o;
        }
    }
    return out;
}

void check_zero_point_type(const ir::Node& node, const TensorInfo* v, const TensorInfo* zp, const char* what) {
    if (v && zp && v->dtype != DType::Undefined && zp->dtype != DType::Undefined)
        KILN_CHECK(v->dtype == zp->dtype, InvalidModel, node.describe(), ": ", what, " is ", dtype_name(v->dtype),
                   " but its zero point is ", dtype_name(zp->dtype));
}

}  // namespace

void infer_Quant(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    KILN_CHECK(!ctx.outputs.empty(), InvalidModel, node.describe(), ": expects an output");
    switch (node.op) {
        case OpKind::BitwiseNot:
            KILN_CHECK(ctx.input(0), InvalidModel, node.describe(), ": needs input X");
            ctx.outputs[0] = same_as(ctx.input(0));
            return;
        case OpKind::QuantizeLinear:
            infer_quantize(ctx);
            return;
        case OpKind::DequantizeLinear:
            infer_dequantize(ctx);
            return;
        case OpKind::DynamicQuantizeLinear: {
            const TensorInfo* x = ctx.input(0);
            KILN_CHECK(x, InvalidModel, node.describe(), ": needs input x");
            KILN_CHECK(ctx.outputs.size() == 3, InvalidModel, node.describe(), ": expects 3 outputs");
            ctx.outputs[0].dtype = DType::UInt8;
            ctx.outputs[0].shape = x->shape;
            ctx.outputs[1] = static_info(DType::Float, {});
            ctx.outputs[2] = static_info(DType::UInt8, {});
            return;
        }
        case OpKind::MatMulInteger: {
            const TensorInfo* a = ctx.input(0);
            const TensorInfo* b = ctx.input(1);
            KILN_CHECK(a && b, InvalidModel, node.describe(), ": needs inputs A and B");
            check_zero_point_type(node, a, ctx.input(2), "A");
            check_zero_point_type(node, b, ctx.input(3), "B");
            ctx.outputs[0].dtype = DType::Int32;
            ctx.outputs[0].shape = matmul_shape(node, *a, *b);
            return;
        }
        case OpKind::QLinearMatMul: {
            const TensorInfo* a = ctx.input(0);
            const TensorInfo* b = ctx.input(3);
            const TensorInfo* yz = ctx.input(7);
            KILN_CHECK(a && b && ctx.input(1) && ctx.input(4) && ctx.input(6) && yz, InvalidModel, node.describe(),
                       ": needs a, a_scale, b, b_scale, y_scale and y_zero_point");
            check_zero_point_type(node, a, ctx.input(2), "a");
            check_zero_point_type(node, b, ctx.input(5), "b");
            ctx.outputs[0].dtype = yz->dtype;
            ctx.outputs[0].shape = matmul_shape(node, *a, *b);
            return;
        }
        case OpKind::ConvInteger: {
            const TensorInfo* x = ctx.input(0);
            const TensorInfo* w = ctx.input(1);
            KILN_CHECK(x && w, InvalidModel, node.describe(), ": needs inputs x and w");
            check_zero_point_type(node, x, ctx.input(2), "x");
            check_zero_point_type(node, w, ctx.input(3), "w");
            ctx.outputs[0].dtype = DType::Int32;
            ctx.outputs[0].shape = conv_shape(node, *x, *w, nullptr);
            return;
        }
        case OpKind::QLinearConv: {
            const TensorInfo* x = ctx.input(0);
            const TensorInfo* w = ctx.input(3);
            const TensorInfo* yz = ctx.input(7);
            KILN_CHECK(x && w && ctx.input(1) && ctx.input(2) && ctx.input(4) && ctx.input(5) && ctx.input(6) && yz,
                       InvalidModel, node.describe(), ": needs x, x_scale, x_zero_point, w, w_scale, w_zero_point, ",
                       "y_scale and y_zero_point");
            check_zero_point_type(node, x, ctx.input(2), "x");
            check_zero_point_type(node, w, ctx.input(5), "w");
            ctx.outputs[0].dtype = yz->dtype;
            ctx.outputs[0].shape = conv_shape(node, *x, *w, ctx.input(8));
            return;
        }
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Quant-family op");
    }
}

}  // namespace kiln::ops
