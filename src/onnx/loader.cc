#include "onnx/loader.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "onnx/external_data.h"
#include "onnx/import/graph_importer.h"
#include "onnx/onnx-data.pb.h"
#include "onnx/onnx-ml.pb.h"
#include "onnx/raw_data_index.h"
#include "onnx/tensor_proto.h"

#ifndef KILN_ONNX_MAX_OPSET
#error "KILN_ONNX_MAX_OPSET must be defined by src/onnx/CMakeLists.txt"
#endif

namespace kiln::onnx {

namespace fs = std::filesystem;

int64_t min_supported_opset() { return 1; }
int64_t max_supported_opset() { return KILN_ONNX_MAX_OPSET; }

namespace {

// Parses `size` bytes as message `msg` with protobuf's size limit raised to 2 GiB and its nesting limit set to
// kMaxMessageNesting. False when the bytes are not a complete message.
bool parse_message(const void* data, size_t size, google::protobuf::MessageLite& msg) {
    if (size > static_cast<size_t>(INT_MAX)) return false;
    google::protobuf::io::CodedInputStream in(static_cast<const uint8_t*>(data), static_cast<int>(size));
    in.SetTotalBytesLimit(INT_MAX);
    in.SetRecursionLimit(kMaxMessageNesting);
    return msg.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

// A mapped file handed to protobuf in chunks, each chunk's pages dropped once protobuf moves past it: the parse
// copies the raw_data into the message anyway, and the file pages it read would otherwise stay resident on top.
class DroppingFileStream : public google::protobuf::io::ZeroCopyInputStream {
  public:
    explicit DroppingFileStream(const MappedFile& file) : file_(file) {}

    bool Next(const void** data, int* size) override {
        file_.drop_resident_pages(pos_);
        if (pos_ >= file_.size()) return false;
        size_t n = std::min(kChunkBytes, file_.size() - pos_);
        *data = file_.data() + pos_;
        *size = static_cast<int>(n);
        pos_ += n;
        return true;
    }
    void BackUp(int count) override { pos_ -= static_cast<size_t>(count); }
    bool Skip(int count) override {
        size_t left = file_.size() - pos_;
        pos_ += std::min(left, static_cast<size_t>(count));
        return static_cast<size_t>(count) <= left;
    }
    int64_t ByteCount() const override { return static_cast<int64_t>(pos_); }

  private:
    static constexpr size_t kChunkBytes = size_t{4} << 20;
    const MappedFile& file_;
    size_t pos_ = 0;
};

// parse_message for a whole mapped file, read through DroppingFileStream so that only protobuf's copy stays.
bool parse_mapped_file(const MappedFile& file, google::protobuf::MessageLite& msg) {
    if (file.size() > static_cast<size_t>(INT_MAX)) return false;
    DroppingFileStream stream(file);
    bool parsed = false;
    {
        google::protobuf::io::CodedInputStream in(&stream);
        in.SetTotalBytesLimit(INT_MAX);
        in.SetRecursionLimit(kMaxMessageNesting);
        parsed = msg.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
    }
    file.drop_resident_pages(file.size());
    return parsed;
}

// For each initializer of `graph` (parsed from `file`), where its raw_data lies in the mapping, as the wire-format
// index found it; data null where the index and protobuf's parse disagree (name, presence or size) or the tensor
// is too small to be worth sharing. Empty when the index does not list one entry per initializer.
std::vector<KeptBytes> initializer_bytes_in(const std::shared_ptr<MappedFile>& file, const ::onnx::GraphProto& graph,
                                            const std::vector<RawDataSpan>& spans) {
    std::vector<KeptBytes> in_file;
    if (spans.size() != static_cast<size_t>(graph.initializer_size())) return in_file;
    std::shared_ptr<const void> keeper(file, file->data());
    in_file.resize(spans.size());
    for (size_t i = 0; i < spans.size(); ++i) {
        const ::onnx::TensorProto& init = graph.initializer(static_cast<int>(i));
        const RawDataSpan& span = spans[i];
        if (!span.has_raw_data || !init.has_raw_data() || span.name != init.name() ||
            span.size != init.raw_data().size() || span.size < kTakeRawDataMinBytes || span.offset > file->size() ||
            span.size > file->size() - span.offset) {
            continue;
        }
        in_file[i] = KeptBytes{keeper, file->data() + span.offset, span.size};
    }
    return in_file;
}

// Parses and imports `size` bytes at `data`. `file`, when given, is the mapping that holds them (read through it);
// with `borrow`, initializers then borrow their raw_data from it instead of keeping protobuf's copy.
ir::Model load_model(const void* data, size_t size, const std::string& base_dir, const std::string& source,
                     const InMemoryInitializers& in_memory, const std::shared_ptr<MappedFile>& file = nullptr,
                     bool borrow = false) {
    KILN_CHECK(size <= static_cast<size_t>(INT_MAX), InvalidModel, "model ", source, " is ", size,
               " bytes; protobuf models are limited to 2 GiB (store the weights as external data)");
    KILN_CHECK(size > 0, InvalidModel, "model ", source, " is empty (0 bytes)");
    ::onnx::ModelProto proto;
    bool parsed = file ? parse_mapped_file(*file, proto) : parse_message(data, size, proto);
    KILN_CHECK(parsed, InvalidModel, "model ", source,
               " is not a valid ONNX protobuf (truncated, not a ModelProto, or messages nested deeper than ",
               kMaxMessageNesting, ")");
    KILN_CHECK(proto.has_graph(), InvalidModel, "model ", source,
               " is not a valid ONNX model (no graph; not a ModelProto?)");
    std::vector<KeptBytes> in_file;
    if (file && borrow) {
        std::optional<std::vector<RawDataSpan>> spans = index_initializer_raw_data(file->data(), file->size());
        if (spans) in_file = initializer_bytes_in(file, proto.graph(), *spans);
    }
    return import_model(proto, base_dir, source, in_file.empty() ? nullptr : &in_file, in_memory);
}

std::string folder_of(const std::string& path) {
    fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

ir::Model load_model_file(const std::string& path, const InMemoryInitializers& in_memory, ModelFileBytes bytes) {
    auto file = MappedFile::open(path, "model file");
    return load_model(file->data(), file->size(), folder_of(path), str("'", path, "'"), in_memory, file,
                      bytes == ModelFileBytes::Borrow);
}

ir::Model load_model_bytes(const void* data, size_t size, const std::string& base_dir,
                           const InMemoryInitializers& in_memory) {
    KILN_CHECK(data != nullptr || size == 0, InvalidArgument, "load_model_bytes: null data");
    return load_model(data, size, base_dir, "<memory>", in_memory);
}

Tensor load_tensor_file(const std::string& path) {
    auto file = MappedFile::open(path, "tensor file");
    ::onnx::TensorProto proto;
    KILN_CHECK(parse_message(file->data(), file->size(), proto) && tensor_proto_is_consistent(proto), InvalidModel, "'",
               path, "' is not a serialized TensorProto");
    ExternalDataResolver external(folder_of(path));
    return tensor_from_proto(proto, &external, proto.name().empty() ? path : proto.name());
}

namespace {

Value sequence_from_proto(const ::onnx::SequenceProto& proto, ExternalDataResolver& external, const std::string& path) {
    KILN_CHECK(proto.elem_type() == ::onnx::SequenceProto::TENSOR ||
                   (proto.elem_type() == ::onnx::SequenceProto::UNDEFINED && proto.tensor_values_size() == 0),
               InvalidModel, "'", path, "': only sequences of tensors are supported (elem_type ", proto.elem_type(),
               ")");
    std::vector<Tensor> tensors;
    for (const auto& t : proto.tensor_values()) {
        KILN_CHECK(tensor_proto_is_consistent(t), InvalidModel, "'", path, "': inconsistent tensor in the sequence");
        tensors.push_back(tensor_from_proto(t, &external, t.name().empty() ? path : t.name()));
    }
    return Value::sequence(std::move(tensors));
}

}  // namespace

Value load_value_file(const std::string& path, ValueKind kind) {
    if (kind == ValueKind::Tensor) return load_tensor_file(path);
    auto file = MappedFile::open(path, "value file");
    ExternalDataResolver external(folder_of(path));
    if (kind == ValueKind::Sequence) {
        ::onnx::SequenceProto proto;
        KILN_CHECK(parse_message(file->data(), file->size(), proto), InvalidModel, "'", path,
                   "' is not a serialized SequenceProto");
        return sequence_from_proto(proto, external, path);
    }
    ::onnx::OptionalProto proto;
    KILN_CHECK(parse_message(file->data(), file->size(), proto), InvalidModel, "'", path,
               "' is not a serialized OptionalProto");
    switch (proto.elem_type()) {
        case ::onnx::OptionalProto::UNDEFINED:
            return Value::none();
        case ::onnx::OptionalProto::TENSOR:
            if (!proto.has_tensor_value()) return Value::none();
            KILN_CHECK(tensor_proto_is_consistent(proto.tensor_value()), InvalidModel, "'", path,
                       "': inconsistent tensor in the optional");
            return tensor_from_proto(proto.tensor_value(), &external, path);
        case ::onnx::OptionalProto::SEQUENCE:
            if (!proto.has_sequence_value()) return Value::none();
            return sequence_from_proto(proto.sequence_value(), external, path);
        default:
            fail(ErrorCode::InvalidModel, "'", path, "': only optionals of tensors or sequences are supported");
    }
}

bool is_tensor_file(const std::string& path) {
    std::shared_ptr<MappedFile> file;
    try {
        file = MappedFile::open(path, "tensor file");
    } catch (const Error&) {
        return false;
    }
    ::onnx::TensorProto proto;
    return parse_message(file->data(), file->size(), proto) && tensor_proto_is_consistent(proto);
}

}  // namespace kiln::onnx
