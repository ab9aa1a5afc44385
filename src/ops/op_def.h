// Op definitions: the one shape-and-type function per op, used by the optimizer, the partitioner, the memory
// planner and the runtime (on concrete shapes, with every input value known).
#pragma once

#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"
#include "ops/op_kind.h"

namespace kiln::ops {

struct InferContext {
    const ir::Node& node;
    std::vector<const TensorInfo*> inputs;  // null for omitted optional inputs
    std::vector<const Tensor*> values;      // input data when known (constants; always at run time), else null
    std::vector<TensorInfo> outputs;        // to fill: one per node output

    size_t input_count() const { return inputs.size(); }
    const TensorInfo* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
    const Tensor* value(size_t i) const { return i < values.size() ? values[i] : nullptr; }
};

// Fills ctx.outputs with dtypes and shapes (dims unknown where they cannot be derived). Throws InvalidModel or
// InvalidArgument naming the node when inputs are inconsistent (incompatible broadcast, bad axis, ...).
using ShapeFn = void (*)(InferContext& ctx);

#define KILN_OP(name, family) void infer_##family(InferContext& ctx);
#include "ops/op_list.inc"
#undef KILN_OP

// The shape function of `op`.
ShapeFn shape_function(OpKind op);

// Runs the op's shape function, naming the node on failure.
void infer_node(InferContext& ctx);

}  // namespace kiln::ops
