// SessionOptions::optimized_model_filepath (onnxruntime's option of the same name): the session's model as
// optimised, written as an ONNX model (src/onnx/writer.h), with onnxruntime's session config keys for its external
// data.
#pragma once

#include <string>

#include "ir/graph.h"
#include "kiln/session.h"

namespace kiln::rt {

// Writes `model` to options.optimized_model_filepath when that is set; does nothing otherwise. `source_path`: the
// model file the session was created from ("" for a model from memory): InvalidArgument naming both paths when the
// option names that file, so that nothing the user had is overwritten. Config entries (onnxruntime's keys):
//   session.optimized_model_external_initializers_file_name: tensor data goes to this file (relative to the
//     optimised model's folder) even when the model fits in one proto; by default it goes to
//     "<optimised model file name>.data" only when the model would exceed protobuf's 2 GiB limit.
//   session.optimized_model_external_initializers_min_size_in_bytes: tensors smaller than this stay inside the
//     model (default 1024); InvalidArgument naming the key when it is not a non-negative integer.
void save_optimized_model(const ir::Model& model, const SessionOptions& options, const std::string& source_path);

}  // namespace kiln::rt
