#include "onnx/raw_data_index.h"

#include <cstdint>

namespace kiln::onnx {

namespace {

// Field numbers of onnx-ml.proto on the walked path.
constexpr uint32_t kModelGraph = 7;        // ModelProto.graph
constexpr uint32_t kGraphInitializer = 5;  // GraphProto.initializer
constexpr uint32_t kTensorName = 8;        // TensorProto.name
constexpr uint32_t kTensorRawData = 9;     // TensorProto.raw_data

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// One field of a message: its number and wire type, and for a length-delimited field where its payload lies.
struct WireField {
    uint32_t number = 0;
    uint32_t wire_type = 0;
    const unsigned char* payload = nullptr;
    size_t size = 0;
};

// Reads the fields of one message in [pos, end); every step stays inside that range.
class MessageReader {
  public:
    MessageReader(const unsigned char* begin, const unsigned char* end) : pos_(begin), end_(end) {}

    bool at_end() const { return pos_ == end_; }

    // The next field; false when the bytes are not a well-formed field (the walk then gives up).
    bool next(WireField& field) {
        uint64_t tag = 0;
        if (!varint(tag) || tag > UINT32_MAX) return false;
        field.number = static_cast<uint32_t>(tag >> 3);
        field.wire_type = static_cast<uint32_t>(tag & 7);
        field.payload = nullptr;
        field.size = 0;
        if (field.number == 0) return false;
        switch (field.wire_type) {
            case kVarint: {
                uint64_t ignored = 0;
                return varint(ignored);
            }
            case kFixed64:
                return skip(8);
            case kFixed32:
                return skip(4);
            case kLengthDelimited: {
                uint64_t length = 0;
                if (!varint(length) || length > remaining()) return false;
                field.payload = pos_;
                field.size = static_cast<size_t>(length);
                pos_ += field.size;
                return true;
            }
            default:  // groups (deprecated, never in ONNX files) and invalid wire types
                return false;
        }
    }

  private:
    size_t remaining() const { return static_cast<size_t>(end_ - pos_); }

    bool skip(size_t n) {
        if (n > remaining()) return false;
        pos_ += n;
        return true;
    }

    // A base-128 varint of at most 10 bytes.
    bool varint(uint64_t& value) {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ == end_) return false;
            unsigned char byte = *pos_++;
            value |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) return true;
        }
        return false;
    }

    const unsigned char* pos_;
    const unsigned char* end_;
};

// The name and raw_data of one TensorProto; false when it is malformed.
bool index_tensor(const unsigned char* base, const WireField& tensor, RawDataSpan& span) {
    MessageReader reader(tensor.payload, tensor.payload + tensor.size);
    WireField field;
    while (!reader.at_end()) {
        if (!reader.next(field)) return false;
        if (field.wire_type != kLengthDelimited) continue;
        if (field.number == kTensorName) {
            span.name.assign(reinterpret_cast<const char*>(field.payload), field.size);
        } else if (field.number == kTensorRawData) {
            span.has_raw_data = true;
            span.offset = static_cast<size_t>(field.payload - base);
            span.size = field.size;
        }
    }
    return true;
}

// The initializers of one occurrence of ModelProto.graph, appended to `spans`; false when it is malformed.
bool index_graph(const unsigned char* base, const WireField& graph, std::vector<RawDataSpan>& spans) {
    MessageReader reader(graph.payload, graph.payload + graph.size);
    WireField field;
    while (!reader.at_end()) {
        if (!reader.next(field)) return false;
        if (field.number != kGraphInitializer || field.wire_type != kLengthDelimited) continue;
        RawDataSpan span;
        if (!index_tensor(base, field, span)) return false;
        spans.push_back(std::move(span));
    }
    return true;
}

}  // namespace

std::optional<std::vector<RawDataSpan>> index_initializer_raw_data(const void* data, size_t size) {
    if (data == nullptr && size != 0) return std::nullopt;
    const auto* base = static_cast<const unsigned char*>(data);
    std::vector<RawDataSpan> spans;
    MessageReader reader(base, base + size);
    WireField field;
    while (!reader.at_end()) {
        if (!reader.next(field)) return std::nullopt;
        if (field.number != kModelGraph || field.wire_type != kLengthDelimited) continue;
        if (!index_graph(base, field, spans)) return std::nullopt;
    }
    return spans;
}

}  // namespace kiln::onnx
