// Internal to the CPU Index kernels (index*.cc): the per-group factories that create_Index dispatches to and the
// shared helpers. Data movement is done by element size, so every fixed-width dtype works; String tensors move
// std::string objects.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/index.h"
#include "providers/cpu/dispatch_by_size.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu::index {

template <typename T>
void copy_elements(const T* src, int64_t n, T* dst) {
    if constexpr (std::is_trivially_copyable_v<T>) {
        if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
    } else {
        std::copy_n(src, n, dst);
    }
}

// Product of shape[begin, end).
inline int64_t dims_product(const Shape& shape, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end && i < shape.size(); ++i) p *= shape[i];
    return p;
}

// Index values (int32 or int64) as int64; InvalidArgument naming the node for another dtype.
std::vector<int64_t> index_values(const ir::Node& node, const Tensor& t, const char* what);

// Copies `in` into `out` (same dtype and element count).
void copy_tensor_data(const ir::Node& node, const Tensor& in, Tensor& out);

std::unique_ptr<Kernel> create_scatter(const ir::Node& node);  // ScatterElements, ScatterND, TensorScatter
                                                               // (index_scatter.cc)
std::unique_ptr<Kernel> create_sort(const ir::Node& node);     // TopK, Unique (index_sort.cc)

}  // namespace kiln::cpu::index
