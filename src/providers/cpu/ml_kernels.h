// Internal to the CPU Ml family (ai.onnx.ml operators): the kernels split over ml*.cc.
#pragma once

#include <memory>

#include "ir/graph.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

std::unique_ptr<Kernel> create_tree_ensemble(const ir::Node& node);

}  // namespace kiln::cpu
