// Shape functions of the Spatial family (see op_list.inc): AffineGrid, CenterCropPad, Col2Im, DeformConv, Einsum,
// GridSample, MaxRoiPool, MaxUnpool, NonMaxSuppression (data-dependent: [num_selected, 3], computed from the
// values at run time) and RoiAlign. Sizes that come from input values (AffineGrid's size, CenterCropPad's shape,
// Col2Im's image_shape, MaxUnpool's output_shape) stay unknown until those values are known.
#include <algorithm>

#include "ops/conv_window.h"
#include "ops/op_def.h"
#include "ops/shape_util.h"
#include "ops/spatial_algo.h"

namespace kiln::ops {
namespace {

const SymbolicShape* shape_of(const TensorInfo* t) { return t && t->has_rank() ? &*t->shape : nullptr; }

// Rank-checked shape of a required input, or null when its rank is unknown.
const SymbolicShape* required_shape(InferContext& ctx, size_t i, const char* what, int64_t min_rank,
                                    int64_t max_rank = 1 << 20) {
    const TensorInfo* t = ctx.input(i);
    KILN_CHECK(t, InvalidModel, ctx.node.describe(), ": needs input ", what);
    const SymbolicShape* s = shape_of(t);
    if (s) {
        int64_t r = static_cast<int64_t>(s->size());
        KILN_CHECK(r >= min_rank && r <= max_rank, InvalidArgument, ctx.node.describe(), ": ", what, " ",
                   symbolic_shape_to_string(t->shape), " has rank ", r, ", expected ",
                   min_rank == max_rank ? str(min_rank) : str(min_rank, "..", max_rank));
    }
    return s;
}

void infer_affine_grid(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const SymbolicShape* theta = required_shape(ctx, 0, "theta", 3, 3);
    KILN_CHECK(ctx.input(1), InvalidModel, node.describe(), ": needs input size");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0)->dtype;
    const Tensor* size = ctx.value(1);
    if (!size) {
        const SymbolicShape* ss = shape_of(ctx.input(1));
        if (ss && ss->size() == 1 && (*ss)[0].known()) {
            int64_t n = (*ss)[0].value;
            KILN_CHECK(n == 4 || n == 5, InvalidModel, node.describe(), ": size has ", n,
                       " entries, expected 4 (N, C, H, W) or 5 (N, C, D, H, W)");
            SymbolicShape s(static_cast<size_t>(n), Dim());  // [N, spatial dims (unknown)..., n - 2]
            if (theta) s[0] = (*theta)[0];
            s[n - 1] = n - 2;
            out.shape = s;
        }
        return;
    }
    std::vector<int64_t> sz = tensor_to_int64s(*size);
    KILN_CHECK(sz.size() == 4 || sz.size() == 5, InvalidArgument, node.describe(), ": size has ", sz.size(),
               " entries, expected 4 (N, C, H, W) or 5 (N, C, D, H, W)");
    int64_t nd = static_cast<int64_t>(sz.size()) - 2;
    for (int64_t v : sz) KILN_CHECK(v >= 0, InvalidArgument, node.describe(), ": negative size entry ", v);
    if (theta) {
        const SymbolicShape& t = *theta;
        KILN_CHECK((!t[1].known() || t[1].value == nd) && (!t[2].known() || t[2].value == nd + 1), InvalidArgument,
                   node.describe(), ": theta ", symbolic_shape_to_string(*theta), " does not match a ", nd,
                   "-D size (expected [N, ", nd, ", ", nd + 1, "])");
        KILN_CHECK(!t[0].known() || t[0].value == sz[0], InvalidArgument, node.describe(), ": theta batch ", t[0].value,
                   " differs from size N ", sz[0]);
    }
    SymbolicShape s{sz[0]};
    for (int64_t d = 0; d < nd; ++d) s.push_back(sz[2 + d]);
    s.push_back(nd);
    out.shape = s;
}

void infer_center_crop_pad(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x && ctx.input(1), InvalidModel, node.describe(), ": needs inputs input_data and shape");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = x->dtype;
    if (!x->has_rank()) return;
    int64_t rank = static_cast<int64_t>(x->shape->size());
    std::vector<int64_t> axes = node.attr_ints("axes");
    if (axes.empty()) {
        for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    }
    std::vector<bool> seen(rank, false);
    for (int64_t& a : axes) {
        a = normalize_axis(node, a, rank);
        KILN_CHECK(!seen[a], InvalidModel, node.describe(), ": axes repeat axis ", a);
        seen[a] = true;
    }
    SymbolicShape s = *x->shape;
    const Tensor* shape = ctx.value(1);
    if (!shape) {
        for (int64_t a : axes) s[a] = Dim();
        out.shape = s;
        return;
    }
    std::vector<int64_t> v = tensor_to_int64s(*shape);
    KILN_CHECK(v.size() == axes.size(), InvalidArgument, node.describe(), ": shape has ", v.size(),
               " entries but there are ", axes.size(), " axes");
    for (size_t i = 0; i < axes.size(); ++i) {
        KILN_CHECK(v[i] >= 0, InvalidArgument, node.describe(), ": negative shape entry ", v[i]);
        s[axes[i]] = v[i];
    }
    out.shape = s;
}

