// Runs one node on the CPU provider on concrete inputs: shape function, fresh outputs, kernel. Used by constant
// folding and op tests; the session's executor does the same with pooled buffers.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

// inputs[i] may be null for omitted optional inputs. Returns one tensor per node output (empty for omitted ones).
std::vector<Tensor> evaluate_node(const ir::Node& node, const std::vector<const Tensor*>& inputs, int threads);

// TensorInfo of a concrete tensor.
TensorInfo info_of(const Tensor& t);

}  // namespace kiln::cpu
