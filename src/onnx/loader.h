// The ONNX loader: ModelProto bytes -> ir::Model, with external data and opset normalisation.
// The only door to protobuf; nothing outside src/onnx/ includes protobuf headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"
#include "kiln/value.h"

namespace kiln::onnx {

// Deepest nesting of subgraphs (If/Loop/Scan bodies inside bodies) the importer accepts: InvalidModel naming the
// node whose body would go deeper. Protobuf messages may nest kMaxMessageNesting deep (room for that many
// subgraph levels and the types and tensors inside them); a model nested deeper is refused as unparsable.
constexpr int kMaxSubgraphDepth = 64;
constexpr int kMaxMessageNesting = 3 * kMaxSubgraphDepth + 64;

// Oldest and newest ai.onnx opset versions the importer accepts (newest: what the pinned onnx package knows).
int64_t min_supported_opset();
int64_t max_supported_opset();

// Loads and imports the model at `path`. External data resolves relative to the model's folder, never outside it.
// The file is memory-mapped: initializers of the main graph with at least 4 KiB of raw_data (kTakeRawDataMinBytes)
// at an offset that suits their element type borrow the mapped bytes (neither copied nor zero-filled), and the
// mapping lives as long as one of them; other large raw_data keeps protobuf's parsed copy. As with mapped external
// data, the file must not be rewritten in place (replacing it, as kiln's writer does, is fine) while the model
// lives. The tensors named in `in_memory` supply their data instead of external data (each must name an
// initializer with external data of the same type and shape: InvalidArgument otherwise).
// Errors: NotFound (no file), InvalidModel (not a protobuf, truncated, empty graph, opset out of range, duplicate
// or dangling names, cycle, bad external data), each naming the culprit.
// Tensors that replace external initializers by name (SessionOptions::external_initializers).
using InMemoryInitializers = std::map<std::string, Tensor>;

// Whether large initializers of a model file borrow its mapped bytes (Borrow, as described above) or own their data
// (Own: protobuf's parsed copy, moved rather than copied again). Borrowed weights change when the file is rewritten
// in place and fault (SIGBUS) when it is truncated, so sessions, which live long, own theirs (docs/security.md).
enum class ModelFileBytes { Borrow, Own };

ir::Model load_model_file(const std::string& path, const InMemoryInitializers& in_memory = {},
                          ModelFileBytes bytes = ModelFileBytes::Borrow);

// Same from memory. External data resolves relative to `base_dir`; with an empty base_dir a model that uses
// external data (not given in `in_memory`) is refused with InvalidArgument. Nothing refers to `data` afterwards:
// large raw_data keeps protobuf's parsed copy, without another copy.
ir::Model load_model_bytes(const void* data, size_t size, const std::string& base_dir,
                           const InMemoryInitializers& in_memory = {});

// A serialized TensorProto (the backend test data's input_N.pb / output_N.pb); InvalidModel when the file is not one.
Tensor load_tensor_file(const std::string& path);

// A serialized TensorProto, SequenceProto (of tensors) or OptionalProto (of a tensor or a sequence of tensors), read
// as `kind` says (the type the model declares); InvalidModel when the file is not one.
Value load_value_file(const std::string& path, ValueKind kind);

// True when `path` holds a serialized TensorProto (and not a SequenceProto/OptionalProto/MapProto).
bool is_tensor_file(const std::string& path);

}  // namespace kiln::onnx
