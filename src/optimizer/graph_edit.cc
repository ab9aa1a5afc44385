#include "optimizer/graph_edit.h"

namespace kiln::opt {

Fusion::Fusion(ir::Graph& graph) : graph_(graph) {
    for (auto& node : graph.nodes()) {
        for (ir::Value* in : node->inputs) {
            if (in) readers_[in].push_back(node.get());
        }
        for (ir::Value* in : ir::implicit_inputs(*node)) readers_[in].push_back(node.get());
    }
}

ir::Node* Fusion::only_reader(const ir::Value* v) const {
    if (!v || v->is_graph_output) return nullptr;
    auto it = readers_.find(v);
    if (it == readers_.end() || it->second.size() != 1 || claimed(it->second[0])) return nullptr;
    return it->second[0];
}

ir::Node* Fusion::only_reader(const ir::Value* v, OpKind op) const {
    ir::Node* r = only_reader(v);
    return r && r->op == op && r->domain.empty() ? r : nullptr;
}

bool Fusion::finish() {
    if (claimed_.empty()) return false;
    graph_.remove_nodes_if([&](const ir::Node& n) { return claimed(&n); });
    graph_.prune_values();
    return true;
}

}  // namespace kiln::opt
