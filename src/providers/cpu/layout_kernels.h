// Internal to the CPU Layout kernels (layout*.cc): the per-group factories that create_Layout dispatches to, and
// the shared data-movement helpers. Data movement is done by element size, so every fixed-width dtype works
// (float16, bfloat16, float8, complex included); String tensors move std::string objects.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "providers/cpu/dispatch_by_size.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu::layout {

// Row-major strides (in elements) of a contiguous tensor of shape `shape`.
std::vector<int64_t> contiguous_strides(const Shape& shape);

// out (contiguous, shape `shape`)[i0, i1, ...] = in[offset + i0 * strides[0] + i1 * strides[1] + ...].
// Strides may be zero (broadcast) or negative (reversed slices). Used by Transpose, Slice, Expand, Tile,
// DepthToSpace and SpaceToDepth.
struct StridedView {
    Shape shape;
    std::vector<int64_t> strides;
    int64_t offset = 0;
};

// Copies `view` of `in` into `out`, by element size of `dtype`; merges dims, copies contiguous runs in bulk and
// transposes 2-D tiles when the input's contiguous axis is not the output's last. Parallel over rows.
void strided_copy(const ir::Node& node, DType dtype, const void* in, void* out, const StridedView& view, int threads);

// Copies a whole tensor (Reshape, Squeeze, Unsqueeze, Flatten); sub-byte types too. No-op when in == out.
void copy_tensor(const Tensor& in, Tensor& out);

std::unique_ptr<Kernel> create_cast(const ir::Node& node);      // Cast, CastLike (layout_cast.cc)
std::unique_ptr<Kernel> create_movement(const ir::Node& node);  // Transpose, Slice, Expand, Tile, DepthToSpace,
                                                                // SpaceToDepth (layout_copy.cc)
std::unique_ptr<Kernel> create_gather(const ir::Node& node);    // Gather, GatherElements, Concat, Split, Trilu
                                                                // (layout_gather.cc)
std::unique_ptr<Kernel> create_pad(const ir::Node& node);       // Pad (layout_pad.cc)

}  // namespace kiln::cpu::layout
