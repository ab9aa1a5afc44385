// Shape functions of the Unary family (see op_list.inc): output 0 has the input's shape and dtype (bool for
// IsNaN/IsInf); Dropout's optional output 1 is a bool mask of the same shape.
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

void infer_Unary(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x != nullptr, InvalidModel, node.describe(), ": input 0 is required");
    KILN_CHECK(!ctx.outputs.empty(), InvalidModel, node.describe(), ": expects at least one output");
    TensorInfo out = same_as(x);
    if (node.op == OpKind::IsNaN || node.op == OpKind::IsInf) out.dtype = DType::Bool;
    if (node.op == OpKind::Not) {
        KILN_CHECK(x->dtype == DType::Bool || x->dtype == DType::Undefined, InvalidModel, node.describe(),
                   ": input must be bool, got ", dtype_name(x->dtype));
    }
    if (node.op == OpKind::Clip) {
        for (size_t i = 1; i < 3; ++i) {
            const TensorInfo* b = ctx.input(i);
            if (!b) continue;
            KILN_CHECK(b->dtype == x->dtype || b->dtype == DType::Undefined || x->dtype == DType::Undefined,
                       InvalidModel, node.describe(), ": ", i == 1 ? "min" : "max", " has dtype ", dtype_name(b->dtype),
                       ", input has ", dtype_name(x->dtype));
            if (b->is_static()) {
                int64_t count = 1;
                for (const Dim& d : *b->shape) count *= d.value;
                KILN_CHECK(count == 1, InvalidModel, node.describe(), ": ", i == 1 ? "min" : "max",
                           " must be a scalar, got shape ", symbolic_shape_to_string(b->shape));
            }
        }
    }
    ctx.outputs[0] = out;
    if (node.op == OpKind::Dropout && ctx.outputs.size() > 1) {
        TensorInfo mask = same_as(x);
        mask.dtype = DType::Bool;
        ctx.outputs[1] = mask;
    }
}

}  // namespace kiln::ops
