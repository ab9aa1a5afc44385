// Shape functions of the Norm family (see op_list.inc): BatchNormalization (inference), InstanceNormalization,
// LayerNormalization (optional Mean / InvStdDev), LpNormalization, and the per-axis (opset 13) Softmax, LogSoftmax
// and Hardmax.
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

// Checks that a per-channel input (scale, bias, mean, var; all required) is present and [C].
void check_channel_input(const ir::Node& node, const TensorInfo* p, const char* what, const Dim& c) {
    KILN_CHECK(p, InvalidModel, node.describe(), ": needs input ", what);
    if (!p->has_rank()) return;
    KILN_CHECK(p->shape->size() == 1, InvalidArgument, node.describe(), ": ", what, " ",
               symbolic_shape_to_string(p->shape), " must be 1-D");
    if (c.known() && (*p->shape)[0].known())
        KILN_CHECK((*p->shape)[0].value == c.value, InvalidArgument, node.describe(), ": ", what, " ",
                   symbolic_shape_to_string(p->shape), " does not match ", c.value, " channels");
}

}  // namespace

void infer_Norm(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
    ctx.outputs.at(0) = *x;
    switch (node.op) {
        case OpKind::BatchNormalization:
        case OpKind::InstanceNormalization: {
            Dim c;
            if (x->has_rank()) {
                KILN_CHECK(x->shape->size() >= 2, InvalidArgument, node.describe(), ": X ",
                           symbolic_shape_to_string(x->shape), " must have rank >= 2");
                c = (*x->shape)[1];
            }
            const char* names[] = {"X", "scale", "B", "input_mean", "input_var"};
            size_t params = node.op == OpKind::BatchNormalization ? 5 : 3;
            for (size_t i = 1; i < params; ++i) check_channel_input(node, ctx.input(i), names[i], c);
            // Training-mode outputs running_mean / running_var: [C].
            for (size_t i = 1; i < ctx.outputs.size(); ++i) {
                ctx.outputs[i].dtype = ctx.input(3) ? ctx.input(3)->dtype : x->dtype;
                ctx.outputs[i].shape = SymbolicShape{c};
            }
            break;
        }
        case OpKind::LayerNormalization: {
            KILN_CHECK(ctx.input(1), InvalidModel, node.describe(), ": needs input Scale");
            DType stash = static_cast<DType>(node.attr_int("stash_type", 1));
            for (size_t i = 1; i < ctx.outputs.size(); ++i) ctx.outputs[i].dtype = stash;
            if (!x->has_rank()) break;
            int64_t rank = static_cast<int64_t>(x->shape->size());
            int64_t axis = normalize_axis(node, node.attr_int("axis", -1), rank);
            SymbolicShape stat = *x->shape;
            for (int64_t d = axis; d < rank; ++d) stat[d] = 1;
            for (size_t i = 1; i < ctx.outputs.size(); ++i) ctx.outputs[i].shape = stat;
            break;
        }
        case OpKind::LpNormalization:
        case OpKind::Softmax:
        case OpKind::LogSoftmax:
        case OpKind::Hardmax:
            if (x->has_rank()) normalize_axis(node, node.attr_int("axis", -1), static_cast<int64_t>(x->shape->size()));
            break;
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Norm-family op");
    }
}

}  // namespace kiln::ops
