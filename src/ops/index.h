// Unique's grouping, shared by its shape function (the output size depends on the data) and its CPU kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::ops {

// Groups the elements of `x` (axis < 0: flattened) or its slices along `axis` into unique values (defined in
// index_unique.cc). first[g]: index of group g's first occurrence; inverse[i]: group of element/slice i;
// counts[g]: its size. Groups are in ascending order when `sorted`, else in order of first occurrence.
void unique_groups(const ir::Node& node, const Tensor& x, int64_t axis, bool sorted, std::vector<int64_t>& first,
                   std::vector<int64_t>& inverse, std::vector<int64_t>& counts);

}  // namespace kiln::ops
