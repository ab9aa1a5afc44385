// Putting one node in place of a provider's node group in the session graph.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/subgraph.h"

namespace kiln::rt {

// Replaces the group's nodes in `graph` by one node (domain "kiln", op_type `name`, OpKind::Unknown) that reads
// cut.inputs and produces cut.outputs; values only the group used are pruned. Returns the new node.
ir::Node* fuse_partition(ir::Graph& graph, const std::vector<const ir::Node*>& group, const ir::Subgraph& cut,
                         const std::string& name);

}  // namespace kiln::rt
