// TensorProto <-> kiln::Tensor and TypeProto -> TensorInfo. Internal to src/onnx/.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "kiln/tensor.h"
#include "kiln/tensor_info.h"
#include "onnx/external_data.h"
#include "onnx/onnx-ml.pb.h"

namespace kiln::onnx {

// The tensor a TensorProto holds: typed fields (float_data, int32_data with float16/bfloat16/float8 bit patterns
// and packed sub-byte types, int64_data, uint64_data, double_data, string_data), little-endian raw_data, or
// external data through `external` (may be null: external data is then refused). `what` names the tensor in
// messages (its name, or e.g. "attribute 'value' of node 'c'"). InvalidModel when type, dims and data disagree.
Tensor tensor_from_proto(const ::onnx::TensorProto& proto, ExternalDataResolver* external, const std::string& what);

// Bytes that stay valid while `keeper` lives (a span of the memory-mapped model file).
struct KeptBytes {
    std::shared_ptr<const void> keeper;
    const unsigned char* data = nullptr;
    size_t size = 0;
};

// Smallest raw_data that take_tensor_from_proto hands over without a copy; smaller tensors get their own 64-byte
// aligned storage, as tensor_from_proto gives them.
constexpr size_t kTakeRawDataMinBytes = 4096;

// tensor_from_proto for a TensorProto whose data the caller gives up (the loader's own parse of a model): raw_data
// of at least kTakeRawDataMinBytes becomes the tensor's storage without a copy, borrowed from `in_file` (the same
// bytes where they lie in the mapped model file; may be null) when its size and sampled bytes agree with raw_data
// and its address suits the element type, or else moved out of `proto` (its raw_data is then empty). Everything
// else as tensor_from_proto, with the same checks and errors.
Tensor take_tensor_from_proto(::onnx::TensorProto& proto, const KeptBytes* in_file, ExternalDataResolver* external,
                              const std::string& what);

// A SparseTensorProto as a dense tensor (zeros where no value is given).
Tensor tensor_from_sparse_proto(const ::onnx::SparseTensorProto& proto, ExternalDataResolver* external,
                                const std::string& what);

// Where tensor_to_proto puts the bytes of a non-string tensor: into raw_data, or nowhere, for the caller to place
// them (in raw_data or in an external data file) once it knows the size of the whole model.
enum class RawData { Inline, Deferred };

// Serialises `tensor`: name, data type, dims, and its data (string_data for strings; raw_data, little-endian and
// packed as ONNX packs sub-byte types, for the others unless `raw` is Deferred).
void tensor_to_proto(const Tensor& tensor, const std::string& name, ::onnx::TensorProto* proto,
                     RawData raw = RawData::Inline);

// The inverse of tensor_info_from_type_proto: a tensor, sequence or optional type with elem_type (when defined) and
// shape (when the rank is known; dim_value, dim_param or an empty dim). A tensor type with neither dtype nor rank
// leaves `type` empty.
void tensor_info_to_type_proto(const TensorInfo& info, ::onnx::TypeProto* type);

// Element type and shape of a tensor (or sparse tensor) type; dim_param -> Dim::named, missing dims -> unknown.
// Sequence, map and optional types give an undefined dtype and unknown rank.
TensorInfo tensor_info_from_type_proto(const ::onnx::TypeProto& type);

// True when `proto` looks like a real TensorProto (valid data type, no segment, no unknown fields, data matching
// its dims) and not another message that happened to parse as one.
bool tensor_proto_is_consistent(const ::onnx::TensorProto& proto);

}  // namespace kiln::onnx
