// Element types: every ONNX TensorProto.DataType, with the same numeric values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {

enum class DType : int32_t {
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
    Float8E8M0 = 24,
    UInt2 = 25,
    Int2 = 26,
};

constexpr int kDTypeCount = 27;

// Bits per element (4 for Int4, 2 for Int2, ...); 0 for Undefined and String (strings are std::string objects).
int dtype_bits(DType t);
// ONNX's name: "float", "int64", "float16", "bfloat16", ...; "undefined" for values outside the enum.
const char* dtype_name(DType t);
// onnxruntime's type string: "tensor(float)".
std::string dtype_tensor_string(DType t);
bool dtype_is_valid(int32_t value);
bool dtype_is_float(DType t);  // Float, Double, Float16, BFloat16 (the types kiln computes as floating point)
bool dtype_is_integer(DType t);

// The largest tensor kiln allocates or maps (256 TiB): sizes beyond it are refused before any arithmetic on them
// can overflow.
constexpr size_t kMaxTensorBytes = size_t(1) << 48;

// Bytes needed for `count` elements (rounded up for sub-byte types); strings count as sizeof(std::string).
// InvalidArgument when that exceeds kMaxTensorBytes.
size_t dtype_storage_bytes(DType t, int64_t count);

}  // namespace kiln
