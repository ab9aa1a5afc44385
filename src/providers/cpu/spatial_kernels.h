// Internal to the Spatial family's CPU kernels: factories of the kernels that live in their own files
// (spatial_sample.cc: GridSample, DeformConv; spatial_einsum.cc: Einsum), dispatched by create_Spatial
// (spatial.cc).
#pragma once

#include <memory>

#include "ir/graph.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

std::unique_ptr<Kernel> make_grid_sample_kernel(const ir::Node& node);
std::unique_ptr<Kernel> make_deform_conv_kernel(const ir::Node& node);
std::unique_ptr<Kernel> make_einsum_kernel(const ir::Node& node);

}  // namespace kiln::cpu
