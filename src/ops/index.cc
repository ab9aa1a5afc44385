// Shape functions of the Index family (see op_list.inc): Compress, CumProd, CumSum, GatherND, NonZero, OneHot,
// ReverseSequence, ScatterElements, ScatterND, TensorScatter, TopK, Unique.
// Data-dependent dims (Compress, NonZero, OneHot's depth, TopK's k, Unique) come from the input values when they
// are known (always at run time) and stay unknown otherwise.
#include "ops/index.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

namespace {

int64_t rank_of(const TensorInfo* t) { return static_cast<int64_t>(t->shape->size()); }

const TensorInfo& require(const InferContext& ctx, size_t i, const char* what) {
    const TensorInfo* t = ctx.input(i);
    KILN_CHECK(t, InvalidModel, ctx.node.describe(), ": input ", i, " (", what, ") is required");
    return *t;
}

void check_index_dtype(const ir::Node& node, const TensorInfo& t, const char* what) {
    KILN_CHECK(t.dtype == DType::Undefined || t.dtype == DType::Int64 || t.dtype == DType::Int32, InvalidModel,
               node.describe(), ": ", what, " must be int32 or int64, got ", dtype_name(t.dtype));
}

// The single value of a scalar or one-element tensor, as int64 (floats truncated).
int64_t scalar_int(const ir::Node& node, const Tensor& t, const char* what) {
    KILN_CHECK(t.element_count() == 1, InvalidArgument, node.describe(), ": ", what, " must have one element, got ",
               shape_to_string(t.shape()));
    if (dtype_is_float(t.dtype())) {
        double v = tensor_to_doubles(t)[0];
        KILN_CHECK(std::isfinite(v) && std::fabs(v) < 0x1p63, InvalidArgument, node.describe(), ": ", what, " ", v,
                   " is not a finite value in int64's range");
        return static_cast<int64_t>(v);
    }
    return tensor_to_int64s(t)[0];
}

void infer_compress(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& x = require(ctx, 0, "input");
    const TensorInfo& cond = require(ctx, 1, "condition");
    KILN_CHECK(cond.dtype == DType::Undefined || cond.dtype == DType::Bool, InvalidModel, node.describe(),
               ": condition must be bool, got ", dtype_name(cond.dtype));
    if (cond.has_rank())
        KILN_CHECK(cond.shape->size() == 1, InvalidModel, node.describe(), ": condition must be 1-D, got ",
                   symbolic_shape_to_string(cond.shape));
    TensorInfo out;
    out.dtype = x.dtype;
    bool has_axis = node.has_attribute("axis");
    // Number of selected slices, when the condition and the axis length are known.
    Dim selected;
    const Tensor* cv = ctx.value(1);
    Dim axis_dim;
    int64_t axis = 0;
    if (x.has_rank()) {
        if (has_axis) {
            axis = normalize_axis(node, node.attr_int("axis", 0), rank_of(&x));
            KILN_CHECK(rank_of(&x) >= 1, InvalidModel, node.describe(), ": input must have rank >= 1 with an axis");
            axis_dim = (*x.shape)[axis];
        } else if (x.is_static()) {
            axis_dim = Dim(shape_element_count(x.static_shape()));
        }
    }
    if (cv && axis_dim.known()) {
        std::vector<int64_t> c = tensor_to_int64s(*cv);
        int64_t n = 0;
        for (size_t i = 0; i < c.size(); ++i) {
            if (!c[i]) continue;
            KILN_CHECK(static_cast<int64_t>(i) < axis_dim.value, InvalidArgument, node.describe(),
                       ": condition is true at position ", i, " beyond the axis length ", axis_dim.value);
            ++n;
        }
        selected = Dim(n);
    }
    if (!has_axis) {
        out.shape = SymbolicShape{selected};
    } else if (x.has_rank()) {
        SymbolicShape s = *x.shape;
        s[axis] = selected;
        out.shape = s;
    }
    ctx.outputs.at(0) = out;
}

void infer_cumulative(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& x = require(ctx, 0, "x");
    const TensorInfo& axis = require(ctx, 1, "axis");
    check_index_dtype(node, axis, "axis");
    if (axis.has_rank())
        KILN_CHECK(axis.shape->size() == 0 || (axis.shape->size() == 1 && (*axis.shape)[0].value <= 1), InvalidModel,
                   node.describe(), ": axis must be a scalar, got ", symbolic_shape_to_string(axis.shape));
    if (const Tensor* av = ctx.value(1); av && x.has_rank()) {
        KILN_CHECK(rank_of(&x) >= 1, InvalidArgument, node.describe(), ": x must have rank >= 1");
        normalize_axis(node, scalar_int(node, *av, "axis"), rank_of(&x));
    }
    ctx.outputs.at(0) = x;
}

void infer_gather_nd(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& data = require(ctx, 0, "data");
    const TensorInfo& indices = require(ctx, 1, "indices");
    check_index_dtype(node, indices, "indices");
    TensorInfo out;
    out.dtype = data.dtype;
    int64_t b = node.attr_int("batch_dims", 0);
    KILN_CHECK(b >= 0, InvalidModel, node.describe(), ": batch_dims ", b, " must be >= 0");
    if (data.has_rank() && indices.has_rank()) {
        int64_t r = rank_of(&data), q = rank_of(&indices);
        KILN_CHECK(r >= 1 && q >= 1, InvalidModel, node.describe(), ": data and indices must have rank >= 1");
        KILN_CHECK(b < std::min(q, r), InvalidModel, node.describe(), ": batch_dims ", b,
                   " must be less than the ranks of data (", r, ") and indices (", q, ")");
        for (int64_t i = 0; i < b; ++i) {
            const Dim &dd = (*data.shape)[i], &id = (*indices.shape)[i];
            KILN_CHECK(!dd.known() || !id.known() || dd.value == id.value, InvalidArgument, node.describe(),
                       ": batch dim ", i, " differs between data ", symbolic_shape_to_string(data.shape),
                       " and indices ", symbolic_shape_to_string(indices.shape));
        }
        const Dim& last = indices.shape->back();
        if (last.known()) {
            int64_t m = last.value;
            KILN_CHECK(m >= 1 && m <= r - b, InvalidArgument, node.describe(), ": indices' last dim ", m,
                       " must be in [1, ", r - b, "]");
            SymbolicShape s(indices.shape->begin(), indices.shape->end() - 1);
            for (int64_t i = 0; i < b; ++i) {
                if (!s[i].known()) s[i] = (*data.shape)[i];
            }
            s.insert(s.end(), data.shape->begin() + b + m, data.shape->end());
            out.shape = s;
        }
    }
    ctx.outputs.at(0) = out;
}

void infer_non_zero(InferContext& ctx) {
    const TensorInfo& x = require(ctx, 0, "X");
    TensorInfo out;
    out.dtype = DType::Int64;
    Dim count;
    if (const Tensor* v = ctx.value(0)) {
        // Counted by the kernel's rule: nonzero bits (float -0 is zero), non-empty strings.
        int64_t n = 0;
        if (v->dtype() == DType::String) {
            for (int64_t i = 0; i < v->element_count(); ++i) n += v->data<std::string>()[i].empty() ? 0 : 1;
        } else if (dtype_is_float(v->dtype())) {
            for (double d : tensor_to_doubles(*v)) n += d != 0 ? 1 : 0;
        } else {
            for (int64_t d : tensor_to_int64s(*v)) n += d != 0 ? 1 : 0;
        }
        count = Dim(n);
    }
    if (x.has_rank()) out.shape = SymbolicShape{Dim(std::max<int64_t>(rank_of(&x), 1)), count};
    ctx.outputs.at(0) = out;
}

void infer_one_hot(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& indices = require(ctx, 0, "indices");
    require(ctx, 1, "depth");
    const TensorInfo& values = require(ctx, 2, "values");
    if (values.has_rank() && values.is_static())
        KILN_CHECK(shape_element_count(values.static_shape()) == 2, InvalidModel, node.describe(),
                   ": values must hold [off_value, on_value], got ", symbolic_shape_to_string(values.shape));
    TensorInfo out;
    out.dtype = values.dtype;
    Dim depth;
    if (const Tensor* dv = ctx.value(1)) {
        int64_t d = scalar_int(node, *dv, "depth");
        KILN_CHECK(d >= 1, InvalidArgument, node.describe(), ": depth ", d, " must be >= 1");
        depth = Dim(d);
    }
    if (indices.has_rank()) {
        int64_t r = rank_of(&indices);
        int64_t axis = node.attr_int("axis", -1);
        KILN_CHECK(axis >= -r - 1 && axis <= r, InvalidModel, node.describe(), ": axis ", axis,
                   " is out of range for output rank ", r + 1);
        if (axis < 0) axis += r + 1;
        SymbolicShape s = *indices.shape;
        s.insert(s.begin() + axis, depth);
        out.shape = s;
    }
    ctx.outputs.at(0) = out;
}

void infer_reverse_sequence(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& x = require(ctx, 0, "input");
    const TensorInfo& lens = require(ctx, 1, "sequence_lens");
    check_index_dtype(node, lens, "sequence_lens");
    int64_t batch_axis = node.attr_int("batch_axis", 1), time_axis = node.attr_int("time_axis", 0);
    KILN_CHECK((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0), InvalidModel,
               node.describe(), ": batch_axis ", batch_axis, " and time_axis ", time_axis, " must be 0 and 1");
    if (x.has_rank()) {
        KILN_CHECK(rank_of(&x) >= 2, InvalidModel, node.describe(), ": input must have rank >= 2, got ",
                   symbolic_shape_to_string(x.shape));
        if (lens.has_rank()) {
            KILN_CHECK(lens.shape->size() == 1, InvalidModel, node.describe(), ": sequence_lens must be 1-D");
            const Dim &bd = (*x.shape)[batch_axis], &ld = (*lens.shape)[0];
            KILN_CHECK(!bd.known() || !ld.known() || bd.value == ld.value, InvalidArgument, node.describe(),
                       ": sequence_lens has ", ld.value, " entries for a batch of ", bd.value);
        }
    }
    ctx.outputs.at(0) = x;
}

void infer_scatter(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& data = require(ctx, 0, "data");
    const TensorInfo& indices = require(ctx, 1, "indices");
    const TensorInfo& updates = require(ctx, 2, "updates");
    check_index_dtype(node, indices, "indices");
    std::string reduction = node.attr_string("reduction", "none");
    KILN_CHECK(
        reduction == "none" || reduction == "add" || reduction == "mul" || reduction == "max" || reduction == "min",
        InvalidModel, node.describe(), ": unknown reduction '", reduction, "'");
    KILN_CHECK(updates.dtype == DType::Undefined || data.dtype == DType::Undefined || updates.dtype == data.dtype,
               InvalidModel, node.describe(), ": updates dtype ", dtype_name(updates.dtype), " differs from data ",
               dtype_name(data.dtype));
    if (node.op == OpKind::ScatterElements) {
        if (data.has_rank()) {
            int64_t r = rank_of(&data);
            KILN_CHECK(r >= 1, InvalidModel, node.describe(), ": data must have rank >= 1");
            normalize_axis(node, node.attr_int("axis", 0), r);
            for (const TensorInfo* t : {&indices, &updates}) {
                if (t->has_rank())
                    KILN_CHECK(rank_of(t) == r, InvalidArgument, node.describe(),
                               ": indices and updates must have "
                               "the rank of data ",
                               symbolic_shape_to_string(data.shape), ", got ", symbolic_shape_to_string(t->shape));
            }
        }
        if (indices.is_static() && updates.is_static())
            KILN_CHECK(indices.static_shape() == updates.static_shape(), InvalidArgument, node.describe(), ": indices ",
                       symbolic_shape_to_string(indices.shape), " and updates ",
                       symbolic_shape_to_string(updates.shape), " must have the same shape");
    } else if (data.is_static() && indices.is_static() && updates.is_static()) {
        Shape ds = data.static_shape(), is = indices.static_shape(), us = updates.static_shape();
        KILN_CHECK(!ds.empty() && !is.empty(), InvalidArgument, node.describe(),
                   ": data and indices must have rank >= 1");
        int64_t m = is.back();
        KILN_CHECK(m >= 1 && m <= static_cast<int64_t>(ds.size()), InvalidArgument, node.describe(),
                   ": indices' last dim ", m, " must be in [1, ", ds.size(), "]");
        Shape want(is.begin(), is.end() - 1);
        want.insert(want.end(), ds.begin() + m, ds.end());
        KILN_CHECK(us == want, InvalidArgument, node.describe(), ": updates shape ", shape_to_string(us), " must be ",
                   shape_to_string(want));
    }
    ctx.outputs.at(0) = data;
}

void infer_tensor_scatter(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& past = require(ctx, 0, "past_cache");
    const TensorInfo& update = require(ctx, 1, "update");
    if (const TensorInfo* wi = ctx.input(2)) check_index_dtype(node, *wi, "write_indices");
    std::string mode = node.attr_string("mode", "linear");
    KILN_CHECK(mode == "linear" || mode == "circular", InvalidModel, node.describe(), ": unknown mode '", mode, "'");
    KILN_CHECK(update.dtype == DType::Undefined || past.dtype == DType::Undefined || update.dtype == past.dtype,
               InvalidModel, node.describe(), ": update dtype ", dtype_name(update.dtype), " differs from past_cache ",
               dtype_name(past.dtype));
    if (past.has_rank()) {
        int64_t r = rank_of(&past);
        KILN_CHECK(r >= 2, InvalidModel, node.describe(), ": past_cache must have rank >= 2");
        int64_t axis = normalize_axis(node, node.attr_int("axis", -2), r);
        KILN_CHECK(axis != 0, InvalidModel, node.describe(), ": axis must not be the batch axis 0");
        if (update.has_rank()) {
            KILN_CHECK(rank_of(&update) == r, InvalidArgument, node.describe(), ": update ",
                       symbolic_shape_to_string(update.shape), " must have the rank of past_cache ",
                       symbolic_shape_to_string(past.shape));
            for (int64_t i = 0; i < r; ++i) {
                const Dim &p = (*past.shape)[i], &u = (*update.shape)[i];
                if (!p.known() || !u.known()) continue;
                KILN_CHECK(i == axis ? u.value <= p.value : u.value == p.value, InvalidArgument, node.describe(),
                           ": update ", symbolic_shape_to_string(update.shape), " does not fit past_cache ",
                           symbolic_shape_to_string(past.shape), " (dim ", i, ")");
            }
        }
    }
    ctx.outputs.at(0) = past;
}

void infer_top_k(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& x = require(ctx, 0, "X");
    const TensorInfo& k_info = require(ctx, 1, "K");
    KILN_CHECK(k_info.dtype == DType::Undefined || k_info.dtype == DType::Int64, InvalidModel, node.describe(),
               ": K must be int64, got ", dtype_name(k_info.dtype));
    TensorInfo values, indices;
    values.dtype = x.dtype;
    indices.dtype = DType::Int64;
    if (x.has_rank()) {
        int64_t r = rank_of(&x);
        KILN_CHECK(r >= 1, InvalidModel, node.describe(), ": X must have rank >= 1");
        int64_t axis = normalize_axis(node, node.attr_int("axis", -1), r);
        SymbolicShape s = *x.shape;
        Dim k;
        if (const Tensor* kv = ctx.value(1)) {
            int64_t kk = scalar_int(node, *kv, "K");
            KILN_CHECK(kk >= 0 && (!s[axis].known() || kk <= s[axis].value), InvalidArgument, node.describe(), ": K ",
                       kk, " is out of range for an axis of size ", s[axis].value);
            k = Dim(kk);
        }
        s[axis] = k;
        values.shape = s;
        indices.shape = s;
    }
    ctx.outputs.at(0) = values;
    if (ctx.outputs.size() > 1) ctx.outputs[1] = indices;
}

void infer_unique(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& x = require(ctx, 0, "X");
    bool has_axis = node.has_attribute("axis");
    std::optional<int64_t> axis;
    if (has_axis && x.has_rank()) {
        KILN_CHECK(rank_of(&x) >= 1, InvalidModel, node.describe(), ": X must have rank >= 1 with an axis");
        axis = normalize_axis(node, node.attr_int("axis", 0), rank_of(&x));
    }
    Dim unique, along;  // number of unique values/slices; elements or slices of X
    if (x.has_rank()) {
        if (axis) {
            along = (*x.shape)[*axis];
        } else if (x.is_static()) {
            along = Dim(shape_element_count(x.static_shape()));
        }
    }
    if (const Tensor* v = ctx.value(0)) {
        std::vector<int64_t> first, inverse, counts;
        unique_groups(node, *v, axis ? *axis : -1, true, first, inverse, counts);
        unique = Dim(static_cast<int64_t>(first.size()));
    }
    TensorInfo y;
    y.dtype = x.dtype;
    if (!has_axis) {
        y.shape = SymbolicShape{unique};
    } else if (x.has_rank()) {
        SymbolicShape s = *x.shape;
        s[*axis] = unique;
        y.shape = s;
    }
    ctx.outputs.at(0) = y;
    for (size_t i = 1; i < ctx.outputs.size() && i < 4; ++i) {
        ctx.outputs[i].dtype = DType::Int64;
        ctx.outputs[i].shape = SymbolicShape{i == 2 ? along : unique};
    }
}

}  // namespace

void infer_Index(InferContext& ctx) {
    switch (ctx.node.op) {
        case OpKind::Compress:
            return infer_compress(ctx);
        case OpKind::CumProd:
        case OpKind::CumSum:
            return infer_cumulative(ctx);
        case OpKind::GatherND:
            return infer_gather_nd(ctx);
        case OpKind::NonZero:
            return infer_non_zero(ctx);
        case OpKind::OneHot:
            return infer_one_hot(ctx);
        case OpKind::ReverseSequence:
            return infer_reverse_sequence(ctx);
        case OpKind::ScatterElements:
        case OpKind::ScatterND:
            return infer_scatter(ctx);
        case OpKind::TensorScatter:
            return infer_tensor_scatter(ctx);
        case OpKind::TopK:
            return infer_top_k(ctx);
        case OpKind::Unique:
            return infer_unique(ctx);
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not an Index-family op");
    }
}

}  // namespace kiln::ops
