// The bookkeeping that the fusing passes share: who reads each value (subgraph reads included), the nodes a pass
// has folded into others so far, and their removal when the pass is done.
#pragma once

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"

namespace kiln::opt {

class Fusion {
  public:
    // Indexes the readers of every value of `graph`: node inputs and what nodes' subgraphs read (implicit inputs).
    explicit Fusion(ir::Graph& graph);

    // The single reader of `v`, or null when `v` is null, a graph output, read by zero or several nodes, or read
    // by a node already claimed.
    ir::Node* only_reader(const ir::Value* v) const;
    // The same, when that reader is an ai.onnx node of `op`; else null.
    ir::Node* only_reader(const ir::Value* v, OpKind op) const;

    // Marks `node` as folded into another one: finish() removes it.
    void claim(const ir::Node* node) { claimed_.insert(node); }
    bool claimed(const ir::Node* node) const { return claimed_.count(node) != 0; }

    // Removes the claimed nodes and the values nothing uses any more. Returns whether any node was claimed.
    bool finish();

  private:
    ir::Graph& graph_;
    std::unordered_map<const ir::Value*, std::vector<ir::Node*>> readers_;
    std::unordered_set<const ir::Node*> claimed_;
};

}  // namespace kiln::opt
