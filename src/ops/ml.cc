// Shape functions of the Ml family (see op_list.inc), operators of the ai.onnx.ml domain: ArrayFeatureExtractor,
// Binarizer, LabelEncoder (opset 4: keys_* / values_* lists or tensors) and TreeEnsemble (opset 5).
#include <algorithm>

#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

// LabelEncoder's key or value type: from whichever of <prefix>_strings / _int64s / _floats / _tensor is set.
DType label_encoder_type(const ir::Node& node, const std::string& prefix) {
    int set = 0;
    DType t = DType::Undefined;
    if (node.has_attribute(prefix + "_strings")) t = DType::String, ++set;
    if (node.has_attribute(prefix + "_int64s")) t = DType::Int64, ++set;
    if (node.has_attribute(prefix + "_floats")) t = DType::Float, ++set;
    if (const ir::Attribute* a = node.find_attribute(prefix + "_tensor")) t = a->t.dtype(), ++set;
    KILN_CHECK(set == 1, InvalidModel, node.describe(), ": exactly one of ", prefix, "_strings, ", prefix, "_int64s, ",
               prefix, "_floats and ", prefix, "_tensor must be set");
    return t;
}

void infer_label_encoder(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
    DType key = label_encoder_type(node, "keys");
    DType value = label_encoder_type(node, "values");
    auto allowed = [](DType t) {
        return t == DType::String || t == DType::Int64 || t == DType::Float || t == DType::Int32 || t == DType::Int16 ||
               t == DType::Double;
    };
    KILN_CHECK(allowed(key) && allowed(value), NotImplemented, node.describe(), ": keys of ", dtype_name(key),
               " and values of ", dtype_name(value), " are not supported");
    KILN_CHECK(x->dtype == DType::Undefined || x->dtype == key, InvalidModel, node.describe(), ": input X is ",
               dtype_name(x->dtype), " but the keys are ", dtype_name(key));
    ctx.outputs.at(0) = TensorInfo{value, x->shape};
}

void infer_tree_ensemble(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
    int64_t targets = node.attr_int("n_targets", -1);
    if (targets < 0) {
        std::vector<int64_t> ids = node.attr_ints("leaf_targetids");
        targets = ids.empty() ? 1 : *std::max_element(ids.begin(), ids.end()) + 1;
    }
    ctx.outputs.at(0).dtype = x->dtype;
    if (!x->has_rank()) {
        ctx.outputs[0].shape = SymbolicShape{Dim(), Dim(targets)};
        return;
    }
    const SymbolicShape& xs = *x->shape;
    KILN_CHECK(xs.size() == 2 || xs.size() == 1, InvalidArgument, node.describe(), ": X ",
               symbolic_shape_to_string(x->shape), " must be [N, F]");
    ctx.outputs[0].shape = SymbolicShape{xs.size() == 2 ? xs[0] : Dim(1), Dim(targets)};
}

}  // namespace

void infer_Ml(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    switch (node.op) {
        case OpKind::ArrayFeatureExtractor: {
            const TensorInfo* x = ctx.input(0);
            const TensorInfo* y = ctx.input(1);
            KILN_CHECK(x && y, InvalidModel, node.describe(), ": needs inputs X and Y");
            KILN_CHECK(y->dtype == DType::Int64 || y->dtype == DType::Undefined, InvalidModel, node.describe(),
                       ": indices Y must be int64, not ", dtype_name(y->dtype));
            ctx.outputs.at(0).dtype = x->dtype;
            if (!x->has_rank()) break;
            Dim count;
            if (y->is_static()) count = shape_element_count(y->static_shape());
            const SymbolicShape& xs = *x->shape;
            KILN_CHECK(!xs.empty(), InvalidArgument, node.describe(), ": X must have rank >= 1");
            if (xs.size() == 1) {
                ctx.outputs[0].shape = SymbolicShape{Dim(1), count};
            } else {
                SymbolicShape out(xs.begin(), xs.end() - 1);
                out.push_back(count);
                ctx.outputs[0].shape = out;
            }
            break;
        }
        case OpKind::Binarizer:
            KILN_CHECK(ctx.input(0), InvalidModel, node.describe(), ": needs input X");
            ctx.outputs.at(0) = *ctx.input(0);
            break;
        case OpKind::LabelEncoder:
            infer_label_encoder(ctx);
            break;
        case OpKind::TreeEnsemble:
            infer_tree_ensemble(ctx);
            break;
        default:
            fail(ErrorCode::Internal, node.describe(), ": not an Ml-family op");
    }
}

}  // namespace kiln::ops