void infer_col2im(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const SymbolicShape* in = required_shape(ctx, 0, "input", 3, 3);
    KILN_CHECK(ctx.input(1) && ctx.input(2), InvalidModel, node.describe(), ": needs image_shape and block_shape");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0)->dtype;
    const Tensor* image = ctx.value(1);
    const Tensor* block = ctx.value(2);
    if (!image || !block) {
        const SymbolicShape* is = shape_of(ctx.input(1));
        if (is && is->size() == 1 && (*is)[0].known()) out.shape = SymbolicShape(2 + (*is)[0].value, Dim());
        if (out.shape && in) (*out.shape)[0] = (*in)[0];
        return;
    }
    std::vector<int64_t> img = tensor_to_int64s(*image), blk = tensor_to_int64s(*block);
    size_t nd = img.size();
    KILN_CHECK(nd >= 1 && blk.size() == nd, InvalidArgument, node.describe(), ": image_shape has ", nd,
               " entries and block_shape ", blk.size(), "; they must match");
    int64_t block_size = 1;
    for (size_t d = 0; d < nd; ++d) {
        KILN_CHECK(img[d] > 0 && blk[d] > 0, InvalidArgument, node.describe(),
                   ": image_shape and block_shape entries must be positive");
        KILN_CHECK(!__builtin_mul_overflow(block_size, blk[d], &block_size), InvalidArgument, node.describe(),
                   ": block_shape's product overflows int64");
    }
    Window w = read_window(node, nd, blk);
    int64_t blocks = 1;
    for (size_t d = 0; d < nd; ++d) {
        KILN_CHECK(!__builtin_mul_overflow(blocks, resolve_window_dim(node, w, d, img[d]), &blocks), InvalidArgument,
                   node.describe(), ": the number of blocks overflows int64");
    }
    SymbolicShape s{in ? (*in)[0] : Dim(), Dim()};
    if (in && (*in)[1].known()) {
        KILN_CHECK((*in)[1].value % block_size == 0, InvalidArgument, node.describe(), ": input dim 1 (",
                   (*in)[1].value, ") is not a multiple of the block size ", block_size);
        s[1] = (*in)[1].value / block_size;
    }
    if (in && (*in)[2].known())
        KILN_CHECK((*in)[2].value == blocks, InvalidArgument, node.describe(), ": input dim 2 (", (*in)[2].value,
                   ") differs from the number of sliding blocks ", blocks);
    for (int64_t v : img) s.push_back(v);
    out.shape = s;
}

void infer_deform_conv(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const SymbolicShape* x = required_shape(ctx, 0, "X", 3);
    const SymbolicShape* w = required_shape(ctx, 1, "W", 3);
    const SymbolicShape* off = required_shape(ctx, 2, "offset", 3);
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0)->dtype;
    if (!x) return;
    KILN_CHECK(!w || w->size() == x->size(), InvalidModel, node.describe(), ": X ", symbolic_shape_to_string(*x),
               " and W ", symbolic_shape_to_string(*w), " must have the same rank");
    size_t nd = x->size() - 2;
    SymbolicShape s{(*x)[0], w ? (*w)[0] : Dim()};
    std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
    if (kernel.empty() && w && w->size() == nd + 2) {
        for (size_t d = 0; d < nd; ++d) kernel.push_back((*w)[2 + d].value);
    }
    bool kernel_known =
        kernel.size() == nd && std::all_of(kernel.begin(), kernel.end(), [](int64_t k) { return k > 0; });
    for (size_t d = 0; d < nd; ++d) {
        Dim o;
        if (kernel_known) {
            Window win = read_window(node, nd, kernel);
            int64_t v = resolve_window_dim(node, win, d, (*x)[2 + d].value);
            if (v >= 0) o = v;
        }
        if (!o.known() && off && off->size() == nd + 2) o = (*off)[2 + d];
        s.push_back(o);
    }
    out.shape = s;
}

