// Grouping the nodes a provider supports into as few subgraphs as possible without creating a cycle.
#pragma once

#include <functional>
#include <vector>

#include "ir/graph.h"

namespace kiln::ir {

// Groups the nodes for which `supported` is true into connected clusters that can each run as one unit: no path
// leaves a cluster and comes back into it through a node outside it. Each node's "barrier depth" is the largest
// number of unsupported nodes on a path from the graph's inputs to it; a cluster is a weakly connected set of
// supported nodes of equal depth, so a path that leaves a cluster through an unsupported node can only come back
// at a larger depth. Clusters and their nodes are in topological order.
std::vector<std::vector<const Node*>> supported_clusters(const Graph& graph,
                                                         const std::function<bool(const Node&)>& supported);

}  // namespace kiln::ir
