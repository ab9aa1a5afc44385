// Shape functions of the Conv family (see op_list.inc): Conv and ConvTranspose, 1-D/2-D/3-D, NCHW.
#include "ops/conv_window.h"
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

bool known(const SymbolicShape& s, size_t i) { return i < s.size() && s[i].known(); }

// The kernel extent from kernel_shape, else from the weight's spatial dims (-1 entries when unknown).
std::vector<int64_t> kernel_extent(const ir::Node& node, const SymbolicShape& w, size_t spatial) {
    if (node.has_attribute("kernel_shape")) {
        auto k = node.attr_ints("kernel_shape");
        KILN_CHECK(k.size() == spatial, InvalidModel, node.describe(), ": kernel_shape has ", k.size(),
                   " dims but the input has ", spatial, " spatial dims");
        for (size_t i = 0; i < spatial; ++i) {
            if (known(w, i + 2))
                KILN_CHECK(w[i + 2].value == k[i], InvalidModel, node.describe(), ": kernel_shape ", shape_to_string(k),
                           " does not match weight shape ", symbolic_shape_to_string(w));
        }
        return k;
    }
    std::vector<int64_t> k(spatial, -1);
    for (size_t i = 0; i < spatial; ++i)
        if (known(w, i + 2)) k[i] = w[i + 2].value;
    return k;
}

}  // namespace

void infer_Conv(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const bool transpose = node.op == OpKind::ConvTranspose;
    const TensorInfo* x = ctx.input(0);
    const TensorInfo* w = ctx.input(1);
    KILN_CHECK(x && w, InvalidModel, node.describe(), ": needs inputs X and W");
    TensorInfo& y = ctx.outputs.at(0);
    y.dtype = x->dtype;
    KILN_CHECK(w->dtype == x->dtype || w->dtype == DType::Undefined || x->dtype == DType::Undefined, InvalidModel,
               node.describe(), ": X is ", dtype_name(x->dtype), " but W is ", dtype_name(w->dtype));
    int64_t group = node.attr_int("group", 1);
    KILN_CHECK(group >= 1, InvalidModel, node.describe(), ": group must be >= 1, got ", group);

    size_t rank = x->has_rank() ? x->shape->size() : (w->has_rank() ? w->shape->size() : 0);
    if (!x->has_rank() && !w->has_rank()) {
        if (!node.has_attribute("kernel_shape")) return;  // rank unknown
        rank = node.attr_ints("kernel_shape").size() + 2;
    }
    KILN_CHECK(rank >= 3, InvalidModel, node.describe(), ": X must have rank >= 3 (N, C, spatial...), got ",
               symbolic_shape_to_string(x->shape));
    if (x->has_rank() && w->has_rank())
        KILN_CHECK(x->shape->size() == w->shape->size(), InvalidModel, node.describe(), ": X ",
                   symbolic_shape_to_string(x->shape), " and W ", symbolic_shape_to_string(w->shape),
                   " must have the same rank");
    SymbolicShape xs = x->has_rank() ? *x->shape : SymbolicShape(rank);
    SymbolicShape ws = w->has_rank() ? *w->shape : SymbolicShape(rank);
    size_t spatial = rank - 2;

    // Channels: Conv W is [M, C/group, k...]; ConvTranspose W is [C, M/group, k...].
    if (known(xs, 1)) {
        if (!transpose && known(ws, 1))
            KILN_CHECK(xs[1].value == ws[1].value * group, InvalidArgument, node.describe(), ": X ",
                       symbolic_shape_to_string(xs), " has ", xs[1].value, " channels but W ",
                       symbolic_shape_to_string(ws), " expects ", ws[1].value, " x group ", group);
        if (transpose && known(ws, 0))
            KILN_CHECK(xs[1].value == ws[0].value, InvalidArgument, node.describe(), ": X ",
                       symbolic_shape_to_string(xs), " has ", xs[1].value, " channels but W ",
                       symbolic_shape_to_string(ws), " expects ", ws[0].value);
        KILN_CHECK(xs[1].value % group == 0, InvalidArgument, node.describe(), ": ", xs[1].value,
                   " input channels are not divisible by group ", group);
    }
    if (!transpose && known(ws, 0))
        KILN_CHECK(ws[0].value % group == 0, InvalidArgument, node.describe(), ": ", ws[0].value,
                   " output channels are not divisible by group ", group);
    const TensorInfo* b = ctx.input(2);
    Dim out_channels = transpose ? (known(ws, 1) ? Dim(ws[1].value * group) : Dim()) : ws[0];
    if (b && b->has_rank() && out_channels.known()) {
        KILN_CHECK(b->shape->size() == 1 && (!(*b->shape)[0].known() || (*b->shape)[0].value == out_channels.value),
                   InvalidArgument, node.describe(), ": bias B ", symbolic_shape_to_string(b->shape), " must be [",
                   out_channels.value, "]");
    }

    SymbolicShape out(rank);
    out[0] = xs[0];
    out[1] = out_channels;
    std::vector<int64_t> kernel = kernel_extent(node, ws, spatial);
    bool kernel_known = true;
    for (int64_t k : kernel) kernel_known &= k >= 0;
    if (!kernel_known) {
        y.shape = out;
        return;
    }
    Window win = read_window(node, spatial, kernel);
    if (!transpose) {
        for (size_t d = 0; d < spatial; ++d) {
            int64_t o = resolve_window_dim(node, win, d, xs[d + 2].known() ? xs[d + 2].value : -1);
            if (o >= 0) {
                KILN_CHECK(o > 0, InvalidArgument, node.describe(), ": empty output for X ",
                           symbolic_shape_to_string(xs));
                out[d + 2] = o;
            }
        }
    } else {
        auto output_padding = node.attr_ints("output_padding", std::vector<int64_t>(spatial, 0));
        auto output_shape = node.attr_ints("output_shape");
        KILN_CHECK(output_padding.size() == spatial, InvalidModel, node.describe(), ": output_padding has ",
                   output_padding.size(), " entries, expected ", spatial);
        if (output_shape.size() == spatial + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
        KILN_CHECK(output_shape.empty() || output_shape.size() == spatial, InvalidModel, node.describe(),
                   ": output_shape has ", output_shape.size(), " entries, expected ", spatial);
        for (size_t d = 0; d < spatial; ++d) {
            int64_t o = resolve_transpose_dim(node, win, d, xs[d + 2].known() ? xs[d + 2].value : -1, output_padding[d],
                                              output_shape.empty() ? -1 : output_shape[d]);
            if (o >= 0) out[d + 2] = o;
        }
    }
    y.shape = out;
}

}  // namespace kiln::ops
