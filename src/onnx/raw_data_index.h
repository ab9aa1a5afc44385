// Where the raw_data of a model's initializers lies inside its serialized bytes, found by walking the protobuf wire
// format (ModelProto.graph -> GraphProto.initializer -> TensorProto.name / raw_data) without protobuf, so that the
// loader can let tensors borrow those bytes from the memory-mapped model file instead of copying them.
// Internal to src/onnx/.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kiln::onnx {

// One initializer of the model's main graph, as the wire format holds it.
struct RawDataSpan {
    std::string name;           // TensorProto.name (its last occurrence, which protobuf keeps); empty when absent
    bool has_raw_data = false;  // whether a raw_data field was seen
    size_t offset = 0;          // of the raw_data bytes (its last occurrence), from the start of the buffer
    size_t size = 0;            // number of raw_data bytes
};

// One span per ModelProto.graph.initializer, in the order of protobuf's parse (repeated graph fields merge, so
// their initializers are concatenated). nullopt when the bytes along that path are not a well-formed message: a
// truncated or over-long varint, a length past the end of its enclosing message, a field number 0, a group or an
// unknown wire type. Every read is bounds-checked against [data, data + size), so any bytes are safe to pass; the
// caller still parses the model with protobuf and uses a span only where it agrees with the parsed tensor.
std::optional<std::vector<RawDataSpan>> index_initializer_raw_data(const void* data, size_t size);

}  // namespace kiln::onnx
