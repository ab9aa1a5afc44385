// BufferPool: per-run recycling of intermediate buffers. A value's buffer returns to the pool after its last
// consumer ran (the memory plan's release points) and is handed to a later value of similar size.
// A pool serves one run at a time (not thread-safe); the plan keeps idle pools for later runs, so that steady
// state runs allocate nothing.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <unordered_map>

#include "kiln/tensor.h"

namespace kiln::rt {

class BufferPool {
  public:
    // A tensor of `dtype`/`shape` on a recycled or new 64-byte aligned buffer; contents are unspecified.
    Tensor allocate(DType dtype, const Shape& shape);
    // Takes back the buffer of a tensor that allocate() produced and clears the tensor. Tensors from elsewhere
    // are just cleared.
    void release(Tensor& t);

    // Forgets the buffers still handed out (they now belong to the tensors returned to the caller), keeping the
    // idle ones for the next run.
    void end_run() { in_use_.clear(); }

    size_t bytes_allocated() const { return bytes_allocated_; }

  private:
    struct Buffer {
        size_t capacity = 0;
        std::shared_ptr<void> memory;
    };
    std::multimap<size_t, std::shared_ptr<void>> free_;  // capacity -> idle buffer
    std::unordered_map<const void*, Buffer> in_use_;     // data pointer -> buffer handed out
    size_t bytes_allocated_ = 0;
};

}  // namespace kiln::rt
