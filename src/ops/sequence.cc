// Shape functions of the sequence and optional ops. The runtime executes these ops itself
// (src/runtime/sequence_ops.cc); here they give each output its kind and, for tensors, what is known of them.
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

TensorInfo of_kind(const TensorInfo* element, ValueKind kind) {
    TensorInfo out;
    if (element) out = *element;
    out.kind = kind;
    return out;
}

// A sequence whose tensors are of `dtype`; their shapes may differ, so none is recorded.
TensorInfo sequence_of(DType dtype) { return TensorInfo{dtype, std::nullopt, ValueKind::Sequence}; }

DType element_dtype(const InferContext& ctx, size_t i) {
    const TensorInfo* t = ctx.input(i);
    return t ? t->dtype : DType::Undefined;
}

bool is_sequence_kind(ValueKind k) { return k == ValueKind::Sequence || k == ValueKind::OptionalSequence; }

}  // namespace

void infer_Sequence(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    switch (node.op) {
        case OpKind::SequenceEmpty:
            ctx.outputs[0] =
                sequence_of(static_cast<DType>(node.attr_int("dtype", static_cast<int64_t>(DType::Float))));
            return;
        case OpKind::SequenceConstruct:
        case OpKind::SplitToSequence:
        case OpKind::SequenceInsert:
        case OpKind::SequenceErase: {
            DType dtype = element_dtype(ctx, 0);
            if (dtype == DType::Undefined && node.op == OpKind::SequenceInsert) dtype = element_dtype(ctx, 1);
            ctx.outputs[0] = sequence_of(dtype);
            return;
        }
        case OpKind::SequenceAt:
        case OpKind::ConcatFromSequence:
            ctx.outputs[0] = TensorInfo{element_dtype(ctx, 0), std::nullopt};
            return;
        case OpKind::SequenceLength:
            ctx.outputs[0] = TensorInfo{DType::Int64, SymbolicShape{}};
            return;
        case OpKind::OptionalHasElement:
            ctx.outputs[0] = TensorInfo{DType::Bool, SymbolicShape{}};
            return;
        case OpKind::Optional: {
            const TensorInfo* in = ctx.input(0);
            const ir::Attribute* type = node.find_attribute("type");
            KILN_CHECK(in || type, InvalidModel, node.describe(), ": Optional needs an input or a 'type' attribute");
            const TensorInfo& element = in ? *in : type->type_info;
            ctx.outputs[0] = of_kind(
                &element, is_sequence_kind(element.kind) ? ValueKind::OptionalSequence : ValueKind::OptionalTensor);
            return;
        }
        case OpKind::OptionalGetElement: {
            const TensorInfo* in = ctx.input(0);
            ValueKind kind = in && is_sequence_kind(in->kind) ? ValueKind::Sequence : ValueKind::Tensor;
            ctx.outputs[0] = of_kind(in, kind);
            return;
        }
        case OpKind::SequenceMap: {
            const ir::Attribute& body = node.attr("body");
            KILN_CHECK(body.g && body.g->outputs().size() == ctx.outputs.size(), InvalidModel, node.describe(),
                       ": body must be a graph with one output per node output");
            for (size_t i = 0; i < ctx.outputs.size(); ++i)
                ctx.outputs[i] = sequence_of(body.g->outputs()[i]->type.dtype);
            return;
        }
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a sequence or optional op");
    }
}

}  // namespace kiln::ops
