// A node group of a graph as a standalone graph (a provider's partition, a probe of one node).
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"

namespace kiln::ir {

// Copies of the group's nodes; its inputs are the non-constant values the group reads from outside (graph
// inputs, other nodes' outputs, values that subgraphs read from outside); the constants it reads are its
// initializers (sharing their memory); its outputs are the values produced inside and read outside or returned by
// the source graph. Names are those of the source graph.
struct Subgraph {
    std::unique_ptr<Graph> graph;
    std::vector<Value*> inputs;   // source-graph values, one per graph->inputs()
    std::vector<Value*> outputs;  // source-graph values, one per graph->outputs()
};

Subgraph extract_subgraph(const Graph& graph, const std::vector<const Node*>& group);

}  // namespace kiln::ir
