// Ort::TensorTypeAndShapeInfo, Ort::TypeInfo and Ort::TypeToTensorType (part of onnxruntime_cxx_api.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/ort/detail/exception.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"

namespace Ort {

// The element type of a C++ type, for the templated CreateTensor.
template <typename T>
struct TypeToTensorType;
#define KILN_ORT_TYPE_TO_TENSOR_TYPE(T, E)                                                   \
    template <>                                                                              \
    struct TypeToTensorType<T> {                                                             \
        static constexpr ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_##E; \
    };
KILN_ORT_TYPE_TO_TENSOR_TYPE(float, FLOAT)
KILN_ORT_TYPE_TO_TENSOR_TYPE(double, DOUBLE)
KILN_ORT_TYPE_TO_TENSOR_TYPE(int8_t, INT8)
KILN_ORT_TYPE_TO_TENSOR_TYPE(uint8_t, UINT8)
KILN_ORT_TYPE_TO_TENSOR_TYPE(int16_t, INT16)
KILN_ORT_TYPE_TO_TENSOR_TYPE(uint16_t, UINT16)
KILN_ORT_TYPE_TO_TENSOR_TYPE(int32_t, INT32)
KILN_ORT_TYPE_TO_TENSOR_TYPE(uint32_t, UINT32)
KILN_ORT_TYPE_TO_TENSOR_TYPE(int64_t, INT64)
KILN_ORT_TYPE_TO_TENSOR_TYPE(uint64_t, UINT64)
KILN_ORT_TYPE_TO_TENSOR_TYPE(bool, BOOL)
#undef KILN_ORT_TYPE_TO_TENSOR_TYPE

// Element type and shape of a tensor or of a model input/output. Unknown dims are -1 (GetShape), with their
// symbol, if any, in GetSymbolicDimensions; an unknown rank reads as rank 0.
struct TensorTypeAndShapeInfo {
    TensorTypeAndShapeInfo(kiln::DType dtype, std::vector<int64_t> shape, std::vector<std::string> symbols)
        : dtype_(dtype), shape_(std::move(shape)), symbols_(std::move(symbols)) {}
    static TensorTypeAndShapeInfo of(const kiln::TensorInfo& info) {
        std::vector<int64_t> shape;
        std::vector<std::string> symbols;
        if (info.shape) {
            for (const kiln::Dim& d : *info.shape) {
                shape.push_back(d.known() ? d.value : -1);
                symbols.push_back(d.symbol);
            }
        }
        return {info.dtype, std::move(shape), std::move(symbols)};
    }
    static TensorTypeAndShapeInfo of(const kiln::Tensor& t) {
        return {t.dtype(), t.shape(), std::vector<std::string>(t.rank())};
    }

    ONNXTensorElementDataType GetElementType() const { return static_cast<ONNXTensorElementDataType>(dtype_); }
    size_t GetDimensionsCount() const { return shape_.size(); }
    std::vector<int64_t> GetShape() const { return shape_; }
    // Copies the first `count` dims (at most the rank).
    void GetDimensions(int64_t* values, size_t count) const {
        for (size_t i = 0; i < count && i < shape_.size(); ++i) values[i] = shape_[i];
    }
    // The symbol of each dim ("" for a known dim or an unnamed unknown one); the pointers live as long as this.
    void GetSymbolicDimensions(const char** values, size_t count) const {
        for (size_t i = 0; i < count && i < symbols_.size(); ++i) values[i] = symbols_[i].c_str();
    }
    // The product of the dims; ORT_INVALID_ARGUMENT when a dim is unknown.
    size_t GetElementCount() const {
        size_t count = 1;
        for (int64_t d : shape_) {
            if (d < 0) {
                detail::fail(ORT_INVALID_ARGUMENT,
                             "GetElementCount: shape " + kiln::shape_to_string(shape_) + " has unknown dims (-1)");
            }
            count *= static_cast<size_t>(d);
        }
        return count;
    }

  private:
    kiln::DType dtype_;
    std::vector<int64_t> shape_;
    std::vector<std::string> symbols_;
};

// ONNX Runtime returns a view bound to the TypeInfo; kiln returns a copy, which reads the same.
using ConstTensorTypeAndShapeInfo = TensorTypeAndShapeInfo;

// The type of a model input or output.
struct TypeInfo {
    explicit TypeInfo(const kiln::TensorInfo& info) : info_(info) {}
    ONNXType GetONNXType() const {
        switch (info_.kind) {
            case kiln::ValueKind::Tensor:
                return ONNX_TYPE_TENSOR;
            case kiln::ValueKind::Sequence:
                return ONNX_TYPE_SEQUENCE;
            case kiln::ValueKind::OptionalTensor:
            case kiln::ValueKind::OptionalSequence:
                return ONNX_TYPE_OPTIONAL;
        }
        return ONNX_TYPE_UNKNOWN;
    }
    // ORT_INVALID_ARGUMENT when the value is not a tensor.
    ConstTensorTypeAndShapeInfo GetTensorTypeAndShapeInfo() const {
        if (info_.kind != kiln::ValueKind::Tensor) {
            detail::fail(ORT_INVALID_ARGUMENT, std::string("GetTensorTypeAndShapeInfo: the value is a ") +
                                                   kiln::value_kind_name(info_.kind) + ", not a tensor");
        }
        return TensorTypeAndShapeInfo::of(info_);
    }

  private:
    kiln::TensorInfo info_;
};

}  // namespace Ort
