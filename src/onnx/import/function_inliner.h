// Model-local functions (ModelProto.functions): every node whose (domain, op_type, overload) names one is replaced
// by the function's body before import, recursively (a body may call another function, also inside subgraphs).
// Internal to src/onnx/.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "onnx/onnx-ml.pb.h"

namespace kiln::onnx {

// Canonical domain ("" for ai.onnx) -> version.
using OpsetMap = std::map<std::string, int64_t>;

// Nodes that came from a function body -> the opsets that function imports (on top of the model's). Keys point
// into the inlined GraphProto, which must not be changed afterwards.
using NodeOpsets = std::unordered_map<const ::onnx::NodeProto*, std::shared_ptr<const OpsetMap>>;

// Inlines the functions of `model` into `graph` (model.graph() itself or a copy; only model.functions() is read). A
// body's values get fresh names that clash with no name of `graph`; formal inputs and outputs become the call's;
// attributes that refer to the call's (ref_attr_name) take its value or the function's default, and are dropped when
// neither exists. InvalidModel on a call with too many inputs or outputs, on recursion, and on a function opset out of
// range.
void inline_functions(const ::onnx::ModelProto& model, const OpsetMap& model_opsets, ::onnx::GraphProto& graph,
                      NodeOpsets& node_opsets);

}  // namespace kiln::onnx
