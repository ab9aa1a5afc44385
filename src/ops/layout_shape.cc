// Shape functions of the Layout ops that rearrange their input (Reshape, Slice, Pad, Transpose, ...); dispatched
// from layout.cc. Where a shape comes from an input value that is not known yet, the affected dims (or the rank)
// stay unknown.
#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>
#include <set>

#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops::layout {
namespace {

const TensorInfo& required_input(const InferContext& ctx, size_t i) {
    const TensorInfo* in = ctx.input(i);
    KILN_CHECK(in != nullptr, InvalidModel, ctx.node.describe(), ": required input ", i, " is missing");
    return *in;
}

// The integer values of input i, when known.
std::optional<std::vector<int64_t>> int_values(const InferContext& ctx, size_t i) {
    const Tensor* t = ctx.value(i);
    if (!t) return std::nullopt;
    KILN_CHECK(t->rank() <= 1, InvalidModel, ctx.node.describe(), ": input ", i, " must be 1-D, got shape ",
               shape_to_string(t->shape()));
    return tensor_to_int64s(*t);
}

// The length of the 1-D input i, when its shape is known.
std::optional<int64_t> known_length(const InferContext& ctx, size_t i) {
    const TensorInfo* in = ctx.input(i);
    if (!in || !in->has_rank() || in->shape->size() != 1 || !(*in->shape)[0].known()) return std::nullopt;
    return (*in->shape)[0].value;
}

// Product of dims [begin, end), unknown when any is unknown.
std::string shape_str(const SymbolicShape& s) { return symbolic_shape_to_string(s); }

Dim dim_product(const SymbolicShape& s, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end; ++i) {
        if (!s[i].known()) return Dim();
        KILN_CHECK(!__builtin_mul_overflow(p, s[i].value, &p), InvalidArgument, "shape ", shape_str(s),
                   " has more elements than int64 holds");
    }
    return Dim(p);
}

// Normalised axes (each in [0, rank)), rejecting duplicates.
std::vector<int64_t> normalize_axes(const ir::Node& node, const std::vector<int64_t>& axes, int64_t rank) {
    std::vector<int64_t> out;
    std::set<int64_t> seen;
    for (int64_t a : axes) {
        int64_t n = normalize_axis(node, a, rank);
        KILN_CHECK(seen.insert(n).second, InvalidModel, node.describe(), ": axis ", a, " is repeated");
        out.push_back(n);
    }
    return out;
}

}  // namespace

void infer_concat(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    KILN_CHECK(ctx.input_count() >= 1, InvalidModel, node.describe(), ": needs at least one input");
    std::optional<SymbolicShape> out;
    for (size_t i = 0; i < ctx.input_count(); ++i) {
        const TensorInfo& in = required_input(ctx, i);
        ctx.outputs[0].dtype = in.dtype;
        if (in.has_rank() && !out) out = *in.shape;
    }
    if (!out) return;
    int64_t rank = static_cast<int64_t>(out->size());
    KILN_CHECK(rank > 0, InvalidModel, node.describe(), ": cannot concatenate scalars");
    int64_t axis = normalize_axis(node, node.attr("axis").i, rank);
    int64_t total = 0;
    bool total_known = true;
    for (size_t i = 0; i < ctx.input_count(); ++i) {
        const TensorInfo& in = *ctx.input(i);
        if (!in.has_rank()) {
            total_known = false;
            continue;
        }
        const SymbolicShape& s = *in.shape;
        KILN_CHECK(static_cast<int64_t>(s.size()) == rank, InvalidModel, node.describe(), ": input ", i, " has shape ",
                   shape_str(s), " but input 0 has rank ", rank);
        for (int64_t d = 0; d < rank; ++d) {
            if (d == axis) {
                if (s[d].known()) {
                    total += s[d].value;
                } else {
                    total_known = false;
                }
                continue;
            }
            Dim& o = (*out)[d];
            if (s[d].known() && o.known()) {
                KILN_CHECK(s[d].value == o.value, InvalidArgument, node.describe(), ": input ", i, " has shape ",
                           shape_str(s), ", which differs from ", shape_str(*out), " outside axis ", axis);
            } else if (s[d].known()) {
                o = s[d];
            }
        }
    }
    (*out)[axis] = total_known ? Dim(total) : Dim();
    ctx.outputs[0].shape = out;
}

