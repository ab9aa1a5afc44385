// Shape functions of the Layout family (see op_list.inc): data movement, constants and casts.
// Many of these ops take their output shape from input VALUES (Reshape's shape, Slice's starts, Range's limits...).
// Those values are known for constants at load time and always at run time; where they are unknown, the output rank
// or dims stay unknown. This file holds the dispatch and the ops whose output is not a rearrangement of the input;
// layout_shape.cc holds the rearranging ones.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "common/half.h"
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

// Defined in layout_shape.cc.
namespace layout {
void infer_concat(InferContext& ctx);
void infer_depth_space(InferContext& ctx);
void infer_expand(InferContext& ctx);
void infer_flatten(InferContext& ctx);
void infer_gather(InferContext& ctx);
void infer_gather_elements(InferContext& ctx);
void infer_pad(InferContext& ctx);
void infer_reshape(InferContext& ctx);
void infer_slice(InferContext& ctx);
void infer_split(InferContext& ctx);
void infer_squeeze(InferContext& ctx);
void infer_tile(InferContext& ctx);
void infer_transpose(InferContext& ctx);
void infer_unsqueeze(InferContext& ctx);
}  // namespace layout

namespace {

const TensorInfo& required_input(const InferContext& ctx, size_t i) {
    const TensorInfo* in = ctx.input(i);
    KILN_CHECK(in != nullptr, InvalidModel, ctx.node.describe(), ": required input ", i, " is missing");
    return *in;
}

DType cast_target(const ir::Node& node) {
    int64_t to = node.attr("to").i;
    KILN_CHECK(dtype_is_valid(static_cast<int32_t>(to)), InvalidModel, node.describe(), ": 'to' = ", to,
               " is not a data type");
    return static_cast<DType>(to);
}

void infer_cast(InferContext& ctx) {
    const TensorInfo& in = required_input(ctx, 0);
    ctx.outputs[0] = in;
    if (ctx.node.op == OpKind::CastLike) {
        ctx.outputs[0].dtype = required_input(ctx, 1).dtype;
    } else {
        ctx.outputs[0].dtype = cast_target(ctx.node);
    }
}

void infer_constant(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    KILN_CHECK(node.attributes.size() == 1, InvalidModel, node.describe(),
               ": Constant needs exactly one value attribute, got ", node.attributes.size());
    const auto& [key, a] = *node.attributes.begin();
    if (key == "value") {
        ctx.outputs[0] = static_info(a.t.dtype(), a.t.shape());
    } else if (key == "value_float") {
        ctx.outputs[0] = static_info(DType::Float, {});
    } else if (key == "value_floats") {
        ctx.outputs[0] = static_info(DType::Float, {static_cast<int64_t>(a.floats.size())});
    } else if (key == "value_int") {
        ctx.outputs[0] = static_info(DType::Int64, {});
    } else if (key == "value_ints") {
        ctx.outputs[0] = static_info(DType::Int64, {static_cast<int64_t>(a.ints.size())});
    } else if (key == "value_string") {
        ctx.outputs[0] = static_info(DType::String, {});
    } else if (key == "value_strings") {
        ctx.outputs[0] = static_info(DType::String, {static_cast<int64_t>(a.strings.size())});
    } else {
        fail(ErrorCode::NotImplemented, node.describe(), ": Constant attribute '", key, "' is not supported");
    }
}

void infer_constant_of_shape(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    DType dtype = DType::Float;
    if (const ir::Attribute* v = node.find_attribute("value")) {
        KILN_CHECK(v->t.element_count() == 1, InvalidModel, node.describe(), ": 'value' must hold one element, not ",
                   v->t.element_count());
        dtype = v->t.dtype();
    }
    ctx.outputs[0].dtype = dtype;
    if (const Tensor* shape = ctx.value(0)) {
        KILN_CHECK(shape->rank() == 1, InvalidModel, node.describe(), ": the shape input must be 1-D, got ",
                   shape_to_string(shape->shape()));
        Shape dims = tensor_to_int64s(*shape);
        for (int64_t d : dims) {
            KILN_CHECK(d >= 0, InvalidArgument, node.describe(), ": negative dimension in shape ",
                       shape_to_string(dims));
        }
        ctx.outputs[0].shape = SymbolicShape(dims.begin(), dims.end());
    } else if (in.has_rank() && in.shape->size() == 1 && (*in.shape)[0].known()) {
        ctx.outputs[0].shape = SymbolicShape(static_cast<size_t>((*in.shape)[0].value), Dim());
    }
}

void infer_eye_like(InferContext& ctx) {
    const TensorInfo& in = required_input(ctx, 0);
    KILN_CHECK(!in.has_rank() || in.shape->size() == 2, InvalidModel, ctx.node.describe(), ": input must be 2-D, got ",
               symbolic_shape_to_string(in.shape));
    ctx.outputs[0] = in;
    if (ctx.node.has_attribute("dtype")) {
        int64_t dt = ctx.node.attr("dtype").i;
        KILN_CHECK(dtype_is_valid(static_cast<int32_t>(dt)), InvalidModel, ctx.node.describe(), ": 'dtype' = ", dt,
                   " is not a data type");
        ctx.outputs[0].dtype = static_cast<DType>(dt);
    }
}

// The scalar at input i as a double (for Range), checking that it is a one-element tensor.
double scalar_value(const InferContext& ctx, size_t i, const char* what) {
    const Tensor* t = ctx.value(i);
    KILN_CHECK(t->element_count() == 1, InvalidArgument, ctx.node.describe(), ": '", what,
               "' must be a scalar, got shape ", shape_to_string(t->shape()));
    return tensor_to_doubles(*t)[0];
}

void infer_range(InferContext& ctx) {
    const TensorInfo& start = required_input(ctx, 0);
    required_input(ctx, 1);
    required_input(ctx, 2);
    ctx.outputs[0].dtype = start.dtype;
    ctx.outputs[0].shape = SymbolicShape{Dim()};
    if (!ctx.value(0) || !ctx.value(1) || !ctx.value(2)) return;
    double s = scalar_value(ctx, 0, "start");
    double l = scalar_value(ctx, 1, "limit");
    double d = scalar_value(ctx, 2, "delta");
    KILN_CHECK(d != 0, InvalidArgument, ctx.node.describe(), ": 'delta' must not be zero");
    int64_t count = 0;
    if (dtype_is_integer(start.dtype)) {
        // Exact integer arithmetic: ceil((limit - start) / delta), in 128 bits so that neither the span nor
        // INT64_MIN / -1 overflows (the latter traps).
        __int128 si = static_cast<int64_t>(s), li = static_cast<int64_t>(l), di = static_cast<int64_t>(d);
        __int128 span = li - si;
        __int128 q = span / di;
        if (q * di != span && ((span > 0) == (di > 0))) ++q;
        KILN_CHECK(q <= std::numeric_limits<int64_t>::max(), InvalidArgument, ctx.node.describe(), ": Range from ", s,
                   " to ", l, " by ", d, " has more elements than int64 holds");
        count = static_cast<int64_t>(std::max<__int128>(q, 0));
    } else {
        // In double, like numpy.arange in the reference.
        double c = std::max(0.0, std::ceil((l - s) / d));
        KILN_CHECK(c < 9.2e18, InvalidArgument, ctx.node.describe(), ": Range from ", s, " to ", l, " by ", d,
                   " has too many elements");
        count = static_cast<int64_t>(c);
    }
    ctx.outputs[0].shape = SymbolicShape{Dim(count)};
}

void infer_shape(InferContext& ctx) {
    const TensorInfo& in = required_input(ctx, 0);
    ctx.outputs[0].dtype = DType::Int64;
    if (!in.has_rank()) {
        ctx.outputs[0].shape = SymbolicShape{Dim()};
        return;
    }
    int64_t rank = static_cast<int64_t>(in.shape->size());
    auto clamp = [&](int64_t v) {
        if (v < 0) v += rank;
        return std::clamp<int64_t>(v, 0, rank);
    };
    int64_t start = clamp(ctx.node.attr_int("start", 0));
    int64_t end = clamp(ctx.node.attr_int("end", rank));
    ctx.outputs[0].shape = SymbolicShape{Dim(std::max<int64_t>(end - start, 0))};
}

void infer_trilu(InferContext& ctx) {
    const TensorInfo& in = required_input(ctx, 0);
    KILN_CHECK(!in.has_rank() || in.shape->size() >= 2, InvalidModel, ctx.node.describe(),
               ": input must have rank >= 2, got ", symbolic_shape_to_string(in.shape));
    ctx.outputs[0] = in;
}

}  // namespace