void infer_einsum(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    KILN_CHECK(ctx.input_count() >= 1, InvalidModel, node.describe(), ": needs at least one input");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0) ? ctx.input(0)->dtype : DType::Undefined;
    std::vector<int64_t> ranks;
    for (size_t i = 0; i < ctx.input_count(); ++i) {
        KILN_CHECK(ctx.input(i), InvalidModel, node.describe(), ": input ", i, " is missing");
        if (!ctx.input(i)->has_rank()) return;
        ranks.push_back(static_cast<int64_t>(ctx.input(i)->shape->size()));
    }
    EinsumSpec spec = parse_einsum(node, node.attr_string("equation", ""), ranks);
    std::vector<Dim> dims(kEinsumEllipsisLabel + spec.ellipsis_rank);
    std::vector<bool> any(dims.size(), false);
    for (size_t i = 0; i < spec.inputs.size(); ++i) {
        const SymbolicShape& s = *ctx.input(i)->shape;
        for (size_t d = 0; d < s.size(); ++d) {
            int l = spec.inputs[i][d];
            const Dim& v = s[d];
            if (!any[l]) {
                dims[l] = v;
                any[l] = true;
                continue;
            }
            Dim& cur = dims[l];
            if (v.known() && cur.known()) {
                if (v.value == cur.value || v.value == 1) continue;
                KILN_CHECK(cur.value == 1, InvalidArgument, node.describe(), ": Einsum label sizes ", cur.value,
                           " and ", v.value, " of input ", i, " dim ", d, " do not match");
                cur = v;
            } else if (cur.known() && cur.value == 1) {
                cur = v;
            } else if (!cur.known() && v.known() && v.value != 1) {
                cur = v;
            }
        }
    }
    SymbolicShape s;
    for (int l : spec.output) s.push_back(dims[l]);
    out.shape = s;
}

void infer_grid_sample(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const SymbolicShape* x = required_shape(ctx, 0, "X", 3);
    const SymbolicShape* g = required_shape(ctx, 1, "grid", 3);
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0)->dtype;
    std::string mode = node.attr_string("mode", "linear");
    std::string padding = node.attr_string("padding_mode", "zeros");
    KILN_CHECK(mode == "linear" || mode == "nearest" || mode == "cubic" || mode == "bilinear" || mode == "bicubic",
               InvalidModel, node.describe(), ": unknown mode '", mode, "'");
    KILN_CHECK(padding == "zeros" || padding == "border" || padding == "reflection", InvalidModel, node.describe(),
               ": unknown padding_mode '", padding, "'");
    if (!x || !g) return;
    KILN_CHECK(g->size() == x->size(), InvalidArgument, node.describe(), ": grid ", symbolic_shape_to_string(*g),
               " must have the rank of X ", symbolic_shape_to_string(*x));
    int64_t nd = static_cast<int64_t>(x->size()) - 2;
    const Dim& last = g->back();
    KILN_CHECK(!last.known() || last.value == nd, InvalidArgument, node.describe(), ": grid ",
               symbolic_shape_to_string(*g), " must end in ", nd);
    const Dim &xn = (*x)[0], &gn = (*g)[0];
    KILN_CHECK(!xn.known() || !gn.known() || xn.value == gn.value, InvalidArgument, node.describe(), ": grid ",
               symbolic_shape_to_string(*g), " must have the batch of X ", symbolic_shape_to_string(*x));
    SymbolicShape s{(*x)[0], (*x)[1]};
    for (int64_t d = 0; d < nd; ++d) s.push_back((*g)[1 + d]);
    out.shape = s;
}

void infer_max_roi_pool(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const SymbolicShape* x = required_shape(ctx, 0, "X", 4, 4);
    const SymbolicShape* rois = required_shape(ctx, 1, "rois", 2, 2);
    std::vector<int64_t> pooled = node.attr_ints("pooled_shape");
    KILN_CHECK(pooled.size() == 2 && pooled[0] > 0 && pooled[1] > 0, InvalidModel, node.describe(),
               ": pooled_shape must be two positive ints");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0)->dtype;
    if (rois) {
        const Dim& c = (*rois)[1];
        KILN_CHECK(!c.known() || c.value == 5, InvalidArgument, node.describe(), ": rois ",
                   symbolic_shape_to_string(*rois), " must be [num_rois, 5]");
    }
    out.shape = SymbolicShape{rois ? (*rois)[0] : Dim(), x ? (*x)[1] : Dim(), pooled[0], pooled[1]};
}