void infer_depth_space(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    int64_t b = node.attr("blocksize").i;
    int64_t bb = 0;
    KILN_CHECK(b > 0 && !__builtin_mul_overflow(b, b, &bb), InvalidModel, node.describe(),
               ": blocksize must be positive and its square fit int64, got ", b);
    ctx.outputs[0].dtype = in.dtype;
    if (!in.has_rank()) {
        ctx.outputs[0].shape = SymbolicShape(4, Dim());
        return;
    }
    const SymbolicShape& s = *in.shape;
    KILN_CHECK(s.size() == 4, InvalidModel, node.describe(), ": input must be 4-D, got ", shape_str(s));
    auto scaled = [&](const Dim& d, int64_t by) {
        int64_t v = 0;
        KILN_CHECK(!__builtin_mul_overflow(d.value, by, &v), InvalidArgument, node.describe(), ": input ", shape_str(s),
                   " with blocksize ", b, " has dims beyond int64");
        return Dim(v);
    };
    SymbolicShape out(4, Dim());
    out[0] = s[0];
    if (node.op == OpKind::DepthToSpace) {
        if (s[1].known()) {
            KILN_CHECK(s[1].value % bb == 0, InvalidArgument, node.describe(), ": channels ", s[1].value,
                       " are not divisible by blocksize^2 = ", bb);
            out[1] = s[1].value / bb;
        }
        if (s[2].known()) out[2] = scaled(s[2], b);
        if (s[3].known()) out[3] = scaled(s[3], b);
    } else {
        if (s[1].known()) out[1] = scaled(s[1], bb);
        for (int i = 2; i < 4; ++i) {
            if (!s[i].known()) continue;
            KILN_CHECK(s[i].value % b == 0, InvalidArgument, node.describe(), ": spatial dim ", s[i].value,
                       " is not divisible by blocksize ", b);
            out[i] = s[i].value / b;
        }
    }
    ctx.outputs[0].shape = out;
}

void infer_expand(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    required_input(ctx, 1);
    ctx.outputs[0].dtype = in.dtype;
    if (auto shape = int_values(ctx, 1)) {
        SymbolicShape target(shape->begin(), shape->end());
        for (int64_t d : *shape) {
            KILN_CHECK(d >= 0, InvalidArgument, node.describe(), ": negative dim in shape ", shape_to_string(*shape));
        }
        if (!in.has_rank()) return;
        ctx.outputs[0].shape = broadcast_shapes(node, {&*in.shape, &target});
        return;
    }
    auto len = known_length(ctx, 1);
    if (!len || !in.has_rank()) return;
    // Rank known; an input dim other than 1 fixes the output dim (the shape's dim is then 1 or equal).
    size_t rank = std::max<size_t>(static_cast<size_t>(*len), in.shape->size());
    SymbolicShape out(rank, Dim());
    size_t offset = rank - in.shape->size();
    for (size_t i = 0; i < in.shape->size(); ++i) {
        const Dim& d = (*in.shape)[i];
        if (d.known() && d.value != 1) out[offset + i] = d;
    }
    ctx.outputs[0].shape = out;
}

void infer_flatten(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    ctx.outputs[0].dtype = in.dtype;
    if (!in.has_rank()) {
        ctx.outputs[0].shape = SymbolicShape(2, Dim());
        return;
    }
    const SymbolicShape& s = *in.shape;
    int64_t rank = static_cast<int64_t>(s.size());
    int64_t axis = node.attr_int("axis", 1);
    KILN_CHECK(axis >= -rank && axis <= rank, InvalidModel, node.describe(), ": axis ", axis,
               " is out of range for rank ", rank);
    if (axis < 0) axis += rank;
    ctx.outputs[0].shape = SymbolicShape{dim_product(s, 0, axis), dim_product(s, axis, s.size())};
}

