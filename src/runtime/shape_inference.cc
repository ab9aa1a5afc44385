#include "runtime/shape_inference.h"

#include "ops/op_def.h"

namespace kiln::rt {
namespace {

// The inferred type, with dims the declaration knows better filled in from it.
TensorInfo merge(const TensorInfo& declared, const TensorInfo& inferred) {
    TensorInfo out = inferred;
    if (out.dtype == DType::Undefined) out.dtype = declared.dtype;
    if (!out.shape) return declared.shape ? TensorInfo{out.dtype, declared.shape, out.kind} : out;
    if (declared.shape && declared.shape->size() == out.shape->size()) {
        for (size_t i = 0; i < out.shape->size(); ++i) {
            Dim& d = (*out.shape)[i];
            const Dim& want = (*declared.shape)[i];
            if (!d.known() && (want.known() || d.symbol.empty())) d = want;
        }
    }
    return out;
}

}  // namespace

void infer_graph_shapes(ir::Graph& graph) {
    for (ir::Node* node : graph.topological_order()) {
        if (node->op == OpKind::Unknown) continue;
        ops::InferContext ctx{*node, {}, {}, {}};
        for (const ir::Value* v : node->inputs) {
            ctx.inputs.push_back(v ? &v->type : nullptr);
            ctx.values.push_back(v && v->constant && !v->is_graph_input ? &*v->constant : nullptr);
        }
        try {
            ops::infer_node(ctx);
        } catch (const Error& e) {
            if (e.code() == ErrorCode::NotImplemented) continue;
            throw;
        }
        for (size_t i = 0; i < node->outputs.size(); ++i) {
            if (ir::Value* v = node->outputs[i]) v->type = merge(v->type, ctx.outputs[i]);
        }
    }
}

}  // namespace kiln::rt
