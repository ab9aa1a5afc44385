// FloatView / FloatOut: run a float32 kernel on float16, bfloat16, double or small-integer tensors by converting
// inputs to float and the output back (float32 tensors are used in place, without a copy).
#pragma once

#include <cstdint>
#include <vector>

#include "common/half.h"
#include "kiln/error.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

// A float view of a tensor: the data itself for float32, else a converted copy.
class FloatView {
  public:
    explicit FloatView(const Tensor* t) {
        if (!t) return;
        int64_t n = t->element_count();
        switch (t->dtype()) {
            case DType::Float:
                ptr_ = t->data<float>();
                return;
            case DType::Double:
                copy_.resize(n);
                for (int64_t i = 0; i < n; ++i) copy_[i] = static_cast<float>(t->data<double>()[i]);
                break;
            case DType::Float16:
                copy_.resize(n);
                for (int64_t i = 0; i < n; ++i) copy_[i] = half_to_float(t->data<uint16_t>()[i]);
                break;
            case DType::BFloat16:
                copy_.resize(n);
                for (int64_t i = 0; i < n; ++i) copy_[i] = bf16_to_float(t->data<uint16_t>()[i]);
                break;
            case DType::Int8:
                copy_.resize(n);
                for (int64_t i = 0; i < n; ++i) copy_[i] = t->data<int8_t>()[i];
                break;
            case DType::UInt8:
                copy_.resize(n);
                for (int64_t i = 0; i < n; ++i) copy_[i] = t->data<uint8_t>()[i];
                break;
            default:
                fail(ErrorCode::Internal, "FloatView: unsupported dtype ", dtype_name(t->dtype()));
        }
        ptr_ = copy_.data();
    }
    const float* data() const { return ptr_; }

  private:
    const float* ptr_ = nullptr;
    std::vector<float> copy_;
};

// The output as float: writes straight into a float32 tensor, else into a buffer converted back by finish().
class FloatOut {
  public:
    explicit FloatOut(Tensor& t) : t_(t) {
        if (t.dtype() == DType::Float) {
            ptr_ = t.data<float>();
        } else {
            copy_.resize(t.element_count());
            ptr_ = copy_.data();
        }
    }
    float* data() { return ptr_; }
    void finish() {
        int64_t n = t_.element_count();
        switch (t_.dtype()) {
            case DType::Float:
                break;
            case DType::Double:
                for (int64_t i = 0; i < n; ++i) t_.data<double>()[i] = copy_[i];
                break;
            case DType::Float16:
                for (int64_t i = 0; i < n; ++i) t_.data<uint16_t>()[i] = float_to_half(copy_[i]);
                break;
            case DType::BFloat16:
                for (int64_t i = 0; i < n; ++i) t_.data<uint16_t>()[i] = float_to_bf16(copy_[i]);
                break;
            case DType::Int8:
                for (int64_t i = 0; i < n; ++i) t_.data<int8_t>()[i] = static_cast<int8_t>(copy_[i]);
                break;
            case DType::UInt8:
                for (int64_t i = 0; i < n; ++i) t_.data<uint8_t>()[i] = static_cast<uint8_t>(copy_[i]);
                break;
            default:
                fail(ErrorCode::Internal, "FloatOut: unsupported dtype ", dtype_name(t_.dtype()));
        }
    }

  private:
    Tensor& t_;
    float* ptr_ = nullptr;
    std::vector<float> copy_;
};

}  // namespace kiln::cpu
