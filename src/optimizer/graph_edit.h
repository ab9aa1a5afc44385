// Helpers shared by the rewriting passes: who reads each value (subgraph reads included), and removal of the
// nodes a pass has fused away.
#pragma once

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"

namespace kiln::opt {

class Readers {
  public:
    // Indexes the readers of every value of `graph`: node inputs and what nodes' subgraphs read (implicit inputs).
    explicit Readers(const ir::Graph& graph);

    // The nodes that read `v` (a node reading it twice is listed twice).
    const std::vector<ir::Node*>& of(const ir::Value* v) const;
    // The single reader of `v`, or null when `v` is null, a graph output, or read by zero or several nodes.
    ir::Node* only(const ir::Value* v) const;
    // The single reader of `v` when it is an ai.onnx node of `op`, else null.
    ir::Node* only(const ir::Value* v, OpKind op) const;

  private:
    std::unordered_map<const ir::Value*, std::vector<ir::Node*>> readers_;
};

// Removes `nodes` from `graph` and drops the values nothing uses any more. Returns whether anything was removed.
bool remove_nodes(ir::Graph& graph, const std::unordered_set<const ir::Node*>& nodes);

}  // namespace kiln::opt
