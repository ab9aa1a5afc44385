// Shape functions of the Signal family (see op_list.inc): DFT (opset 20: dft_length and axis as inputs; real
// input [..., 1] or complex [..., 2]), STFT, the Blackman / Hamming / Hann windows and MelWeightMatrix. Lengths
// that come from input values stay unknown until those values are known.
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

// A scalar (or one-element) integer input's value, or -1 when unknown.
int64_t scalar_int(InferContext& ctx, size_t i) {
    const Tensor* t = ctx.value(i);
    if (!t) return -1;
    KILN_CHECK(t->element_count() == 1, InvalidArgument, ctx.node.describe(), ": input ", i,
               " must hold one value, got shape ", shape_to_string(t->shape()));
    return tensor_to_int64s(*t)[0];
}

DType output_datatype(const ir::Node& node) {
    int64_t v = node.attr_int("output_datatype", 1);
    KILN_CHECK(dtype_is_valid(static_cast<int32_t>(v)) && v != 0, InvalidModel, node.describe(),
               ": invalid output_datatype ", v);
    return static_cast<DType>(v);
}

void infer_dft(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = x->dtype;
    bool inverse = node.attr_int("inverse", 0) != 0;
    bool onesided = node.attr_int("onesided", 0) != 0;
    if (!x->has_rank()) return;
    const SymbolicShape& in = *x->shape;
    int64_t rank = static_cast<int64_t>(in.size());
    KILN_CHECK(rank >= 2, InvalidArgument, node.describe(), ": input ", symbolic_shape_to_string(x->shape),
               " must have rank >= 2 (the last dim holds 1 real or 2 complex components)");
    const Dim& comp = in.back();
    KILN_CHECK(!comp.known() || comp.value == 1 || comp.value == 2, InvalidArgument, node.describe(), ": input ",
               symbolic_shape_to_string(x->shape), " must end in 1 (real) or 2 (complex)");
    SymbolicShape s = in;
    s.back() = inverse && onesided ? 1 : 2;
    int64_t axis = -2;
    if (ctx.input(2)) {
        axis = scalar_int(ctx, 2);
        if (!ctx.value(2)) {
            for (int64_t d = 0; d + 1 < rank; ++d) s[d] = Dim();
            out.shape = s;
            return;
        }
    }
    int64_t given_axis = axis;
    if (axis < 0) axis += rank;
    KILN_CHECK(axis >= 0 && axis < rank - 1, InvalidArgument, node.describe(), ": axis ", given_axis,
               " out of range for input ", symbolic_shape_to_string(x->shape), " (the last dim cannot be an axis)");
    int64_t n = -1;
    if (ctx.input(1)) {
        n = scalar_int(ctx, 1);
        if (ctx.value(1)) KILN_CHECK(n > 0, InvalidArgument, node.describe(), ": dft_length must be positive, got ", n);
    } else if (in[axis].known()) {
        n = inverse && onesided ? 2 * (in[axis].value - 1) : in[axis].value;
    }
    if (n < 0) {
        s[axis] = Dim();
    } else {
        s[axis] = !inverse && onesided ? n / 2 + 1 : n;
    }
    out.shape = s;
}

void infer_stft(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x && ctx.input(1), InvalidModel, node.describe(), ": needs inputs signal and frame_step");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = x->dtype;
    bool onesided = node.attr_int("onesided", 1) != 0;
    SymbolicShape s{Dim(), Dim(), Dim(), 2};
    if (x->has_rank()) {
        const SymbolicShape& in = *x->shape;
        KILN_CHECK(in.size() == 3, InvalidArgument, node.describe(), ": signal ", symbolic_shape_to_string(x->shape),
                   " must be [batch, length, 1 or 2]");
        KILN_CHECK(!in[2].known() || in[2].value == 1 || in[2].value == 2, InvalidArgument, node.describe(),
                   ": signal ", symbolic_shape_to_string(x->shape), " must end in 1 (real) or 2 (complex)");
        if (in[2].known() && in[2].value == 2)
            KILN_CHECK(!onesided, InvalidArgument, node.describe(), ": onesided output needs a real signal");
        s[0] = in[0];
    }
    if (const TensorInfo* w = ctx.input(2); w && w->has_rank())
        KILN_CHECK(w->shape->size() == 1, InvalidArgument, node.describe(), ": window must be 1-D");
    int64_t length = -1;
    if (ctx.input(3)) {
        length = scalar_int(ctx, 3);
    } else if (const TensorInfo* w = ctx.input(2); w && w->has_rank()) {
        length = (*w->shape)[0].value;
    } else if (!ctx.input(2) && x->has_rank()) {
        length = (*x->shape)[1].value;
    }
    if (const TensorInfo* w = ctx.input(2); w && w->has_rank() && length >= 0) {
        const Dim& wl = (*w->shape)[0];
        KILN_CHECK(!wl.known() || wl.value == length, InvalidArgument, node.describe(), ": window length ", wl.value,
                   " differs from frame_length ", length);
    }
    int64_t step = scalar_int(ctx, 1);
    if (ctx.value(1)) KILN_CHECK(step > 0, InvalidArgument, node.describe(), ": frame_step must be positive");
    if (length >= 0) {
        KILN_CHECK(length > 0, InvalidArgument, node.describe(), ": frame_length must be positive");
        s[2] = onesided ? length / 2 + 1 : length;
        if (step > 0 && x->has_rank() && (*x->shape)[1].known()) {
            int64_t len = (*x->shape)[1].value;
            KILN_CHECK(len >= length, InvalidArgument, node.describe(), ": signal length ", len,
                       " is shorter than frame_length ", length);
            s[1] = 1 + (len - length) / step;
        }
    }
    out.shape = s;
}

void infer_window(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    KILN_CHECK(ctx.input(0), InvalidModel, node.describe(), ": needs input size");
    TensorInfo& out = ctx.outputs[0];
    out.dtype = output_datatype(node);
    int64_t n = scalar_int(ctx, 0);
    if (ctx.value(0)) KILN_CHECK(n >= 0, InvalidArgument, node.describe(), ": size must be non-negative, got ", n);
    out.shape = SymbolicShape{n >= 0 ? Dim(n) : Dim()};
}

void infer_mel_weight_matrix(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    for (size_t i = 0; i < 5; ++i) KILN_CHECK(ctx.input(i), InvalidModel, node.describe(), ": needs input ", i);
    TensorInfo& out = ctx.outputs[0];
    out.dtype = output_datatype(node);
    int64_t bins = scalar_int(ctx, 0), dft_length = scalar_int(ctx, 1);
    if (ctx.value(0)) KILN_CHECK(bins > 0, InvalidArgument, node.describe(), ": num_mel_bins must be positive");
    if (ctx.value(1)) KILN_CHECK(dft_length > 0, InvalidArgument, node.describe(), ": dft_length must be positive");
    out.shape = SymbolicShape{dft_length > 0 ? Dim(dft_length / 2 + 1) : Dim(), bins > 0 ? Dim(bins) : Dim()};
}

}  // namespace

void infer_Signal(InferContext& ctx) {
    switch (ctx.node.op) {
        case OpKind::DFT:
            return infer_dft(ctx);
        case OpKind::STFT:
            return infer_stft(ctx);
        case OpKind::BlackmanWindow:
        case OpKind::HammingWindow:
        case OpKind::HannWindow:
            return infer_window(ctx);
        case OpKind::MelWeightMatrix:
            return infer_mel_weight_matrix(ctx);
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not a Signal-family op");
    }
}

}  // namespace kiln::ops
