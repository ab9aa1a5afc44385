// Helpers shared by shape functions (and by kernels that need the same arithmetic).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"

namespace kiln::ops {

// Axis in [-rank, rank) -> [0, rank); InvalidModel naming the node otherwise.
int64_t normalize_axis(const ir::Node& node, int64_t axis, int64_t rank);

// Numpy broadcast of symbolic shapes (unknown dims stay unknown unless the other side fixes them);
// InvalidArgument naming the node when two known dims differ and neither is 1.
SymbolicShape broadcast_shapes(const ir::Node& node, const std::vector<const SymbolicShape*>& shapes);

// Numpy broadcast of concrete shapes.
Shape broadcast_static(const ir::Node& node, const std::vector<const Shape*>& shapes);

// The values of an integer tensor (int8..int64, uint8..uint64, bool) as int64.
std::vector<int64_t> tensor_to_int64s(const Tensor& t);
// The values of a float/double/float16/bfloat16 tensor as double.
std::vector<double> tensor_to_doubles(const Tensor& t);

// A TensorInfo with a fully known shape.
TensorInfo static_info(DType dtype, const Shape& shape);
// Same dtype and shape as `in` (or unknown rank when `in` is null).
TensorInfo same_as(const TensorInfo* in);

}  // namespace kiln::ops
