// Shape function of Resize (see op_list.inc), newest form: inputs X, roi, scales, sizes (omitted ones null;
// exactly one of scales / sizes non-empty), attributes axes and keep_aspect_ratio_policy.
#include "ops/op_def.h"
#include "ops/resize_scales.h"
#include "ops/shape_util.h"

namespace kiln::ops {

void infer_Resize(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
    TensorInfo& y = ctx.outputs.at(0);
    y.dtype = x->dtype;
    if (!x->has_rank()) return;
    int64_t rank = static_cast<int64_t>(x->shape->size());
    std::vector<int64_t> axes = resize_axes(node, rank);
    SymbolicShape out = *x->shape;
    for (int64_t a : axes) out[a] = Dim();
    y.shape = out;

    // Which of scales (2) / sizes (3) carries the target; a present but empty tensor counts as omitted.
    auto is_empty = [&](size_t i) {
        const TensorInfo* t = ctx.input(i);
        if (!t) return true;
        if (const Tensor* v = ctx.value(i)) return v->element_count() == 0;
        return t->has_rank() && t->shape->size() == 1 && (*t->shape)[0].known() && (*t->shape)[0].value == 0;
    };
    bool have_scales = !is_empty(2);
    bool have_sizes = !is_empty(3);
    KILN_CHECK(!(have_scales && have_sizes), InvalidModel, node.describe(),
               ": only one of the scales and sizes inputs may be non-empty");
    const Tensor* target = ctx.value(have_scales ? 2 : 3);
    if (!have_scales && !have_sizes) {
        // Both omitted: unknown at load time only when one of them is an unknown, non-constant value.
        bool maybe = (ctx.input(2) && !ctx.value(2)) || (ctx.input(3) && !ctx.value(3));
        KILN_CHECK(maybe, InvalidModel, node.describe(), ": one of the scales and sizes inputs must be non-empty");
        return;
    }
    if (!target || !x->is_static()) return;
    std::vector<double> scales;
    std::vector<int64_t> sizes;
    if (have_scales) {
        scales = tensor_to_doubles(*target);
    } else {
        sizes = tensor_to_int64s(*target);
    }
    ResizeGeometry g = resize_geometry(node, x->static_shape(), axes, scales, sizes);
    y.shape = SymbolicShape(g.out.begin(), g.out.end());
}

}  // namespace kiln::ops
