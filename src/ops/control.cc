// Shape functions of If, Loop and Scan: from the types their subgraphs declare for their outputs. The runtime
// executes these ops itself and takes the real shapes from the subgraph's results.
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

const ir::Graph& subgraph(const ir::Node& node, const char* key) {
    const ir::Attribute& a = node.attr(key);
    KILN_CHECK(a.kind == ir::Attribute::Kind::Graph && a.g, InvalidModel, node.describe(), ": attribute '", key,
               "' must be a graph");
    return *a.g;
}

// The subgraph output's type with a leading dim of unknown size (stacked per-iteration outputs).
TensorInfo stacked(const TensorInfo& per_iteration) {
    TensorInfo out = per_iteration;
    if (out.shape) out.shape->insert(out.shape->begin(), Dim());
    return out;
}

void infer_if(InferContext& ctx) {
    const ir::Graph& then_branch = subgraph(ctx.node, "then_branch");
    const ir::Graph& else_branch = subgraph(ctx.node, "else_branch");
    KILN_CHECK(then_branch.outputs().size() == ctx.outputs.size() && else_branch.outputs().size() == ctx.outputs.size(),
               InvalidModel, ctx.node.describe(), ": branches must have ", ctx.outputs.size(), " outputs");
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
        const TensorInfo& a = then_branch.outputs()[i]->type;
        const TensorInfo& b = else_branch.outputs()[i]->type;
        TensorInfo out{a.dtype != DType::Undefined ? a.dtype : b.dtype, std::nullopt, a.kind};
        if (a.shape && b.shape && a.shape->size() == b.shape->size()) {
            out.shape = SymbolicShape(a.shape->size());
            for (size_t d = 0; d < a.shape->size(); ++d) {
                if ((*a.shape)[d] == (*b.shape)[d]) (*out.shape)[d] = (*a.shape)[d];
            }
        }
        ctx.outputs[i] = out;
    }
}

// Loop: outputs are the N loop-carried values (body outputs 1..N) then the scan outputs (stacked).
// Scan: outputs are the N state values then the scan outputs (stacked along scan_output_axes, shown as axis 0).
void infer_loop_or_scan(InferContext& ctx, size_t first_carried_body_output) {
    const ir::Graph& body = subgraph(ctx.node, "body");
    const auto& outs = body.outputs();
    KILN_CHECK(
        outs.size() >= first_carried_body_output && outs.size() - first_carried_body_output == ctx.outputs.size(),
        InvalidModel, ctx.node.describe(), ": body has ", outs.size(), " outputs for ", ctx.outputs.size(),
        " node outputs");
    size_t carried = ctx.node.op == OpKind::Loop ? ctx.input_count() - 2
                                                 : ctx.input_count() - ctx.node.attr_int("num_scan_inputs", 0);
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
        const TensorInfo& t = outs[first_carried_body_output + i]->type;
        bool is_carried = i < carried;
        if (ctx.node.op == OpKind::Scan && !is_carried) {
            ctx.outputs[i] = TensorInfo{t.dtype, std::nullopt};  // the scan axis may be any
        } else {
            ctx.outputs[i] = is_carried ? TensorInfo{t.dtype, t.shape, t.kind} : stacked(t);
        }
    }
}

}  // namespace

void infer_Control(InferContext& ctx) {
    switch (ctx.node.op) {
        case OpKind::If:
            return infer_if(ctx);
        case OpKind::Loop:
            return infer_loop_or_scan(ctx, 1);
        case OpKind::Scan:
            return infer_loop_or_scan(ctx, 0);
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not a control-flow op");
    }
}

}  // namespace kiln::ops
