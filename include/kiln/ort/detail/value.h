// Ort::Value (part of onnxruntime_cxx_api.h): a tensor over the caller's buffer (not copied) or over memory
// kiln allocates, or a model output. Move-only, as in ONNX Runtime; it holds a kiln::Value.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kiln/ort/detail/memory.h"
#include "kiln/ort/detail/type_info.h"
#include "kiln/value.h"

namespace Ort {

struct Value {
    explicit Value(std::nullptr_t) {}
    Value(Value&&) = default;
    Value& operator=(Value&&) = default;
    Value(const Value&) = delete;
    Value& operator=(const Value&) = delete;

    // A tensor over `p_data` (not copied: the buffer must outlive the value and every run that uses it).
    // ORT_INVALID_ARGUMENT when the buffer holds fewer than the shape's elements or a dim is negative.
    template <typename T>
    static Value CreateTensor(const OrtMemoryInfo* info, T* p_data, size_t p_data_element_count, const int64_t* shape,
                              size_t shape_len) {
        return CreateTensor(info, static_cast<void*>(p_data), p_data_element_count * sizeof(T), shape, shape_len,
                            TypeToTensorType<T>::type);
    }
    static Value CreateTensor(const OrtMemoryInfo* info, void* p_data, size_t p_data_byte_count, const int64_t* shape,
                              size_t shape_len, ONNXTensorElementDataType type) {
        return detail::call([&] {
            if (!info) detail::fail(ORT_INVALID_ARGUMENT, "CreateTensor: memory info is null");
            kiln::DType dtype = checked_type(type);
            kiln::Shape dims = checked_shape(shape, shape_len);
            size_t needed = kiln::dtype_storage_bytes(dtype, kiln::shape_element_count(dims));
            if (p_data_byte_count < needed) {
                detail::fail(ORT_INVALID_ARGUMENT, "CreateTensor: not enough space: shape " +
                                                       kiln::shape_to_string(dims) + " of " + kiln::dtype_name(dtype) +
                                                       " needs " + std::to_string(needed) + " bytes, the buffer has " +
                                                       std::to_string(p_data_byte_count));
            }
            if (!p_data && needed > 0) detail::fail(ORT_INVALID_ARGUMENT, "CreateTensor: the data pointer is null");
            return Value(kiln::Value(kiln::Tensor::borrow(dtype, std::move(dims), p_data)));
        });
    }
    // A tensor in new memory (zero-filled). kiln allocates it itself; `allocator` must be a CPU allocator.
    template <typename T>
    static Value CreateTensor(OrtAllocator* allocator, const int64_t* shape, size_t shape_len) {
        return CreateTensor(allocator, shape, shape_len, TypeToTensorType<T>::type);
    }
    static Value CreateTensor(OrtAllocator* allocator, const int64_t* shape, size_t shape_len,
                              ONNXTensorElementDataType type) {
        return detail::call([&] {
            if (!allocator) detail::fail(ORT_INVALID_ARGUMENT, "CreateTensor: allocator is null");
            kiln::DType dtype = checked_type(type);
            return Value(kiln::Value(kiln::Tensor(dtype, checked_shape(shape, shape_len))));
        });
    }

    bool IsTensor() const { return value_.is_tensor() && !value_.empty(); }
    // False for Value(nullptr).
    explicit operator bool() const { return !value_.empty(); }

    // The tensor's data, as T (not checked against the element type, as in ONNX Runtime).
    // ORT_INVALID_ARGUMENT when the value is not a tensor.
    template <typename T>
    T* GetTensorMutableData() {
        return tensor("GetTensorMutableData").template data<T>();
    }
    template <typename T>
    const T* GetTensorData() const {
        return const_cast<Value*>(this)->tensor("GetTensorData").template data<T>();
    }
    TensorTypeAndShapeInfo GetTensorTypeAndShapeInfo() const {
        return TensorTypeAndShapeInfo::of(const_cast<Value*>(this)->tensor("GetTensorTypeAndShapeInfo"));
    }

    // kiln extension: the kiln::Value this holds (shares its data).
    const kiln::Value& kiln_value() const { return value_; }
    explicit Value(kiln::Value v) : value_(std::move(v)) {}

  private:
    kiln::Tensor& tensor(const char* what) {
        if (!IsTensor()) {
            detail::fail(ORT_INVALID_ARGUMENT, std::string(what) + ": the value is " +
                                                   (value_.empty() ? "empty (nullptr)" : value_.kind_name()) +
                                                   ", not a tensor");
        }
        return value_.tensor();
    }
    static kiln::DType checked_type(ONNXTensorElementDataType type) {
        if (!kiln::dtype_is_valid(type) || type == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED) {
            detail::fail(ORT_INVALID_ARGUMENT, "CreateTensor: unknown element type " + std::to_string(int(type)));
        }
        if (type == ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING) {
            detail::fail(ORT_INVALID_ARGUMENT, "CreateTensor: string tensors are not supported by kiln's C++ API");
        }
        return static_cast<kiln::DType>(type);
    }
    static kiln::Shape checked_shape(const int64_t* shape, size_t shape_len) {
        if (!shape && shape_len > 0) detail::fail(ORT_INVALID_ARGUMENT, "CreateTensor: the shape pointer is null");
        kiln::Shape dims(shape, shape + shape_len);
        for (int64_t d : dims) {
            if (d < 0) {
                detail::fail(ORT_INVALID_ARGUMENT,
                             "CreateTensor: shape " + kiln::shape_to_string(dims) + " has a negative dim");
            }
        }
        return dims;
    }

    kiln::Value value_;
};

}  // namespace Ort