void infer_gather(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& data = required_input(ctx, 0);
    const TensorInfo& indices = required_input(ctx, 1);
    KILN_CHECK(indices.dtype == DType::Int64 || indices.dtype == DType::Int32 || indices.dtype == DType::Undefined,
               InvalidModel, node.describe(), ": indices must be int32 or int64, got ", dtype_name(indices.dtype));
    ctx.outputs[0].dtype = data.dtype;
    if (!data.has_rank() || !indices.has_rank()) return;
    const SymbolicShape& s = *data.shape;
    int64_t rank = static_cast<int64_t>(s.size());
    KILN_CHECK(rank >= 1, InvalidModel, node.describe(), ": data must have rank >= 1");
    int64_t axis = normalize_axis(node, node.attr_int("axis", 0), rank);
    SymbolicShape out(s.begin(), s.begin() + axis);
    out.insert(out.end(), indices.shape->begin(), indices.shape->end());
    out.insert(out.end(), s.begin() + axis + 1, s.end());
    ctx.outputs[0].shape = out;
}

void infer_gather_elements(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& data = required_input(ctx, 0);
    const TensorInfo& indices = required_input(ctx, 1);
    ctx.outputs[0].dtype = data.dtype;
    ctx.outputs[0].shape = indices.shape;
    if (data.has_rank() && indices.has_rank()) {
        int64_t rank = static_cast<int64_t>(data.shape->size());
        KILN_CHECK(rank >= 1 && indices.shape->size() == data.shape->size(), InvalidModel, node.describe(), ": data ",
                   shape_str(*data.shape), " and indices ", shape_str(*indices.shape), " must have the same rank >= 1");
        normalize_axis(node, node.attr_int("axis", 0), rank);
    }
}

void infer_pad(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    required_input(ctx, 1);
    ctx.outputs[0].dtype = in.dtype;
    std::string mode = node.attr_string("mode", "constant");
    KILN_CHECK(mode == "constant" || mode == "reflect" || mode == "edge" || mode == "wrap", InvalidModel,
               node.describe(), ": unknown mode '", mode, "'");
    if (!in.has_rank()) return;
    const SymbolicShape& s = *in.shape;
    int64_t rank = static_cast<int64_t>(s.size());
    auto pads = int_values(ctx, 1);
    bool axes_given = ctx.input(3) != nullptr;
    auto axes_values = axes_given ? int_values(ctx, 3) : std::nullopt;
    if (!pads || (axes_given && !axes_values)) {
        ctx.outputs[0].shape = SymbolicShape(rank, Dim());
        return;
    }
    std::vector<int64_t> axes(rank);
    std::iota(axes.begin(), axes.end(), 0);
    if (axes_given) axes = normalize_axes(node, *axes_values, rank);
    size_t n = axes.size();
    KILN_CHECK(pads->size() == 2 * n, InvalidModel, node.describe(), ": pads has ", pads->size(),
               " values, expected 2 * ", n);
    SymbolicShape out = s;
    for (size_t i = 0; i < n; ++i) {
        Dim& d = out[axes[i]];
        int64_t begin = (*pads)[i], end = (*pads)[n + i];
        if (!d.known()) {
            if (begin != 0 || end != 0) d = Dim();
            continue;
        }
        // Checked: the kernel negates the pads and adds them to the extent.
        int64_t size = 0;
        KILN_CHECK(begin != std::numeric_limits<int64_t>::min() && end != std::numeric_limits<int64_t>::min() &&
                       !__builtin_add_overflow(d.value, begin, &size) && !__builtin_add_overflow(size, end, &size) &&
                       size >= 0,
                   InvalidArgument, node.describe(), ": pads ", begin, ",", end, " on axis ", axes[i], " of input ",
                   shape_str(s), " give a negative or unrepresentable size");
        int64_t cropped = d.value + std::min<int64_t>(begin, 0) + std::min<int64_t>(end, 0);
        KILN_CHECK(mode == "constant" || cropped > 0 || (begin <= 0 && end <= 0), InvalidArgument, node.describe(),
                   ": cannot pad an empty axis ", axes[i], " in mode '", mode, "'");
        d = Dim(size);
    }
    ctx.outputs[0].shape = out;
}

