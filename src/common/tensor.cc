#include "kiln/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/alloc_limit.h"
#include "kiln/tensor_info.h"

namespace kiln {

int64_t shape_element_count(const Shape& shape) {
    int64_t count = 1;
    for (int64_t d : shape) {
        KILN_CHECK(d >= 0, InvalidArgument, "negative dimension ", d, " in shape ", shape_to_string(shape));
        if (d != 0 && count > std::numeric_limits<int64_t>::max() / d) {
            fail(ErrorCode::InvalidArgument, "shape ", shape_to_string(shape), " has more elements than int64 holds");
        }
        count *= d;
    }
    return count;
}

std::string shape_to_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(shape[i]);
    }
    s += ']';
    return s;
}

namespace {

std::shared_ptr<void> allocate(DType dtype, int64_t count) {
    check_allocation(dtype_storage_bytes(dtype, count));
    if (dtype == DType::String) {
        auto* strings = new std::string[count > 0 ? count : 1];
        return std::shared_ptr<void>(strings, [](void* p) { delete[] static_cast<std::string*>(p); });
    }
    size_t bytes = dtype_storage_bytes(dtype, count);
    size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p) fail(ErrorCode::Internal, "out of memory allocating ", bytes, " bytes");
    std::memset(p, 0, rounded ? rounded : 64);
    return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
    KILN_CHECK(dtype != DType::Undefined, InvalidArgument, "tensor of undefined element type");
    count_ = shape_element_count(shape_);
    auto storage = allocate(dtype, count_);
    data_ = storage.get();
    keeper_ = std::move(storage);
}

Tensor Tensor::borrow(DType dtype, Shape shape, void* data) {
    Tensor t;
    t.dtype_ = dtype;
    t.shape_ = std::move(shape);
    t.count_ = shape_element_count(t.shape_);
    t.data_ = data;
    return t;
}

Tensor Tensor::wrap(DType dtype, Shape shape, std::shared_ptr<const void> keeper, const void* data) {
    Tensor t = borrow(dtype, std::move(shape), const_cast<void*>(data));
    t.keeper_ = std::move(keeper);
    return t;
}

Tensor Tensor::reshaped(Shape shape) const {
    Tensor t = *this;
    t.shape_ = std::move(shape);
    t.count_ = shape_element_count(t.shape_);
    KILN_CHECK(t.count_ == count_, InvalidArgument, "cannot reshape ", shape_to_string(shape_), " to ",
               shape_to_string(t.shape_));
    return t;
}

Tensor Tensor::clone() const {
    if (empty()) return Tensor();
    Tensor t(dtype_, shape_);
    if (dtype_ == DType::String) {
        for (int64_t i = 0; i < count_; ++i) t.data<std::string>()[i] = data<std::string>()[i];
    } else if (count_ > 0) {
        std::memcpy(t.data_, data_, byte_size());
    }
    return t;
}

bool TensorInfo::is_static() const {
    if (!shape) return false;
    for (const Dim& d : *shape) {
        if (!d.known()) return false;
    }
    return true;
}

std::vector<int64_t> TensorInfo::static_shape() const {
    std::vector<int64_t> dims;
    if (shape) {
        for (const Dim& d : *shape) dims.push_back(d.value);
    }
    return dims;
}

std::string symbolic_shape_to_string(const std::optional<SymbolicShape>& shape) {
    if (!shape) return "(unknown rank)";
    std::string s = "[";
    for (size_t i = 0; i < shape->size(); ++i) {
        const Dim& d = (*shape)[i];
        s += i ? "," : "";
        s += d.known() ? std::to_string(d.value) : (d.symbol.empty() ? "?" : d.symbol);
    }
    return s + "]";
}

}  // namespace kiln
