#include "optimizer/graph_edit.h"

namespace kiln::opt {

Readers::Readers(const ir::Graph& graph) {
    for (auto& node : graph.nodes()) {
        for (ir::Value* in : node->inputs) {
            if (in) readers_[in].push_back(node.get());
        }
        for (ir::Value* in : ir::implicit_inputs(*node)) readers_[in].push_back(node.get());
    }
}

const std::vector<ir::Node*>& Readers::of(const ir::Value* v) const {
    static const std::vector<ir::Node*> kNone;
    auto it = readers_.find(v);
    return it == readers_.end() ? kNone : it->second;
}

ir::Node* Readers::only(const ir::Value* v) const {
    if (!v || v->is_graph_output) return nullptr;
    const auto& readers = of(v);
    return readers.size() == 1 ? readers[0] : nullptr;
}

ir::Node* Readers::only(const ir::Value* v, OpKind op) const {
    ir::Node* r = only(v);
    return r && r->op == op && r->domain.empty() ? r : nullptr;
}

bool remove_nodes(ir::Graph& graph, const std::unordered_set<const ir::Node*>& nodes) {
    if (nodes.empty()) return false;
    graph.remove_nodes_if([&](const ir::Node& n) { return nodes.count(&n) != 0; });
    graph.prune_values();
    return true;
}

}  // namespace kiln::opt
