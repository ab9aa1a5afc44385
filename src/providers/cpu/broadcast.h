// Numpy broadcasting for the elementwise kernels. A BroadcastPlan collapses the output shape into outer dims and
// one contiguous inner dim, in which every input advances by 0 (broadcast) or 1 element. Kernels then run a
// tight loop per row: same-shape, scalar and "row" broadcasts ([N,C] + [C], [N,C,H,W] * [C,1,1]) all become long
// inner loops with constant strides.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "common/parallel.h"
#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

constexpr int kMaxBroadcastInputs = 3;

struct BroadcastPlan {
    std::vector<int64_t> dims;                                      // outer dims, outermost first
    std::vector<std::array<int64_t, kMaxBroadcastInputs>> strides;  // per outer dim, per input (elements)
    int64_t inner = 1;                                              // length of a row
    std::array<int64_t, kMaxBroadcastInputs> inner_stride{};        // 0 or 1 per input
    int64_t rows = 1;                                               // product of dims
};

// `data` of `shape` broadcast (numpy, right-aligned) to `target`, materialised; InvalidArgument naming the node
// and `what` when it does not broadcast. For per-channel parameters (scale, bias) of normalisations.
std::vector<float> broadcast_floats(const ir::Node& node, const float* data, const Shape& shape, const Shape& target,
                                    const char* what);

// Precondition: every input shape broadcasts to `out` (the shape function checked it); at most 3 inputs.
BroadcastPlan make_broadcast_plan(const Shape& out, const std::vector<const Shape*>& inputs);

// Calls row(offsets, out_offset, count) over chunks of the output covering it once, in parallel; offsets[k] is
// input k's element offset at out_offset, and input k advances by plan.inner_stride[k] per element.
template <typename RowFn>
void for_each_row(const BroadcastPlan& plan, int threads, int64_t cost_per_item, const RowFn& row) {
    int64_t total = plan.rows * plan.inner;
    parallel_for(
        total, threads,
        [&](int64_t begin, int64_t end) {
            size_t nd = plan.dims.size();
            std::vector<int64_t> idx(nd, 0);
            std::array<int64_t, kMaxBroadcastInputs> off{};
            int64_t rem = begin / plan.inner;
            int64_t col = begin % plan.inner;
            for (size_t d = nd; d-- > 0;) {
                idx[d] = rem % plan.dims[d];
                rem /= plan.dims[d];
                for (int k = 0; k < kMaxBroadcastInputs; ++k) off[k] += idx[d] * plan.strides[d][k];
            }
            int64_t pos = begin;
            while (pos < end) {
                int64_t n = std::min(plan.inner - col, end - pos);
                std::array<int64_t, kMaxBroadcastInputs> o;
                for (int k = 0; k < kMaxBroadcastInputs; ++k) o[k] = off[k] + col * plan.inner_stride[k];
                row(o, pos, n);
                pos += n;
                col = 0;
                for (size_t d = nd; d-- > 0;) {
                    ++idx[d];
                    for (int k = 0; k < kMaxBroadcastInputs; ++k) off[k] += plan.strides[d][k];
                    if (idx[d] < plan.dims[d]) break;
                    for (int k = 0; k < kMaxBroadcastInputs; ++k) off[k] -= plan.strides[d][k] * plan.dims[d];
                    idx[d] = 0;
                }
            }
        },
        cost_per_item);
}

}  // namespace kiln::cpu
