// Runs one node, or a whole (sub)graph, on the CPU provider on concrete inputs: shape function, fresh outputs,
// kernel. Used by constant folding, op tests and kernels with graph attributes (FlexAttention's score_mod); the
// session's executor does the same with pooled buffers.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

// inputs[i] may be null for omitted optional inputs. Returns one tensor per node output (empty for omitted ones).
std::vector<Tensor> evaluate_node(const ir::Node& node, const std::vector<const Tensor*>& inputs, int threads);

// Runs `graph` on the CPU provider, node by node in topological order, with `inputs` bound to the graph inputs in
// order; returns the graph outputs. Values are the inputs, initializers and node outputs of the graph itself: a
// graph that reads values of an enclosing graph throws NotImplemented naming the value. `what` names the graph in
// messages ("score_mod of node 'fa' (FlexAttention)").
std::vector<Tensor> evaluate_graph(const ir::Graph& graph, const std::vector<Tensor>& inputs, int threads,
                                   const std::string& what);

// TensorInfo of a concrete tensor.
TensorInfo info_of(const Tensor& t);

}  // namespace kiln::cpu
