// Shape functions of the Training family (see op_list.inc), the optimizer update rules of the
// ai.onnx.preview.training domain: Adagrad, Adam, Momentum. Inputs are R (scalar learning rate), T (scalar int64
// step count), then k groups of n tensors (X..., G..., then the state tensors: H for Adagrad, V and H for Adam, V
// for Momentum); outputs are the updated X... followed by the updated state groups, each with its input's shape.
#include "ops/op_def.h"

namespace kiln::ops {
namespace {

// Input groups after R and T: X, G and the state groups.
int input_groups(OpKind op) { return op == OpKind::Adam ? 4 : 3; }

}  // namespace

void infer_Training(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const int groups = input_groups(node.op);
    const size_t count = ctx.input_count();
    KILN_CHECK(count >= 2 + static_cast<size_t>(groups) && (count - 2) % groups == 0, InvalidModel, node.describe(),
               ": needs R, T and ", groups, " groups of equally many tensors, got ", count, " inputs");
    const size_t n = (count - 2) / groups;
    KILN_CHECK(ctx.outputs.size() == n * (groups - 1), InvalidModel, node.describe(), ": ", n,
               " tensors to update need ", n * (groups - 1), " outputs, got ", ctx.outputs.size());
    for (size_t i = 0; i < count; ++i)
        KILN_CHECK(ctx.input(i), InvalidModel, node.describe(), ": input ", i, " is missing");
    const TensorInfo& r = *ctx.input(0);
    const TensorInfo& t = *ctx.input(1);
    KILN_CHECK(r.dtype == DType::Undefined || r.dtype == DType::Float || r.dtype == DType::Double, InvalidModel,
               node.describe(), ": R must be float or double, not ", dtype_name(r.dtype));
    KILN_CHECK(t.dtype == DType::Undefined || t.dtype == DType::Int64, InvalidModel, node.describe(),
               ": T must be int64, not ", dtype_name(t.dtype));
    for (size_t i = 2; i < count; ++i) {
        DType d = ctx.input(i)->dtype;
        KILN_CHECK(d == DType::Undefined || d == DType::Float || d == DType::Double, InvalidModel, node.describe(),
                   ": input ", i, " must be float or double, not ", dtype_name(d));
    }
    // Output group g (0: X, then the state groups) mirrors input group g, skipping G.
    for (size_t g = 0; g + 1 < static_cast<size_t>(groups); ++g) {
        size_t in_group = g == 0 ? 0 : g + 1;
        for (size_t i = 0; i < n; ++i) ctx.outputs[g * n + i] = *ctx.input(2 + in_group * n + i);
    }
}

}  // namespace kiln::ops
