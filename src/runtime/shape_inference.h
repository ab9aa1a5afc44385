// Static shape inference over a graph: each op's one shape function, in topological order, merged with the
// types the model declares (value_info). Used for session metadata and planning.
#pragma once

#include "ir/graph.h"

namespace kiln::rt {

// Fills Value::type for every node output. Errors from shape functions (inconsistent model) propagate naming
// the node; where a shape function cannot serve (NotImplemented) the declared type stays.
void infer_graph_shapes(ir::Graph& graph);

}  // namespace kiln::rt
