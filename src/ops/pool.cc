// Shape functions of the Pool family (see op_list.inc): AveragePool, MaxPool (with optional int64 Indices), LpPool
// and the Global* pools, 1-D/2-D/3-D, NCHW.
#include "ops/conv_window.h"
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

void infer_Pool(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
    for (size_t i = 0; i < ctx.outputs.size(); ++i) ctx.outputs[i].dtype = i == 0 ? x->dtype : DType::Int64;
    const bool global =
        node.op == OpKind::GlobalAveragePool || node.op == OpKind::GlobalMaxPool || node.op == OpKind::GlobalLpPool;
    size_t rank = 0;
    if (x->has_rank()) {
        rank = x->shape->size();
    } else if (!global) {
        rank = node.attr_ints("kernel_shape").size() + 2;
    } else {
        return;
    }
    KILN_CHECK(rank >= 3, InvalidModel, node.describe(), ": X must have rank >= 3 (N, C, spatial...), got ",
               symbolic_shape_to_string(x->shape));
    SymbolicShape xs = x->has_rank() ? *x->shape : SymbolicShape(rank);
    SymbolicShape out(rank);
    out[0] = xs[0];
    out[1] = xs[1];
    size_t spatial = rank - 2;
    if (global) {
        for (size_t d = 0; d < spatial; ++d) out[d + 2] = 1;
    } else {
        Window win = read_window(node, spatial, node.attr("kernel_shape").ints);
        for (size_t d = 0; d < spatial; ++d) {
            int64_t o = resolve_window_dim(node, win, d, xs[d + 2].known() ? xs[d + 2].value : -1);
            if (o >= 0) {
                KILN_CHECK(o > 0, InvalidArgument, node.describe(), ": empty output for X ",
                           symbolic_shape_to_string(xs));
                out[d + 2] = o;
            }
        }
    }
    for (auto& o : ctx.outputs) o.shape = out;
}

}  // namespace kiln::ops
