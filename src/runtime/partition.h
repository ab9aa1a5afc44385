// Cutting a provider's node group out of the session graph, and putting one node in its place.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln::rt {

// A node group as a standalone graph: copies of the group's nodes; its inputs are the non-constant values the
// group reads from outside (graph inputs, other nodes' outputs, values that subgraphs read from outside); the
// constants it reads are its initializers (sharing their memory); its outputs are the values produced inside
// and read outside or returned by the session graph. Names are those of the session graph.
struct PartitionCut {
    std::unique_ptr<ir::Graph> graph;
    std::vector<ir::Value*> inputs;   // session-graph values, one per graph->inputs()
    std::vector<ir::Value*> outputs;  // session-graph values, one per graph->outputs()
};

PartitionCut cut_partition(const ir::Graph& graph, const std::vector<const ir::Node*>& group);

// Replaces the group's nodes in `graph` by one node (domain "kiln", op_type `name`, OpKind::Unknown) that reads
// cut.inputs and produces cut.outputs; values only the group used are pruned. Returns the new node.
ir::Node* fuse_partition(ir::Graph& graph, const std::vector<const ir::Node*>& group, const PartitionCut& cut,
                         const std::string& name);

}  // namespace kiln::rt
