#include "onnx/loader.h"

#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <filesystem>

#include "onnx/external_data.h"
#include "onnx/import/graph_importer.h"
#include "onnx/onnx-data.pb.h"
#include "onnx/onnx-ml.pb.h"
#include "onnx/tensor_proto.h"

#ifndef KILN_ONNX_MAX_OPSET
#error "KILN_ONNX_MAX_OPSET must be defined by src/onnx/CMakeLists.txt"
#endif

namespace kiln::onnx {

namespace fs = std::filesystem;

int64_t min_supported_opset() { return 1; }
int64_t max_supported_opset() { return KILN_ONNX_MAX_OPSET; }

namespace {

// Parses `size` bytes as message `msg` with protobuf's size limit raised to 2 GiB. False when the bytes are not
// a complete message.
bool parse_message(const void* data, size_t size, google::protobuf::MessageLite& msg) {
    if (size > static_cast<size_t>(INT_MAX)) return false;
    google::protobuf::io::CodedInputStream in(static_cast<const uint8_t*>(data), static_cast<int>(size));
    in.SetTotalBytesLimit(INT_MAX);
    return msg.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

ir::Model load_model(const void* data, size_t size, const std::string& base_dir, const std::string& source,
                     const InMemoryInitializers& in_memory) {
    KILN_CHECK(size <= static_cast<size_t>(INT_MAX), InvalidModel, "model ", source, " is ", size,
               " bytes; protobuf models are limited to 2 GiB (store the weights as external data)");
    KILN_CHECK(size > 0, InvalidModel, "model ", source, " is empty (0 bytes)");
    ::onnx::ModelProto proto;
    KILN_CHECK(parse_message(data, size, proto), InvalidModel, "model ", source,
               " is not a valid ONNX protobuf (truncated or not a ModelProto)");
    KILN_CHECK(proto.has_graph(), InvalidModel, "model ", source,
               " is not a valid ONNX model (no graph; not a ModelProto?)");
    return import_model(proto, base_dir, source, in_memory);
}

std::string folder_of(const std::string& path) {
    fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

ir::Model load_model_file(const std::string& path, const InMemoryInitializers& in_memory) {
    auto file = MappedFile::open(path, "model file");
    return load_model(file->data(), file->size(), folder_of(path), str("'", path, "'"), in_memory);
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
