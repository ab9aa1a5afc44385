#include "onnx/tensor_proto.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/alloc_limit.h"

namespace kiln::onnx {

namespace {

using ::onnx::TensorProto;

// Which typed field of TensorProto carries values of `dtype`, and how many entries `count` elements take there.
enum class Field { Float, Int32, Int64, UInt64, Double, String, None };

Field typed_field(DType t) {
    switch (t) {
        case DType::Float:
        case DType::Complex64:
            return Field::Float;
        case DType::Double:
        case DType::Complex128:
            return Field::Double;
        case DType::Int64:
            return Field::Int64;
        case DType::UInt32:
        case DType::UInt64:
            return Field::UInt64;
        case DType::String:
            return Field::String;
        case DType::Undefined:
            return Field::None;
        default:
            return Field::Int32;  // (u)int8/16/32, bool, float16, bfloat16, float8*, (u)int4, float4, (u)int2
    }
}

int64_t typed_entry_count(DType t, int64_t count) {
    int bits = dtype_bits(t);
    if (t == DType::Complex64 || t == DType::Complex128) return count * 2;
    if (bits > 0 && bits < 8) return static_cast<int64_t>(dtype_storage_bytes(t, count));  // one packed byte each
    return count;
}

int64_t typed_field_size(const TensorProto& p, Field f) {
    switch (f) {
        case Field::Float:
            return p.float_data_size();
        case Field::Int32:
            return p.int32_data_size();
        case Field::Int64:
            return p.int64_data_size();
        case Field::UInt64:
            return p.uint64_data_size();
        case Field::Double:
            return p.double_data_size();
        case Field::String:
            return p.string_data_size();
        case Field::None:
            return 0;
    }
    return 0;
}

template <typename T, typename Src>
void copy_cast(const Src& src, void* dst) {
    T* out = static_cast<T*>(dst);
    for (int i = 0; i < src.size(); ++i) out[i] = static_cast<T>(src.Get(i));
}

// The dims `dims` of tensor `what` holding `dtype` elements, checked before anything is allocated for them: no
// negative dim, an element count that int64 holds and a byte size within kMaxTensorBytes (so that later
// arithmetic on them cannot overflow).
template <typename Dims>
Shape checked_shape(const Dims& dims, DType dtype, const std::string& what) {
    Shape shape(dims.begin(), dims.end());
    for (int64_t d : shape) {
        KILN_CHECK(d >= 0, InvalidModel, "tensor '", what, "' has a negative dim in ", shape_to_string(shape));
    }
    try {
        dtype_storage_bytes(dtype, shape_element_count(shape));
    } catch (const Error&) {
        fail(ErrorCode::InvalidModel, "tensor '", what, "' has too many elements: ", shape_to_string(shape));
    }
    return shape;
}

// Refuses, naming the tensor, a tensor that kiln would have to allocate beyond the allocation cap.
void check_fits_allocation_cap(DType dtype, const Shape& shape, const std::string& what) {
    try {
        check_allocation(dtype_storage_bytes(dtype, shape_element_count(shape)));
    } catch (const Error& e) {
        fail(ErrorCode::InvalidModel, "tensor '", what, "' of shape ", shape_to_string(shape), ": ", e.what());
    }
}

// Element type and shape of a TensorProto, checked.
struct TensorHeader {
    DType dtype;
    Shape shape;
};

TensorHeader header_of(const TensorProto& proto, const std::string& name) {
    KILN_CHECK(dtype_is_valid(proto.data_type()) && proto.data_type() != 0, InvalidModel, "tensor '", name,
               "' has an invalid data type ", proto.data_type());
    auto dtype = static_cast<DType>(proto.data_type());
    Shape shape = checked_shape(proto.dims(), dtype, name);
    KILN_CHECK(!proto.has_segment(), NotImplemented, "tensor '", name, "' is segmented, which kiln does not support");
    return {dtype, std::move(shape)};
}

// Checks that raw_data of `size` bytes fits `header`.
void check_raw_data(const TensorHeader& header, size_t size, const std::string& name) {
    KILN_CHECK(header.dtype != DType::String, InvalidModel, "tensor '", name, "': string tensors cannot use raw_data");
    size_t need = dtype_storage_bytes(header.dtype, shape_element_count(header.shape));
    KILN_CHECK(size == need, InvalidModel, "tensor '", name, "' has ", size, " bytes of raw_data; its type ",
               dtype_name(header.dtype), " and shape ", shape_to_string(header.shape), " need ", need);
}

// True when `in_file` holds the same bytes as `raw`: equal sizes, equal first and last bytes (a sample: the index
// that found `in_file` walked the very bytes protobuf parsed, so this only guards against a walk gone wrong).
bool same_bytes(const KeptBytes& in_file, const std::string& raw) {
    if (in_file.data == nullptr || in_file.size != raw.size()) return false;
    size_t sample = std::min<size_t>(64, raw.size());
    return std::memcmp(in_file.data, raw.data(), sample) == 0 &&
           std::memcmp(in_file.data + raw.size() - sample, raw.data() + raw.size() - sample, sample) == 0;
}

}  // namespace

Tensor tensor_from_proto(const TensorProto& proto, ExternalDataResolver* external, const std::string& what) {
    const std::string& name = what.empty() ? proto.name() : what;
    auto [dtype, shape] = header_of(proto, name);

    if (proto.data_location() == TensorProto::EXTERNAL) {
        KILN_CHECK(external != nullptr, InvalidModel, "tensor '", name, "' uses external data, not allowed here");
        return external->load(proto, dtype, shape, name);
    }

    if (proto.has_raw_data()) {
        const std::string& raw = proto.raw_data();
        check_raw_data({dtype, shape}, raw.size(), name);
        check_fits_allocation_cap(dtype, shape, name);
        Tensor t(dtype, shape);
        if (!raw.empty()) std::memcpy(t.raw_data(), raw.data(), raw.size());
        return t;
    }

    int64_t count = shape_element_count(shape);
    Field field = typed_field(dtype);
    int64_t expected = typed_entry_count(dtype, count);
    int64_t have = typed_field_size(proto, field);
    KILN_CHECK(have == expected, InvalidModel, "tensor '", name, "' of type ", dtype_name(dtype), " and shape ",
               shape_to_string(shape), " holds ", have, " values; expected ", expected);
    check_fits_allocation_cap(dtype, shape, name);
    Tensor t(dtype, shape);
    if (count == 0) return t;

    void* out = t.raw_data();
    switch (dtype) {
        case DType::Float:
        case DType::Complex64:
            copy_cast<float>(proto.float_data(), out);
            break;
        case DType::Double:
        case DType::Complex128:
            copy_cast<double>(proto.double_data(), out);
            break;
        case DType::Int64:
            copy_cast<int64_t>(proto.int64_data(), out);
            break;
        case DType::UInt64:
            copy_cast<uint64_t>(proto.uint64_data(), out);
            break;
        case DType::UInt32:
            copy_cast<uint32_t>(proto.uint64_data(), out);
            break;
        case DType::Int32:
            copy_cast<int32_t>(proto.int32_data(), out);
            break;
        case DType::Int16:
            copy_cast<int16_t>(proto.int32_data(), out);
            break;
        case DType::UInt16:
        case DType::Float16:
        case DType::BFloat16:
            copy_cast<uint16_t>(proto.int32_data(), out);
            break;
        case DType::Int8:
            copy_cast<int8_t>(proto.int32_data(), out);
            break;
        case DType::Bool: {
            auto* b = static_cast<uint8_t*>(out);
            for (int i = 0; i < proto.int32_data_size(); ++i) b[i] = proto.int32_data(i) != 0 ? 1 : 0;
            break;
        }
        case DType::String: {
            auto* s = static_cast<std::string*>(out);
            for (int i = 0; i < proto.string_data_size(); ++i) s[i] = proto.string_data(i);
            break;
        }
        default:
            // uint8, float8 variants and the packed sub-byte types: one byte per int32 entry.
            copy_cast<uint8_t>(proto.int32_data(), out);
            break;
    }
    return t;
}

Tensor take_tensor_from_proto(TensorProto& proto, const KeptBytes* in_file, ExternalDataResolver* external,
                              const std::string& what) {
    if (proto.data_location() == TensorProto::EXTERNAL || !proto.has_raw_data() ||
        proto.raw_data().size() < kTakeRawDataMinBytes) {
        return tensor_from_proto(proto, external, what);
    }
    const std::string& name = what.empty() ? proto.name() : what;
    TensorHeader header = header_of(proto, name);
    check_raw_data(header, proto.raw_data().size(), name);
    if (in_file && same_bytes(*in_file, proto.raw_data()) && aligned_for(in_file->data, header.dtype)) {
        proto.clear_raw_data();
        return Tensor::wrap(header.dtype, std::move(header.shape), in_file->keeper, in_file->data);
    }
    auto owned = std::make_shared<std::string>(std::move(*proto.mutable_raw_data()));
    proto.clear_raw_data();
    if (!aligned_for(owned->data(), header.dtype)) {  // not from malloc: copy into aligned storage
        check_fits_allocation_cap(header.dtype, header.shape, name);
        Tensor t(header.dtype, std::move(header.shape));
        std::memcpy(t.raw_data(), owned->data(), owned->size());
        return t;
    }
    const char* bytes = owned->data();
    return Tensor::wrap(header.dtype, std::move(header.shape), std::move(owned), bytes);
}

Tensor tensor_from_sparse_proto(const ::onnx::SparseTensorProto& proto, ExternalDataResolver* external,
                                const std::string& what) {
    const std::string& name = what.empty() ? proto.values().name() : what;
    Tensor values = tensor_from_proto(proto.values(), external, name + " (values)");
    Tensor indices = tensor_from_proto(proto.indices(), external, name + " (indices)");
    KILN_CHECK(indices.dtype() == DType::Int64, InvalidModel, "sparse tensor '", name, "': indices must be int64");
    DType dtype = values.dtype();
    int bits = dtype_bits(dtype);
    KILN_CHECK(bits >= 8 && dtype != DType::String, NotImplemented, "sparse tensor '", name, "' of type ",
               dtype_name(dtype), " is not supported");
    Shape shape = checked_shape(proto.dims(), dtype, name);
    check_fits_allocation_cap(dtype, shape, name);  // the dense tensor: its size is the model's to choose
    Tensor dense(dtype, shape);
    int64_t total = dense.element_count();
    int64_t nnz = values.element_count();
    size_t elem = static_cast<size_t>(bits / 8);
    const int64_t* idx = indices.data<int64_t>();
    bool linear = indices.rank() == 1;
    KILN_CHECK(linear || (indices.rank() == 2 && indices.shape()[1] == static_cast<int64_t>(shape.size())),
               InvalidModel, "sparse tensor '", name, "': indices shape ", shape_to_string(indices.shape()),
               " does not fit dims ", shape_to_string(shape));
    KILN_CHECK(indices.shape()[0] == nnz, InvalidModel, "sparse tensor '", name, "': ", indices.shape()[0],
               " indices for ", nnz, " values");
    auto* dst = static_cast<unsigned char*>(dense.raw_data());
    const auto* src = static_cast<const unsigned char*>(values.raw_data());
    for (int64_t k = 0; k < nnz; ++k) {
        int64_t offset = 0;
        if (linear) {
            offset = idx[k];
        } else {
            for (size_t d = 0; d < shape.size(); ++d) {
                int64_t i = idx[k * static_cast<int64_t>(shape.size()) + static_cast<int64_t>(d)];
                KILN_CHECK(i >= 0 && i < shape[d], InvalidModel, "sparse tensor '", name, "': index out of range");
                offset = offset * shape[d] + i;
            }
        }
        KILN_CHECK(offset >= 0 && offset < total, InvalidModel, "sparse tensor '", name, "': index ", offset,
                   " out of range");
        std::memcpy(dst + offset * elem, src + k * elem, elem);
    }
    return dense;
}

void tensor_to_proto(const Tensor& tensor, const std::string& name, TensorProto* proto, RawData raw) {
    static_assert(std::endian::native == std::endian::little, "raw_data is little-endian: kiln's memory must be too");
    proto->Clear();
    proto->set_name(name);
    proto->set_data_type(static_cast<int32_t>(tensor.dtype()));
    for (int64_t d : tensor.shape()) proto->add_dims(d);
    if (tensor.dtype() == DType::String) {
        const auto* s = tensor.data<std::string>();
        for (int64_t i = 0; i < tensor.element_count(); ++i) proto->add_string_data(s[i]);
        return;
    }
    if (raw == RawData::Inline) proto->set_raw_data(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
}

void tensor_info_to_type_proto(const TensorInfo& info, ::onnx::TypeProto* type) {
    ::onnx::TypeProto* elem = type;
    switch (info.kind) {
        case ValueKind::Tensor:
            if (info.dtype == DType::Undefined && !info.shape) return;
            break;
        case ValueKind::Sequence:
            elem = type->mutable_sequence_type()->mutable_elem_type();
            break;
        case ValueKind::OptionalTensor:
            elem = type->mutable_optional_type()->mutable_elem_type();
            break;
        case ValueKind::OptionalSequence:
            elem = type->mutable_optional_type()->mutable_elem_type()->mutable_sequence_type()->mutable_elem_type();
            break;
    }
    if (info.dtype == DType::Undefined && !info.shape) return;
    auto* tensor = elem->mutable_tensor_type();
    if (info.dtype != DType::Undefined) tensor->set_elem_type(static_cast<int32_t>(info.dtype));
    if (!info.shape) return;
    auto* shape = tensor->mutable_shape();
    for (const Dim& d : *info.shape) {
        auto* dim = shape->add_dim();
        if (d.known()) {
            dim->set_dim_value(d.value);
        } else if (!d.symbol.empty()) {
            dim->set_dim_param(d.symbol);
        }
    }
}

TensorInfo tensor_info_from_type_proto(const ::onnx::TypeProto& type) {
    // A sequence or optional: the type of its tensors, with the kind recorded.
    if (type.has_sequence_type()) {
        TensorInfo info = tensor_info_from_type_proto(type.sequence_type().elem_type());
        info.kind = ValueKind::Sequence;
        return info;
    }
    if (type.has_optional_type()) {
        TensorInfo info = tensor_info_from_type_proto(type.optional_type().elem_type());
        info.kind = info.kind == ValueKind::Sequence ? ValueKind::OptionalSequence : ValueKind::OptionalTensor;
        return info;
    }
    TensorInfo info;
    const ::onnx::TensorShapeProto* shape = nullptr;
    int32_t elem = 0;
    if (type.has_tensor_type()) {
        elem = type.tensor_type().elem_type();
        if (type.tensor_type().has_shape()) shape = &type.tensor_type().shape();
    } else if (type.has_sparse_tensor_type()) {
        elem = type.sparse_tensor_type().elem_type();
        if (type.sparse_tensor_type().has_shape()) shape = &type.sparse_tensor_type().shape();
    } else {
        return info;
    }
    info.dtype = dtype_is_valid(elem) ? static_cast<DType>(elem) : DType::Undefined;
    if (shape) {
        SymbolicShape dims;
        dims.reserve(shape->dim_size());
        for (const auto& d : shape->dim()) {
            if (d.has_dim_value()) {
                dims.push_back(Dim(d.dim_value()));
            } else if (d.has_dim_param() && !d.dim_param().empty()) {
                dims.push_back(Dim::named(d.dim_param()));
            } else {
                dims.push_back(Dim());
            }
        }
        info.shape = std::move(dims);
    }
    return info;
}

bool tensor_proto_is_consistent(const TensorProto& proto) {
    if (!dtype_is_valid(proto.data_type()) || proto.data_type() == 0) return false;
    if (proto.has_segment()) return false;
    if (!proto.unknown_fields().empty()) return false;
    auto dtype = static_cast<DType>(proto.data_type());
    int64_t count = 1;
    for (int64_t d : proto.dims()) {
        if (d < 0 || (d > 0 && count > INT64_MAX / d)) return false;
        count *= d;
    }
    if (static_cast<uint64_t>(count) > kMaxTensorBytes) return false;  // keeps typed_entry_count from overflowing
    if (proto.data_location() == TensorProto::EXTERNAL) return proto.external_data_size() > 0;
    if (proto.has_raw_data()) {
        return dtype != DType::String && proto.raw_data().size() == dtype_storage_bytes(dtype, count);
    }
    // Only the field that belongs to the type may hold values.
    Field field = typed_field(dtype);
    for (Field f : {Field::Float, Field::Int32, Field::Int64, Field::UInt64, Field::Double, Field::String}) {
        int64_t have = typed_field_size(proto, f);
        if (f == field ? have != typed_entry_count(dtype, count) : have != 0) return false;
    }
    return true;
}

}  // namespace kiln::onnx