void infer_max_unpool(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const SymbolicShape* x = required_shape(ctx, 0, "X", 3);
    KILN_CHECK(ctx.input(1), InvalidModel, node.describe(), ": needs input I");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0)->dtype;
    if (ctx.input(2)) {
        const Tensor* os = ctx.value(2);
        if (os) {
            std::vector<int64_t> v = tensor_to_int64s(*os);
            KILN_CHECK(!x || v.size() == x->size(), InvalidArgument, node.describe(), ": output_shape has ", v.size(),
                       " entries, expected ", x ? x->size() : 0);
            for (int64_t d : v) KILN_CHECK(d >= 0, InvalidArgument, node.describe(), ": negative output_shape ", d);
            out.shape = SymbolicShape(v.begin(), v.end());
        } else if (x) {
            out.shape = SymbolicShape(x->size(), Dim());
        }
        return;
    }
    if (!x) return;
    size_t nd = x->size() - 2;
    Window w = read_window(node, nd, node.attr_ints("kernel_shape"));
    SymbolicShape s{(*x)[0], (*x)[1]};
    for (size_t d = 0; d < nd; ++d) {
        const Dim& in = (*x)[2 + d];
        if (!in.known()) {
            s.push_back(Dim());
            continue;
        }
        int64_t v = (in.value - 1) * w.strides[d] - (w.pads[d] + w.pads[d + nd]) + w.kernel[d];
        KILN_CHECK(v >= 0, InvalidArgument, node.describe(), ": pads leave a negative output extent in dim ", d);
        s.push_back(v);
    }
    out.shape = s;
}

void infer_non_max_suppression(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    KILN_CHECK(ctx.input(0) && ctx.input(1), InvalidModel, node.describe(), ": needs inputs boxes and scores");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = DType::Int64;
    out.shape = SymbolicShape{Dim(), 3};
    for (size_t i = 0; i < ctx.input_count() && i < 5; ++i)
        if (ctx.input(i) && !ctx.value(i)) return;
    auto sel = nms_run(node, *ctx.value(0), *ctx.value(1), ctx.value(2), ctx.value(3), ctx.value(4));
    (*out.shape)[0] = static_cast<int64_t>(sel.size());
}

void infer_roi_align(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const SymbolicShape* x = required_shape(ctx, 0, "X", 4, 4);
    const SymbolicShape* rois = required_shape(ctx, 1, "rois", 2, 2);
    const SymbolicShape* idx = required_shape(ctx, 2, "batch_indices", 1, 1);
    std::string mode = node.attr_string("mode", "avg");
    std::string ctm = node.attr_string("coordinate_transformation_mode", "half_pixel");
    KILN_CHECK(mode == "avg" || mode == "max", InvalidModel, node.describe(), ": unknown mode '", mode, "'");
    KILN_CHECK(ctm == "half_pixel" || ctm == "output_half_pixel", InvalidModel, node.describe(),
               ": unknown coordinate_transformation_mode '", ctm, "'");
    int64_t oh = node.attr_int("output_height", 1), ow = node.attr_int("output_width", 1);
    KILN_CHECK(oh > 0 && ow > 0, InvalidModel, node.describe(), ": output_height / output_width must be positive");
    if (rois) {
        const Dim& c = (*rois)[1];
        KILN_CHECK(!c.known() || c.value == 4, InvalidArgument, node.describe(), ": rois ",
                   symbolic_shape_to_string(*rois), " must be [num_rois, 4]");
    }
    Dim n = rois ? (*rois)[0] : Dim();
    if (idx && (*idx)[0].known()) {
        KILN_CHECK(!n.known() || n.value == (*idx)[0].value, InvalidArgument, node.describe(), ": rois has ", n.value,
                   " rows but batch_indices ", (*idx)[0].value);
        n = (*idx)[0];
    }
    TensorInfo& out = ctx.outputs[0];
    out.dtype = ctx.input(0)->dtype;
    out.shape = SymbolicShape{n, x ? (*x)[1] : Dim(), oh, ow};
}

}  // namespace

void infer_Spatial(InferContext& ctx) {
    switch (ctx.node.op) {
        case OpKind::AffineGrid:
            return infer_affine_grid(ctx);
        case OpKind::CenterCropPad:
            return infer_center_crop_pad(ctx);
        case OpKind::Col2Im:
            return infer_col2im(ctx);
        case OpKind::DeformConv:
            return infer_deform_conv(ctx);
        case OpKind::Einsum:
            return infer_einsum(ctx);
        case OpKind::GridSample:
            return infer_grid_sample(ctx);
        case OpKind::MaxRoiPool:
            return infer_max_roi_pool(ctx);
        case OpKind::MaxUnpool:
            return infer_max_unpool(ctx);
        case OpKind::NonMaxSuppression:
            return infer_non_max_suppression(ctx);
        case OpKind::RoiAlign:
            return infer_roi_align(ctx);
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not a Spatial-family op");
    }
}

}  // namespace kiln::ops
