#include "runtime/partition.h"

#include <unordered_set>

namespace kiln::rt {

ir::Node* fuse_partition(ir::Graph& graph, const std::vector<const ir::Node*>& group, const ir::Subgraph& cut,
                         const std::string& name) {
    std::unordered_set<const ir::Node*> members(group.begin(), group.end());
    graph.remove_nodes_if([&](const ir::Node& n) { return members.count(&n) != 0; });
    auto node = std::make_unique<ir::Node>();
    node->name = name;
    node->op_type = name;
    node->domain = "kiln";
    node->opset = 1;
    node->op = OpKind::Unknown;
    node->inputs = cut.inputs;
    node->outputs = cut.outputs;
    ir::Node* added = graph.add_node(std::move(node));
    graph.relink();
    graph.prune_values();
    return added;
}

}  // namespace kiln::rt
