// Shape functions of the Misc family (see op_list.inc): BitCast, Det, and the random generators Bernoulli,
// Multinomial, RandomNormal(Like), RandomUniform(Like).
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

bool is_float_type(DType t) {
    return t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16;
}

// The `dtype` attribute when present, else `fallback`; must be one of the float types.
DType random_dtype(const ir::Node& node, DType fallback) {
    DType t = fallback;
    if (node.has_attribute("dtype")) {
        int64_t v = node.attr_int("dtype", 0);
        KILN_CHECK(dtype_is_valid(static_cast<int32_t>(v)), InvalidModel, node.describe(), ": dtype ", v,
                   " is not a tensor element type");
        t = static_cast<DType>(v);
    }
    return t;
}

void infer_random(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    TensorInfo& out = ctx.outputs.at(0);
    switch (node.op) {
        case OpKind::RandomNormal:
        case OpKind::RandomUniform: {
            out.dtype = random_dtype(node, DType::Float);
            Shape shape = node.attr_ints("shape");
            KILN_CHECK(node.has_attribute("shape"), InvalidModel, node.describe(), ": needs attribute 'shape'");
            for (int64_t d : shape)
                KILN_CHECK(d >= 0, InvalidModel, node.describe(), ": shape ", shape_to_string(shape),
                           " has a negative dim");
            out.shape = SymbolicShape(shape.begin(), shape.end());
            break;
        }
        case OpKind::RandomNormalLike:
        case OpKind::RandomUniformLike: {
            const TensorInfo* x = ctx.input(0);
            KILN_CHECK(x, InvalidModel, node.describe(), ": needs input");
            out.dtype = random_dtype(node, x->dtype);
            out.shape = x->shape;
            break;
        }
        case OpKind::Bernoulli: {
            const TensorInfo* x = ctx.input(0);
            KILN_CHECK(x, InvalidModel, node.describe(), ": needs input");
            KILN_CHECK(x->dtype == DType::Undefined || is_float_type(x->dtype), InvalidModel, node.describe(),
                       ": input dtype ", dtype_name(x->dtype), " must be a float type");
            out.dtype = random_dtype(node, x->dtype);
            KILN_CHECK(out.dtype != DType::String && dtype_bits(out.dtype) % 8 == 0, InvalidModel, node.describe(),
                       ": output dtype ", dtype_name(out.dtype), " is not allowed");
            out.shape = x->shape;
            return;
        }
        case OpKind::Multinomial: {
            const TensorInfo* x = ctx.input(0);
            KILN_CHECK(x, InvalidModel, node.describe(), ": needs input");
            out.dtype = static_cast<DType>(node.attr_int("dtype", static_cast<int64_t>(DType::Int32)));
            KILN_CHECK(out.dtype == DType::Int32 || out.dtype == DType::Int64, InvalidModel, node.describe(),
                       ": dtype must be int32 or int64, not ", dtype_name(out.dtype));
            int64_t samples = node.attr_int("sample_size", 1);
            KILN_CHECK(samples >= 0, InvalidModel, node.describe(), ": sample_size ", samples, " is negative");
            if (x->has_rank()) {
                KILN_CHECK(x->shape->size() == 2, InvalidArgument, node.describe(), ": input ",
                           symbolic_shape_to_string(x->shape), " must be [batch_size, class_size]");
                out.shape = SymbolicShape{(*x->shape)[0], Dim(samples)};
            }
            return;
        }
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a random op");
    }
    KILN_CHECK(is_float_type(out.dtype), InvalidModel, node.describe(), ": output dtype ", dtype_name(out.dtype),
               " must be a float type");
}

}  // namespace

void infer_Misc(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    switch (node.op) {
        case OpKind::BitCast: {
            const TensorInfo* x = ctx.input(0);
            KILN_CHECK(x, InvalidModel, node.describe(), ": needs input");
            int64_t to = node.attr("to").i;
            KILN_CHECK(dtype_is_valid(static_cast<int32_t>(to)) && to != 0, InvalidModel, node.describe(), ": to ", to,
                       " is not a tensor element type");
            DType t = static_cast<DType>(to);
            KILN_CHECK(t != DType::String && x->dtype != DType::String, InvalidModel, node.describe(),
                       ": BitCast to or from string is not allowed");
            if (x->dtype != DType::Undefined)
                KILN_CHECK(dtype_bits(x->dtype) == dtype_bits(t), InvalidModel, node.describe(), ": ",
                           dtype_name(x->dtype), " (", dtype_bits(x->dtype), " bits) and ", dtype_name(t), " (",
                           dtype_bits(t), " bits) differ in width");
            ctx.outputs.at(0) = TensorInfo{t, x->shape};
            break;
        }
        case OpKind::Det: {
            const TensorInfo* x = ctx.input(0);
            KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
            ctx.outputs.at(0).dtype = x->dtype;
            if (!x->has_rank()) break;
            const SymbolicShape& xs = *x->shape;
            KILN_CHECK(xs.size() >= 2, InvalidArgument, node.describe(), ": X ", symbolic_shape_to_string(x->shape),
                       " must have rank >= 2");
            const Dim& m = xs[xs.size() - 2];
            const Dim& n = xs[xs.size() - 1];
            KILN_CHECK(!m.known() || !n.known() || m.value == n.value, InvalidArgument, node.describe(), ": X ",
                       symbolic_shape_to_string(x->shape), " must be square in its last two dims");
            ctx.outputs[0].shape = SymbolicShape(xs.begin(), xs.end() - 2);
            break;
        }
        default:
            infer_random(ctx);
    }
}

}  // namespace kiln::ops