void infer_reshape(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    required_input(ctx, 1);
    ctx.outputs[0].dtype = in.dtype;
    bool allow_zero = node.attr_int("allowzero", 0) != 0;
    auto target = int_values(ctx, 1);
    if (!target) {
        if (auto len = known_length(ctx, 1)) ctx.outputs[0].shape = SymbolicShape(*len, Dim());
        return;
    }
    std::string requested = shape_to_string(*target);
    SymbolicShape out(target->size(), Dim());
    int64_t infer_at = -1;
    bool has_zero = false;
    for (size_t i = 0; i < target->size(); ++i) {
        int64_t d = (*target)[i];
        if (d == -1) {
            KILN_CHECK(infer_at < 0, InvalidModel, node.describe(), ": more than one -1 in shape ", requested);
            infer_at = static_cast<int64_t>(i);
        } else if (d == 0 && !allow_zero) {
            KILN_CHECK(in.has_rank() == false || i < in.shape->size(), InvalidModel, node.describe(), ": shape ",
                       requested, " copies dim ", i, " that input ", shape_str(*in.shape), " lacks");
            if (in.has_rank()) out[i] = (*in.shape)[i];
        } else {
            KILN_CHECK(d >= 0, InvalidModel, node.describe(), ": invalid dim ", d, " in shape ", requested);
            has_zero |= d == 0;
            out[i] = Dim(d);
        }
    }
    KILN_CHECK(!(allow_zero && has_zero && infer_at >= 0), InvalidModel, node.describe(), ": shape ", requested,
               " has both 0 and -1 with allowzero=1");
    Dim in_count = in.has_rank() ? dim_product(*in.shape, 0, in.shape->size()) : Dim();
    if (infer_at >= 0) {
        int64_t known = 1;
        bool all_known = true;
        for (size_t i = 0; i < out.size(); ++i) {
            if (static_cast<int64_t>(i) == infer_at) continue;
            if (!out[i].known())
                all_known = false;
            else
                KILN_CHECK(!__builtin_mul_overflow(known, out[i].value, &known), InvalidArgument, node.describe(),
                           ": shape ", requested, " has more elements than int64 holds");
        }
        if (all_known && in_count.known()) {
            KILN_CHECK(known != 0 && in_count.value % known == 0, InvalidArgument, node.describe(),
                       ": cannot reshape input ", shape_str(*in.shape), " to ", requested);
            out[infer_at] = Dim(in_count.value / known);
        }
    } else if (in_count.known()) {
        Dim out_count = dim_product(out, 0, out.size());
        KILN_CHECK(!out_count.known() || out_count.value == in_count.value, InvalidArgument, node.describe(),
                   ": cannot reshape input ", shape_str(*in.shape), " (", in_count.value, " elements) to ", requested,
                   " (", out_count.value, " elements)");
    }
    ctx.outputs[0].shape = out;
}

void infer_slice(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    required_input(ctx, 1);
    required_input(ctx, 2);
    ctx.outputs[0].dtype = in.dtype;
    if (!in.has_rank()) return;
    const SymbolicShape& s = *in.shape;
    int64_t rank = static_cast<int64_t>(s.size());
    auto starts = int_values(ctx, 1);
    auto ends = int_values(ctx, 2);
    std::optional<std::vector<int64_t>> axes, steps;
    bool axes_known = !ctx.input(3) || (axes = int_values(ctx, 3));
    bool steps_known = !ctx.input(4) || (steps = int_values(ctx, 4));
    if (!axes_known) {
        ctx.outputs[0].shape = SymbolicShape(rank, Dim());
        return;
    }
    SymbolicShape out = s;
    if (!starts || !ends || !steps_known) {
        if (axes) {
            for (int64_t a : normalize_axes(node, *axes, rank)) out[a] = Dim();
        } else {
            out.assign(rank, Dim());
        }
        ctx.outputs[0].shape = out;
        return;
    }
    size_t n = starts->size();
    KILN_CHECK(ends->size() == n, InvalidModel, node.describe(), ": starts has ", n, " values but ends has ",
               ends->size());
    std::vector<int64_t> axis_list(n);
    std::iota(axis_list.begin(), axis_list.end(), 0);
    if (axes) {
        KILN_CHECK(axes->size() == n, InvalidModel, node.describe(), ": axes has ", axes->size(), " values, expected ",
                   n);
        axis_list = normalize_axes(node, *axes, rank);
    } else {
        KILN_CHECK(static_cast<int64_t>(n) <= rank, InvalidModel, node.describe(), ": ", n,
                   " starts for input of rank ", rank);
    }
    if (steps) {
        KILN_CHECK(steps->size() == n, InvalidModel, node.describe(), ": steps has ", steps->size(),
                   " values, expected ", n);
    }
    for (size_t i = 0; i < n; ++i) {
        int64_t step = steps ? (*steps)[i] : 1;
        KILN_CHECK(step != 0, InvalidArgument, node.describe(), ": step 0 on axis ", axis_list[i]);
        Dim& d = out[axis_list[i]];
        if (!d.known()) continue;
        int64_t dim = d.value, start = (*starts)[i], end = (*ends)[i];
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        int64_t count;
        if (step > 0) {
            start = std::clamp<int64_t>(start, 0, dim);
            end = std::clamp<int64_t>(end, 0, dim);
            count = end > start ? (end - start - 1) / step + 1 : 0;
        } else {
            start = std::clamp<int64_t>(start, 0, dim - 1);
            end = std::clamp<int64_t>(end, -1, dim - 1);
            // -step would overflow for INT64_MIN; any step below -dim takes one element.
            int64_t back = step < -dim ? dim + 1 : -step;
            count = start > end ? (start - end - 1) / back + 1 : 0;
        }
        d = Dim(count);
    }
    ctx.outputs[0].shape = out;
}

