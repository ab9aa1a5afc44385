#include "providers/cpu/evaluate.h"

#include <unordered_map>

#include "ops/op_def.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

TensorInfo info_of(const Tensor& t) { return TensorInfo{t.dtype(), SymbolicShape(t.shape().begin(), t.shape().end())}; }

std::vector<Tensor> evaluate_node(const ir::Node& node, const std::vector<const Tensor*>& inputs, int threads) {
    std::vector<TensorInfo> infos(inputs.size());
    ops::InferContext ictx{node, {}, {}, {}};
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i]) infos[i] = info_of(*inputs[i]);
        ictx.inputs.push_back(inputs[i] ? &infos[i] : nullptr);
        ictx.values.push_back(inputs[i]);
    }
    ops::infer_node(ictx);
    std::vector<Tensor> outputs(node.outputs.size());
    KernelContext kctx{node, inputs, {}, threads};
    for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i]) {
            const TensorInfo& info = ictx.outputs[i];
            KILN_CHECK(info.is_static(), Internal, node.describe(), ": shape of output ", i,
                       " not derived from concrete inputs: ", symbolic_shape_to_string(info.shape));
            outputs[i] = Tensor(info.dtype, info.static_shape());
            kctx.outputs.push_back(&outputs[i]);
        } else {
            kctx.outputs.push_back(nullptr);
        }
    }
    create_kernel(node)->run(kctx);
    return outputs;
}

std::vector<Tensor> evaluate_graph(const ir::Graph& graph, const std::vector<Tensor>& inputs, int threads,
                                   const std::string& what) {
    KILN_CHECK(inputs.size() == graph.inputs().size(), InvalidArgument, what, " takes ", graph.inputs().size(),
               " inputs, given ", inputs.size());
    std::unordered_map<const ir::Value*, Tensor> env;
    for (size_t i = 0; i < inputs.size(); ++i) env[graph.inputs()[i]] = inputs[i];
    auto lookup = [&](const ir::Value* v) -> const Tensor* {
        auto it = env.find(v);
        if (it != env.end()) return &it->second;
        if (v->constant) return &*v->constant;
        fail(ErrorCode::NotImplemented, what, ": value '", v->name,
             "' is neither computed in the graph nor one of its inputs or initializers");
    };
    for (const ir::Node* node : graph.topological_order()) {
        std::vector<const Tensor*> args;
        for (const ir::Value* v : node->inputs) args.push_back(v ? lookup(v) : nullptr);
        std::vector<Tensor> outs;
        try {
            outs = evaluate_node(*node, args, threads);
        } catch (const Error& e) {
            throw Error(e.code(), str("in ", what, ": ", e.what()));
        }
        for (size_t i = 0; i < node->outputs.size(); ++i)
            if (node->outputs[i]) env[node->outputs[i]] = std::move(outs[i]);
    }
    std::vector<Tensor> results;
    for (const ir::Value* v : graph.outputs()) results.push_back(*lookup(v));
    return results;
}

}  // namespace kiln::cpu
