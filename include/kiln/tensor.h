// kiln::Tensor: a typed, shaped view of memory that kiln owns, borrows from the caller, or maps from a file.
// Copying a Tensor shares its data (like a shared_ptr); clone() copies the data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/dtype.h"
#include "kiln/error.h"

namespace kiln {

using Shape = std::vector<int64_t>;

// Product of dims; throws InvalidArgument on a negative dim or when the product overflows int64.
int64_t shape_element_count(const Shape& shape);
std::string shape_to_string(const Shape& shape);

class Tensor {
  public:
    Tensor() = default;
    // Allocates owned storage (64-byte aligned, zero-filled). String tensors hold empty std::strings.
    Tensor(DType dtype, Shape shape);

    // Wraps caller memory without copying; the caller keeps it alive while the tensor is used.
    static Tensor borrow(DType dtype, Shape shape, void* data);
    // Wraps memory kept alive by `keeper` (a memory mapping, a shared buffer).
    static Tensor wrap(DType dtype, Shape shape, std::shared_ptr<const void> keeper, const void* data);
    // A scalar or 1-D tensor from values, for tests and constants.
    template <typename T>
    static Tensor from_vector(DType dtype, Shape shape, const std::vector<T>& values);

    bool empty() const { return dtype_ == DType::Undefined; }
    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    size_t rank() const { return shape_.size(); }
    int64_t element_count() const { return count_; }
    size_t byte_size() const { return dtype_storage_bytes(dtype_, count_); }

    void* raw_data() { return data_; }
    const void* raw_data() const { return data_; }
    template <typename T>
    T* data() {
        return static_cast<T*>(data_);
    }
    template <typename T>
    const T* data() const {
        return static_cast<const T*>(data_);
    }

    // Same data, another shape with the same element count.
    Tensor reshaped(Shape shape) const;
    // A deep copy into owned storage.
    Tensor clone() const;
    // True when the data is owned by this tensor family (not borrowed from the caller).
    bool owns_data() const { return keeper_ != nullptr; }

  private:
    DType dtype_ = DType::Undefined;
    Shape shape_;
    int64_t count_ = 0;
    std::shared_ptr<const void> keeper_;
    void* data_ = nullptr;
};

template <typename T>
Tensor Tensor::from_vector(DType dtype, Shape shape, const std::vector<T>& values) {
    Tensor t(dtype, std::move(shape));
    KILN_CHECK(static_cast<int64_t>(values.size()) == t.element_count(), InvalidArgument,
               "from_vector: ", values.size(), " values for shape ", shape_to_string(t.shape()));
    T* out = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
    return t;
}

// A named tensor, as passed to Session::run.
struct NamedTensor {
    std::string name;
    Tensor tensor;
};

}  // namespace kiln
