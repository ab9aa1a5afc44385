#include "runtime/buffer_pool.h"

#include <cstdlib>

#include "common/alloc_limit.h"

namespace kiln::rt {

Tensor BufferPool::allocate(DType dtype, const Shape& shape) {
    if (dtype == DType::String) return Tensor(dtype, shape);
    size_t bytes = dtype_storage_bytes(dtype, shape_element_count(shape));
    check_allocation(bytes);
    size_t capacity = std::max<size_t>((bytes + 63) / 64 * 64, 64);
    Buffer buffer;
    auto it = free_.lower_bound(capacity);
    if (it != free_.end() && it->first <= capacity * 2) {
        buffer.capacity = it->first;
        buffer.memory = std::move(it->second);
        free_.erase(it);
    } else {
        void* p = std::aligned_alloc(64, capacity);
        if (!p) fail(ErrorCode::Internal, "out of memory allocating ", bytes, " bytes");
        buffer.capacity = capacity;
        buffer.memory = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
        bytes_allocated_ += capacity;
    }
    void* data = buffer.memory.get();
    Tensor t = Tensor::wrap(dtype, shape, buffer.memory, data);
    in_use_.emplace(data, std::move(buffer));
    return t;
}

void BufferPool::release(Tensor& t) {
    auto it = in_use_.find(t.raw_data());
    t = Tensor();
    if (it == in_use_.end()) return;
    free_.emplace(it->second.capacity, std::move(it->second.memory));
    in_use_.erase(it);
}

}  // namespace kiln::rt
