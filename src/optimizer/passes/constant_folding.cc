// Evaluates nodes whose inputs are all constants, once, at session creation.
//
// Before partitioning it leaves DequantizeLinear alone (as ONNX Runtime's ConstantFolding does by default): folding
// DequantizeLinear(int8 weight) into a float weight would destroy the QDQ pattern from which a device provider
// (OpenVINO) builds int8 kernels. After partitioning, on what the CPU provider runs, those nodes are folded too,
// with the CPU provider's own kernel, so its results are the same whether folded or not.
#include <string_view>
#include <unordered_set>

#include "optimizer/pass.h"
#include "providers/cpu/evaluate.h"

namespace kiln::opt {
namespace {

// Folded outputs larger than this stay computed at run time (ConstantOfShape/Expand/Tile can blow up a model).
constexpr size_t kMaxFoldedBytes = 64 << 20;

// OptionalHasElement of an absent input: false, the one op of the Sequence family whose result is a constant.
bool tests_absent_optional(const ir::Node& node) {
    return node.op == OpKind::OptionalHasElement && (node.inputs.empty() || !node.inputs[0]);
}

// Nodes producing graph outputs fold too (as ONNX Runtime's ConstantFolding): the output becomes a constant that
// the session returns, and a device provider with the CPU fallback disabled is not left a node it has no use for.
bool foldable(const ir::Node& node, bool keep_dequantize_linear) {
    if (node.op == OpKind::Unknown || node.outputs.empty()) return false;
    if (keep_dequantize_linear && node.op == OpKind::DequantizeLinear) return false;
    if (std::string_view(op_kind_family(node.op)) == "Sequence" && !tests_absent_optional(node)) {
        return false;  // run by the runtime, no kernel
    }
    for (const ir::Attribute* a : {node.find_attribute("then_branch"), node.find_attribute("body")}) {
        if (a) return false;
    }
    for (const ir::Value* in : node.inputs) {
        if (in && (!in->constant || in->is_graph_input)) return false;
    }
    return true;
}

class ConstantFolding : public Pass {
  public:
    explicit ConstantFolding(bool keep_dequantize_linear) : keep_dequantize_linear_(keep_dequantize_linear) {}
    const char* name() const override { return "ConstantFolding"; }

    bool run(ir::Graph& graph, PassContext& ctx) override {
        bool changed = false;
        std::unordered_set<const ir::Node*> folded;
        for (ir::Node* node : graph.topological_order()) {
            if (!foldable(*node, keep_dequantize_linear_) || !ctx.may_rewrite()) continue;
            std::vector<const Tensor*> inputs;
            for (const ir::Value* in : node->inputs) inputs.push_back(in ? &*in->constant : nullptr);
            std::vector<Tensor> outputs;
            try {
                outputs = tests_absent_optional(*node)
                              ? std::vector<Tensor>{Tensor::from_vector<uint8_t>(DType::Bool, {}, {0})}
                              : cpu::evaluate_node(*node, inputs, ctx.threads);
            } catch (const Error&) {
                continue;  // left for run time, which reports the error if the node really runs
            }
            size_t bytes = 0;
            for (auto& t : outputs) bytes += t.byte_size();
            if (bytes > kMaxFoldedBytes) continue;
            for (size_t i = 0; i < outputs.size(); ++i) {
                if (ir::Value* v = node->outputs[i]) {
                    v->type = cpu::info_of(outputs[i]);
                    v->constant = std::move(outputs[i]);
                }
            }
            folded.insert(node);
            ctx.rewrites += 1;
            changed = true;
        }
        if (changed) {
            graph.remove_nodes_if([&](const ir::Node& n) { return folded.count(&n) != 0; });
            graph.prune_values();
        }
        return changed;
    }

  private:
    bool keep_dequantize_linear_;
};

}  // namespace

std::unique_ptr<Pass> make_constant_folding(bool keep_dequantize_linear) {
    return std::make_unique<ConstantFolding>(keep_dequantize_linear);
}

}  // namespace kiln::opt
