// Shape functions of the MatMul family (see op_list.inc): Gemm (2-D, transA/transB, optional C broadcast to
// [M, N]) and MatMul (numpy matmul: 1-D promotion and batch broadcasting).
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

void check_inner(const ir::Node& node, const Dim& a, const Dim& b, const TensorInfo& ta, const TensorInfo& tb) {
    if (a.known() && b.known())
        KILN_CHECK(a.value == b.value, InvalidArgument, node.describe(), ": inner dimensions differ: A ",
                   symbolic_shape_to_string(ta.shape), " x B ", symbolic_shape_to_string(tb.shape));
}

void infer_gemm(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* a = ctx.input(0);
    const TensorInfo* b = ctx.input(1);
    KILN_CHECK(a && b, InvalidModel, node.describe(), ": needs inputs A and B");
    TensorInfo& y = ctx.outputs.at(0);
    y.dtype = a->dtype;
    bool ta = node.attr_int("transA", 0) != 0;
    bool tb = node.attr_int("transB", 0) != 0;
    Dim m, n, ka, kb;
    if (a->has_rank()) {
        KILN_CHECK(a->shape->size() == 2, InvalidArgument, node.describe(), ": A must be 2-D, got ",
                   symbolic_shape_to_string(a->shape));
        m = (*a->shape)[ta ? 1 : 0];
        ka = (*a->shape)[ta ? 0 : 1];
    }
    if (b->has_rank()) {
        KILN_CHECK(b->shape->size() == 2, InvalidArgument, node.describe(), ": B must be 2-D, got ",
                   symbolic_shape_to_string(b->shape));
        kb = (*b->shape)[tb ? 1 : 0];
        n = (*b->shape)[tb ? 0 : 1];
    }
    check_inner(node, ka, kb, *a, *b);
    y.shape = SymbolicShape{m, n};
    const TensorInfo* c = ctx.input(2);
    if (c && c->has_rank()) {
        const SymbolicShape& cs = *c->shape;
        KILN_CHECK(cs.size() <= 2, InvalidArgument, node.describe(), ": C ", symbolic_shape_to_string(c->shape),
                   " must have rank <= 2");
        // Unidirectional: every C dim is 1 or equal to the matching output dim.
        for (size_t i = 0; i < cs.size(); ++i) {
            const Dim& od = (*y.shape)[2 - cs.size() + i];
            if (cs[i].known() && od.known())
                KILN_CHECK(cs[i].value == 1 || cs[i].value == od.value, InvalidArgument, node.describe(), ": C ",
                           symbolic_shape_to_string(c->shape),
                           " cannot be broadcast to [M, N] = ", symbolic_shape_to_string(y.shape));
        }
    }
}

void infer_matmul(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* a = ctx.input(0);
    const TensorInfo* b = ctx.input(1);
    KILN_CHECK(a && b, InvalidModel, node.describe(), ": needs inputs A and B");
    TensorInfo& y = ctx.outputs.at(0);
    y.dtype = a->dtype;
    KILN_CHECK(a->dtype == b->dtype || a->dtype == DType::Undefined || b->dtype == DType::Undefined, InvalidArgument,
               node.describe(), ": A is ", dtype_name(a->dtype), " but B is ", dtype_name(b->dtype));
    if (!a->has_rank() || !b->has_rank()) return;
    SymbolicShape as = *a->shape;
    SymbolicShape bs = *b->shape;
    KILN_CHECK(!as.empty() && !bs.empty(), InvalidArgument, node.describe(), ": MatMul inputs must not be scalars");
    bool a_vec = as.size() == 1;
    bool b_vec = bs.size() == 1;
    if (a_vec) as.insert(as.begin(), Dim(1));
    if (b_vec) bs.push_back(Dim(1));
    check_inner(node, as.back(), bs[bs.size() - 2], *a, *b);
    SymbolicShape a_batch(as.begin(), as.end() - 2);
    SymbolicShape b_batch(bs.begin(), bs.end() - 2);
    SymbolicShape out = broadcast_shapes(node, {&a_batch, &b_batch});
    if (!a_vec) out.push_back(as[as.size() - 2]);
    if (!b_vec) out.push_back(bs.back());
    y.shape = out;
}

}  // namespace

void infer_MatMul(InferContext& ctx) {
    if (ctx.node.op == OpKind::Gemm) {
        infer_gemm(ctx);
    } else {
        infer_matmul(ctx);
    }
}

}  // namespace kiln::ops