void infer_Layout(InferContext& ctx) {
    switch (ctx.node.op) {
        case OpKind::Cast:
        case OpKind::CastLike:
            infer_cast(ctx);
            break;
        case OpKind::Concat:
            layout::infer_concat(ctx);
            break;
        case OpKind::Constant:
            infer_constant(ctx);
            break;
        case OpKind::ConstantOfShape:
            infer_constant_of_shape(ctx);
            break;
        case OpKind::DepthToSpace:
        case OpKind::SpaceToDepth:
            layout::infer_depth_space(ctx);
            break;
        case OpKind::Expand:
            layout::infer_expand(ctx);
            break;
        case OpKind::EyeLike:
            infer_eye_like(ctx);
            break;
        case OpKind::Flatten:
            layout::infer_flatten(ctx);
            break;
        case OpKind::Gather:
            layout::infer_gather(ctx);
            break;
        case OpKind::GatherElements:
            layout::infer_gather_elements(ctx);
            break;
        case OpKind::Pad:
            layout::infer_pad(ctx);
            break;
        case OpKind::Range:
            infer_range(ctx);
            break;
        case OpKind::Reshape:
            layout::infer_reshape(ctx);
            break;
        case OpKind::Shape:
            infer_shape(ctx);
            break;
        case OpKind::Size:
            required_input(ctx, 0);
            ctx.outputs[0] = static_info(DType::Int64, {});
            break;
        case OpKind::Slice:
            layout::infer_slice(ctx);
            break;
        case OpKind::Split:
            layout::infer_split(ctx);
            break;
        case OpKind::Squeeze:
            layout::infer_squeeze(ctx);
            break;
        case OpKind::Tile:
            layout::infer_tile(ctx);
            break;
        case OpKind::Transpose:
            layout::infer_transpose(ctx);
            break;
        case OpKind::Trilu:
            infer_trilu(ctx);
            break;
        case OpKind::Unsqueeze:
            layout::infer_unsqueeze(ctx);
            break;
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not a Layout op");
    }
}

}  // namespace kiln::ops
