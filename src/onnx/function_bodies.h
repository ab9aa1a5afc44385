// ONNX function bodies that kiln writes in place of an op, for a device provider whose runtime lacks the op but has
// the ops of its body (as ONNX Runtime inlines a function no provider claims). One list (function_bodies.cc); the
// writer applies it when asked (the `function_bodies` argument of save_graph_bytes*). Internal to src/onnx/.
#pragma once

#include "ir/graph.h"
#include "onnx/onnx-ml.pb.h"

namespace kiln::onnx {

// Appends to `graph` the nodes that compute `node` from ops of the default domain, reading and writing the node's
// own input and output names (intermediate values get names derived from the node's first output), and returns
// true; false, writing nothing, when the op has no body here or the node's types do not fix it (a body that
// depends on a dim needs that dim known).
bool write_function_body(const ir::Node& node, ::onnx::GraphProto* graph);

}  // namespace kiln::onnx
