// Shape functions of the Binary family (see op_list.inc): numpy broadcasting over all inputs (Where: condition,
// X, Y). Output dtype: bool for comparisons and logical ops, X's for Where, input 0's otherwise (Pow's exponent
// may have another numeric type).
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

bool is_comparison(OpKind op) {
    switch (op) {
        case OpKind::Equal:
        case OpKind::Greater:
        case OpKind::GreaterOrEqual:
        case OpKind::Less:
        case OpKind::LessOrEqual:
        case OpKind::And:
        case OpKind::Or:
        case OpKind::Xor:
            return true;
        default:
            return false;
    }
}

bool is_variadic(OpKind op) {
    return op == OpKind::Max || op == OpKind::Min || op == OpKind::Mean || op == OpKind::Sum;
}

}  // namespace

void infer_Binary(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    OpKind op = node.op;
    size_t n = ctx.input_count();
    if (is_variadic(op)) {
        KILN_CHECK(n >= 1, InvalidModel, node.describe(), ": expects at least one input");
    } else {
        size_t want = op == OpKind::Where ? 3 : 2;
        KILN_CHECK(n == want, InvalidModel, node.describe(), ": expects ", want, " inputs, got ", n);
    }
    for (size_t i = 0; i < n; ++i) {
        KILN_CHECK(ctx.input(i) != nullptr, InvalidModel, node.describe(), ": input ", i, " is required");
    }
    KILN_CHECK(!ctx.outputs.empty(), InvalidModel, node.describe(), ": expects one output");

    // Inputs whose dtype must agree: all but Where's condition and Pow's exponent.
    size_t first = op == OpKind::Where ? 1 : 0;
    size_t last = op == OpKind::Pow ? 1 : n;
    DType dtype = ctx.input(first)->dtype;
    for (size_t i = first; i < last; ++i) {
        DType d = ctx.input(i)->dtype;
        if (dtype == DType::Undefined) dtype = d;
        KILN_CHECK(d == DType::Undefined || d == dtype, InvalidModel, node.describe(), ": input ", i, " has dtype ",
                   dtype_name(d), ", expected ", dtype_name(dtype));
    }
    if (op == OpKind::Where) {
        DType c = ctx.input(0)->dtype;
        KILN_CHECK(c == DType::Bool || c == DType::Undefined, InvalidModel, node.describe(),
                   ": condition must be bool, got ", dtype_name(c));
    }

    TensorInfo out;
    out.dtype = is_comparison(op) ? DType::Bool : dtype;
    std::vector<const SymbolicShape*> shapes;
    bool ranked = true;
    for (size_t i = 0; i < n; ++i) {
        if (!ctx.input(i)->has_rank()) {
            ranked = false;
            break;
        }
        shapes.push_back(&*ctx.input(i)->shape);
    }
    if (ranked) out.shape = broadcast_shapes(node, shapes);
    if (op == OpKind::PRelu && ranked) {
        // The slope broadcasts to X (unidirectionally): the output has X's shape.
        bool fits = out.shape->size() == shapes[0]->size();
        for (size_t i = 0; fits && i < shapes[0]->size(); ++i) {
            const Dim& xd = (*shapes[0])[i];
            fits = !xd.known() || (*out.shape)[i].value == xd.value;
        }
        KILN_CHECK(fits, InvalidArgument, node.describe(), ": slope shape ",
                   symbolic_shape_to_string(*ctx.input(1)->shape), " does not broadcast to X shape ",
                   symbolic_shape_to_string(*ctx.input(0)->shape));
    }
    ctx.outputs[0] = out;
}

}  // namespace kiln::ops
