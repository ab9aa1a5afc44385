#include "kiln/dtype.h"

#include <algorithm>
#include <string>

#include "kiln/error.h"

namespace kiln {
namespace {

struct DTypeTraits {
    const char* name;
    int bits;
};

// Indexed by the ONNX TensorProto.DataType value.
constexpr DTypeTraits kTraits[kDTypeCount] = {
    {"undefined", 0},      {"float", 32},    {"uint8", 8},        {"int8", 8},           {"uint16", 16},
    {"int16", 16},         {"int32", 32},    {"int64", 64},       {"string", 0},         {"bool", 8},
    {"float16", 16},       {"double", 64},   {"uint32", 32},      {"uint64", 64},        {"complex64", 64},
    {"complex128", 128},   {"bfloat16", 16}, {"float8e4m3fn", 8}, {"float8e4m3fnuz", 8}, {"float8e5m2", 8},
    {"float8e5m2fnuz", 8}, {"uint4", 4},     {"int4", 4},         {"float4e2m1", 4},     {"float8e8m0", 8},
    {"uint2", 2},          {"int2", 2},
};

}  // namespace

bool dtype_is_valid(int32_t value) { return value > 0 && value < kDTypeCount; }

int dtype_bits(DType t) {
    int v = static_cast<int>(t);
    return dtype_is_valid(v) ? kTraits[v].bits : 0;
}

const char* dtype_name(DType t) {
    int v = static_cast<int>(t);
    return (v >= 0 && v < kDTypeCount) ? kTraits[v].name : "undefined";
}

std::string dtype_tensor_string(DType t) { return std::string("tensor(") + dtype_name(t) + ")"; }

bool dtype_is_float(DType t) {
    return t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16;
}

bool dtype_is_integer(DType t) {
    switch (t) {
        case DType::UInt8:
        case DType::Int8:
        case DType::UInt16:
        case DType::Int16:
        case DType::Int32:
        case DType::Int64:
        case DType::UInt32:
        case DType::UInt64:
        case DType::UInt4:
        case DType::Int4:
        case DType::UInt2:
        case DType::Int2:
            return true;
        default:
            return false;
    }
}

size_t dtype_storage_bytes(DType t, int64_t count) {
    if (count <= 0) return 0;
    size_t bits = t == DType::String ? 8 * sizeof(std::string) : static_cast<size_t>(dtype_bits(t));
    KILN_CHECK(static_cast<uint64_t>(count) <= kMaxTensorBytes * 8 / std::max<size_t>(bits, 1), InvalidArgument,
               "a tensor of ", count, " ", dtype_name(t), " elements is larger than kiln's limit of ", kMaxTensorBytes,
               " bytes");
    return (static_cast<size_t>(count) * bits + 7) / 8;
}

}  // namespace kiln
