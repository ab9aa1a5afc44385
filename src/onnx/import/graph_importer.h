// ModelProto -> ir::Model: values, initializers, nodes, attributes (subgraphs recursively), types, metadata,
// opset checks, then opset normalisation and IR verification. Internal to src/onnx/.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"
#include "onnx/onnx-ml.pb.h"
#include "onnx/tensor_proto.h"

namespace kiln::onnx {

// Imports `proto`, taking its data: large raw_data moves into the model's tensors (take_tensor_from_proto), so
// `proto` is only good for destruction afterwards. `base_dir`: folder for external data (empty: refused).
// `source` names the model in messages (its path or "<memory>"). `in_file` (may be null): for each initializer of
// the main graph, in order, where its raw_data also lies in the mapped model file (data null where unknown);
// ignored unless it has one entry per initializer. `in_memory`: external initializers supplied from memory by name
// (every one must be used: InvalidArgument otherwise).
ir::Model import_model(::onnx::ModelProto& proto, const std::string& base_dir, const std::string& source,
                       const std::vector<KeptBytes>* in_file = nullptr,
                       const std::map<std::string, Tensor>& in_memory = {});

}  // namespace kiln::onnx
