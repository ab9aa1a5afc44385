// ModelProto -> ir::Model: values, initializers, nodes, attributes (subgraphs recursively), types, metadata,
// opset checks, then opset normalisation and IR verification. Internal to src/onnx/.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "kiln/tensor.h"
#include "onnx/onnx-ml.pb.h"

namespace kiln::onnx {

// Imports `proto`. `base_dir`: folder for external data (empty: refused). `source` names the model in messages
// (its path or "<memory>"). `in_memory`: external initializers supplied from memory by name (every one must be
// used: InvalidArgument otherwise).
ir::Model import_model(const ::onnx::ModelProto& proto, const std::string& base_dir, const std::string& source,
                       const std::map<std::string, Tensor>& in_memory = {});

}  // namespace kiln::onnx