void infer_split(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    size_t outputs = ctx.outputs.size();
    for (auto& o : ctx.outputs) o.dtype = in.dtype;
    if (!in.has_rank()) return;
    const SymbolicShape& s = *in.shape;
    int64_t rank = static_cast<int64_t>(s.size());
    KILN_CHECK(rank >= 1, InvalidModel, node.describe(), ": input must have rank >= 1");
    int64_t axis = normalize_axis(node, node.attr_int("axis", 0), rank);
    for (auto& o : ctx.outputs) {
        o.shape = s;
        (*o.shape)[axis] = Dim();
    }
    std::vector<int64_t> sizes;
    if (ctx.input(1)) {
        auto split = int_values(ctx, 1);
        if (!split) return;
        sizes = *split;
        KILN_CHECK(sizes.size() == outputs, InvalidModel, node.describe(), ": split has ", sizes.size(), " values for ",
                   outputs, " outputs");
        int64_t sum = 0;
        for (int64_t v : sizes) {
            KILN_CHECK(v >= 0, InvalidModel, node.describe(), ": negative split size ", v);
            KILN_CHECK(!__builtin_add_overflow(sum, v, &sum), InvalidModel, node.describe(),
                       ": split sizes sum beyond int64");
        }
        KILN_CHECK(!s[axis].known() || sum == s[axis].value, InvalidArgument, node.describe(), ": split sizes sum to ",
                   sum, " but axis ", axis, " of input ", shape_str(s), " has ", s[axis].value);
    } else {
        int64_t parts = node.attr_int("num_outputs", static_cast<int64_t>(outputs));
        KILN_CHECK(parts == static_cast<int64_t>(outputs) && parts > 0, InvalidModel, node.describe(),
                   ": num_outputs = ", parts, " but the node has ", outputs, " outputs");
        if (!s[axis].known()) return;
        int64_t dim = s[axis].value;
        int64_t chunk = (dim + parts - 1) / parts;
        int64_t last = dim - chunk * (parts - 1);  // the last chunk is the smaller one
        KILN_CHECK(last >= 0, InvalidArgument, node.describe(), ": cannot split axis ", axis, " of size ", dim,
                   " into ", parts, " outputs");
        sizes.assign(parts - 1, chunk);
        sizes.push_back(last);
    }
    for (size_t i = 0; i < outputs; ++i) (*ctx.outputs[i].shape)[axis] = Dim(sizes[i]);
}

