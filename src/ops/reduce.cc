// Shape functions of the Reduce family (see op_list.inc). ReduceX: axes is optional input 1 (empty or omitted:
// all axes, or none with noop_with_empty_axes=1), keepdims keeps reduced dims as 1. ArgMax/ArgMin: one `axis`
// attribute, int64 output.
#include <algorithm>

#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

void infer_Reduce(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x != nullptr, InvalidModel, node.describe(), ": input 0 is required");
    KILN_CHECK(!ctx.outputs.empty(), InvalidModel, node.describe(), ": expects one output");
    bool keepdims = node.attr_int("keepdims", 1) != 0;
    TensorInfo out;
    out.dtype = x->dtype;

    if (node.op == OpKind::ArgMax || node.op == OpKind::ArgMin) {
        out.dtype = DType::Int64;
        if (x->has_rank()) {
            const SymbolicShape& in = *x->shape;
            int64_t rank = static_cast<int64_t>(in.size());
            KILN_CHECK(rank >= 1, InvalidModel, node.describe(), ": input must have rank >= 1");
            int64_t axis = normalize_axis(node, node.attr_int("axis", 0), rank);
            const Dim& d = in[axis];
            KILN_CHECK(!d.known() || d.value > 0, InvalidArgument, node.describe(), ": cannot reduce over axis ", axis,
                       " of size 0");
            SymbolicShape s;
            for (int64_t i = 0; i < rank; ++i) {
                if (i != axis) {
                    s.push_back(in[i]);
                } else if (keepdims) {
                    s.push_back(Dim(1));
                }
            }
            out.shape = s;
        }
        ctx.outputs[0] = out;
        return;
    }

    bool noop = node.attr_int("noop_with_empty_axes", 0) != 0;
    const TensorInfo* axes_info = ctx.input(1);
    const Tensor* axes_value = ctx.value(1);
    if (axes_info && axes_info->dtype != DType::Undefined) {
        KILN_CHECK(axes_info->dtype == DType::Int64, InvalidModel, node.describe(), ": axes must be int64, got ",
                   dtype_name(axes_info->dtype));
    }
    if (!x->has_rank()) {
        ctx.outputs[0] = out;
        return;
    }
    const SymbolicShape& in = *x->shape;
    int64_t rank = static_cast<int64_t>(in.size());
    if (axes_info && !axes_value) {
        // Axes only known at run time. With keepdims the rank is kept whatever they are.
        if (keepdims) {
            out.shape = SymbolicShape(in.size(), Dim());
        } else if (axes_info->is_static() && axes_info->shape->size() == 1) {
            int64_t k = (*axes_info->shape)[0].value;
            if (k > 0) out.shape = SymbolicShape(static_cast<size_t>(std::max<int64_t>(rank - k, 0)), Dim());
            if (k == 0) out.shape = noop ? in : SymbolicShape{};
        }
        ctx.outputs[0] = out;
        return;
    }
    std::vector<int64_t> axes;
    if (axes_value) axes = tensor_to_int64s(*axes_value);
    if (axes.empty() && noop) {
        out.shape = in;
        ctx.outputs[0] = out;
        return;
    }
    if (rank == 0) {  // a scalar reduces to itself
        out.shape = SymbolicShape{};
        ctx.outputs[0] = out;
        return;
    }
    std::vector<bool> reduced(rank, axes.empty());
    for (int64_t a : axes) {
        int64_t n = normalize_axis(node, a, rank);
        reduced[n] = true;
    }
    SymbolicShape s;
    for (int64_t i = 0; i < rank; ++i) {
        if (!reduced[i]) {
            s.push_back(in[i]);
        } else if (keepdims) {
            s.push_back(Dim(1));
        }
    }
    out.shape = s;
    ctx.outputs[0] = out;
}

}  // namespace kiln::ops