void infer_squeeze(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    ctx.outputs[0].dtype = in.dtype;
    if (!in.has_rank()) return;
    const SymbolicShape& s = *in.shape;
    int64_t rank = static_cast<int64_t>(s.size());
    std::vector<bool> drop(rank, false);
    if (ctx.input(1)) {
        auto axes = int_values(ctx, 1);
        if (!axes) {
            if (auto len = known_length(ctx, 1)) ctx.outputs[0].shape = SymbolicShape(rank - *len, Dim());
            return;
        }
        KILN_CHECK(rank >= 1 || axes->empty(), InvalidModel, node.describe(), ": cannot squeeze axes of a scalar");
        for (int64_t a : normalize_axes(node, *axes, rank)) {
            KILN_CHECK(!s[a].known() || s[a].value == 1, InvalidArgument, node.describe(), ": cannot squeeze axis ", a,
                       " of input ", shape_str(s), " (size is not 1)");
            drop[a] = true;
        }
    } else {
        for (int64_t i = 0; i < rank; ++i) {
            if (!s[i].known()) return;  // whether it is dropped depends on its value
            drop[i] = s[i].value == 1;
        }
    }
    SymbolicShape out;
    for (int64_t i = 0; i < rank; ++i) {
        if (!drop[i]) out.push_back(s[i]);
    }
    ctx.outputs[0].shape = out;
}

void infer_tile(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    required_input(ctx, 1);
    ctx.outputs[0].dtype = in.dtype;
    if (!in.has_rank()) return;
    const SymbolicShape& s = *in.shape;
    SymbolicShape out(s.size(), Dim());
    if (auto repeats = int_values(ctx, 1)) {
        KILN_CHECK(repeats->size() == s.size(), InvalidModel, node.describe(), ": repeats has ", repeats->size(),
                   " values for input ", shape_str(s));
        for (size_t i = 0; i < s.size(); ++i) {
            int64_t r = (*repeats)[i];
            KILN_CHECK(r >= 0, InvalidArgument, node.describe(), ": negative repeat ", r);
            int64_t extent = 0;
            KILN_CHECK(!s[i].known() || !__builtin_mul_overflow(s[i].value, r, &extent), InvalidArgument,
                       node.describe(), ": repeat ", r, " of dim ", s[i].value, " overflows int64");
            if (s[i].known())
                out[i] = Dim(extent);
            else if (r == 1)
                out[i] = s[i];
        }
    }
    ctx.outputs[0].shape = out;
}

void infer_transpose(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    ctx.outputs[0].dtype = in.dtype;
    std::vector<int64_t> perm = node.attr_ints("perm");
    if (!in.has_rank()) {
        if (!perm.empty()) ctx.outputs[0].shape = SymbolicShape(perm.size(), Dim());
        return;
    }
    const SymbolicShape& s = *in.shape;
    int64_t rank = static_cast<int64_t>(s.size());
    if (perm.empty()) {
        for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
    }
    KILN_CHECK(static_cast<int64_t>(perm.size()) == rank, InvalidModel, node.describe(), ": perm has ", perm.size(),
               " values for input ", shape_str(s));
    for (int64_t a : perm) {
        KILN_CHECK(a >= 0 && a < rank, InvalidModel, node.describe(), ": perm value ", a, " is not an axis of a rank-",
                   rank, " input (perm is a permutation of 0..", rank - 1, ")");
    }
    std::vector<int64_t> axes = normalize_axes(node, perm, rank);
    SymbolicShape out;
    for (int64_t a : axes) out.push_back(s[a]);
    ctx.outputs[0].shape = out;
}

void infer_unsqueeze(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo& in = required_input(ctx, 0);
    required_input(ctx, 1);
    ctx.outputs[0].dtype = in.dtype;
    if (!in.has_rank()) return;
    const SymbolicShape& s = *in.shape;
    auto axes = int_values(ctx, 1);
    if (!axes) {
        if (auto len = known_length(ctx, 1)) ctx.outputs[0].shape = SymbolicShape(s.size() + *len, Dim());
        return;
    }
    int64_t rank = static_cast<int64_t>(s.size() + axes->size());
    std::vector<bool> inserted(rank, false);
    for (int64_t a : normalize_axes(node, *axes, rank)) inserted[a] = true;
    SymbolicShape out;
    size_t j = 0;
    for (int64_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? Dim(1) : s[j++]);
    ctx.outputs[0].shape = out;
}

}  // namespace kiln::ops::layout
