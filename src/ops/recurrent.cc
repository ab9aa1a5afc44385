// Shape functions of the Recurrent family (see op_list.inc): RNN, GRU and LSTM (opset 22 meaning: layout 0 / 1,
// forward / reverse / bidirectional, optional Y, Y_h, Y_c), and the opset-27 stateful sequence ops
// LinearAttention and CausalConvWithState.
#include <string>

#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

// Checks that `in` (when its rank is known) has rank `rank` and that each known dim matches the expected dim
// (an unknown expected dim matches anything). `what` names the input in the message.
void check_dims(const ir::Node& node, const TensorInfo* in, const char* what, const SymbolicShape& want) {
    if (!in || !in->has_rank()) return;
    const SymbolicShape& s = *in->shape;
    KILN_CHECK(s.size() == want.size(), InvalidArgument, node.describe(), ": ", what, " ",
               symbolic_shape_to_string(in->shape), " must have rank ", want.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (!s[i].known() || !want[i].known()) continue;
        KILN_CHECK(s[i].value == want[i].value, InvalidArgument, node.describe(), ": ", what, " ",
                   symbolic_shape_to_string(in->shape), " does not match the expected ",
                   symbolic_shape_to_string(want));
    }
}

Dim dim_of(const TensorInfo* in, size_t axis) {
    if (!in || !in->has_rank() || in->shape->size() <= axis) return Dim();
    return (*in->shape)[axis];
}

Dim mul_dim(const Dim& d, int64_t k) { return d.known() ? Dim(d.value * k) : Dim(); }

// RNN / GRU / LSTM: X [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1).
void infer_rnn(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x && ctx.input(1) && ctx.input(2), InvalidModel, node.describe(), ": needs inputs X, W and R");
    const int64_t gates = node.op == OpKind::RNN ? 1 : node.op == OpKind::GRU ? 3 : 4;
    const std::string direction = node.attr_string("direction", "forward");
    KILN_CHECK(direction == "forward" || direction == "reverse" || direction == "bidirectional", InvalidModel,
               node.describe(), ": direction '", direction, "' must be forward, reverse or bidirectional");
    const int64_t dirs = direction == "bidirectional" ? 2 : 1;
    const int64_t layout = node.attr_int("layout", 0);
    KILN_CHECK(layout == 0 || layout == 1, InvalidModel, node.describe(), ": layout ", layout, " must be 0 or 1");
    KILN_CHECK(dtype_is_float(x->dtype), InvalidModel, node.describe(), ": X has dtype ", dtype_name(x->dtype),
               ", expected a floating-point type");

    Dim seq, batch, input;
    if (x->has_rank()) {
        KILN_CHECK(x->shape->size() == 3, InvalidArgument, node.describe(), ": X ", symbolic_shape_to_string(x->shape),
                   " must have rank 3");
        seq = (*x->shape)[layout == 0 ? 0 : 1];
        batch = (*x->shape)[layout == 0 ? 1 : 0];
        input = (*x->shape)[2];
    }
    Dim hidden;
    if (node.has_attribute("hidden_size")) {
        int64_t h = node.attr_int("hidden_size", 0);
        KILN_CHECK(h > 0, InvalidModel, node.describe(), ": hidden_size ", h, " must be positive");
        hidden = h;
    } else if (dim_of(ctx.input(2), 2).known()) {
        hidden = dim_of(ctx.input(2), 2);
    } else if (dim_of(ctx.input(1), 1).known()) {
        hidden = dim_of(ctx.input(1), 1).value / gates;
    }
    check_dims(node, ctx.input(1), "W", {dirs, mul_dim(hidden, gates), input});
    check_dims(node, ctx.input(2), "R", {dirs, mul_dim(hidden, gates), hidden});
    check_dims(node, ctx.input(3), "B", {dirs, mul_dim(hidden, 2 * gates)});
    check_dims(node, ctx.input(4), "sequence_lens", {batch});
    SymbolicShape state = layout == 0 ? SymbolicShape{dirs, batch, hidden} : SymbolicShape{batch, dirs, hidden};
    check_dims(node, ctx.input(5), "initial_h", state);
    if (node.op == OpKind::LSTM) {
        check_dims(node, ctx.input(6), "initial_c", state);
        check_dims(node, ctx.input(7), "P", {dirs, mul_dim(hidden, 3)});
    }
    if (const TensorInfo* lens = ctx.input(4))
        KILN_CHECK(dtype_is_integer(lens->dtype), InvalidModel, node.describe(), ": sequence_lens has dtype ",
                   dtype_name(lens->dtype), ", expected int32");

    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
        ctx.outputs[i].dtype = x->dtype;
        if (i == 0)
            ctx.outputs[i].shape =
                layout == 0 ? SymbolicShape{seq, dirs, batch, hidden} : SymbolicShape{batch, seq, dirs, hidden};
        else
            ctx.outputs[i].shape = state;
    }
}

// LinearAttention: query [B, T, Hq*dk], key [B, T, Hkv*dk], value [B, T, Hkv*dv], past_state [B, Hkv, dk, dv].
void infer_linear_attention(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* q = ctx.input(0);
    const TensorInfo* k = ctx.input(1);
    const TensorInfo* v = ctx.input(2);
    KILN_CHECK(q && k && v, InvalidModel, node.describe(), ": needs inputs query, key and value");
    const int64_t hq = node.attr_int("q_num_heads", 0), hkv = node.attr_int("kv_num_heads", 0);
    KILN_CHECK(hq > 0 && hkv > 0 && hq % hkv == 0, InvalidModel, node.describe(), ": q_num_heads ", hq,
               " must be a positive multiple of kv_num_heads ", hkv);
    const std::string rule = node.attr_string("update_rule", "gated_delta");
    KILN_CHECK(rule == "linear" || rule == "gated" || rule == "delta" || rule == "gated_delta", InvalidModel,
               node.describe(), ": update_rule '", rule, "' must be linear, gated, delta or gated_delta");
    const bool gated = rule == "gated" || rule == "gated_delta";
    const bool delta = rule == "delta" || rule == "gated_delta";
    KILN_CHECK(gated == (ctx.input(4) != nullptr), InvalidModel, node.describe(), ": update_rule '", rule,
               gated ? "' requires" : "' forbids", " the decay input");
    KILN_CHECK(delta == (ctx.input(5) != nullptr), InvalidModel, node.describe(), ": update_rule '", rule,
               delta ? "' requires" : "' forbids", " the beta input");
    KILN_CHECK(dtype_is_float(q->dtype), InvalidModel, node.describe(), ": query has dtype ", dtype_name(q->dtype),
               ", expected a floating-point type");

    Dim b = dim_of(q, 0), t = dim_of(q, 1), dk, dv;
    const char* names[] = {"query", "key", "value"};
    const TensorInfo* qkv[] = {q, k, v};
    for (int i = 0; i < 3; ++i) {
        if (!qkv[i]->has_rank()) continue;
        KILN_CHECK(qkv[i]->shape->size() == 3, InvalidArgument, node.describe(), ": ", names[i], " ",
                   symbolic_shape_to_string(qkv[i]->shape), " must have rank 3 (B, T, H*D)");
        if (!b.known()) b = (*qkv[i]->shape)[0];
        if (!t.known()) t = (*qkv[i]->shape)[1];
    }
    if (Dim d = dim_of(q, 2); d.known()) {
        KILN_CHECK(d.value % hq == 0, InvalidArgument, node.describe(), ": query last dim ", d.value,
                   " is not divisible by q_num_heads ", hq);
        dk = d.value / hq;
    }
    if (Dim d = dim_of(v, 2); d.known()) {
        KILN_CHECK(d.value % hkv == 0, InvalidArgument, node.describe(), ": value last dim ", d.value,
                   " is not divisible by kv_num_heads ", hkv);
        dv = d.value / hkv;
    }
    check_dims(node, k, "key", {b, t, mul_dim(dk, hkv)});
    check_dims(node, v, "value", {b, t, Dim()});
    SymbolicShape state{b, hkv, dk, dv};
    check_dims(node, ctx.input(3), "past_state", state);
    if (const TensorInfo* decay = ctx.input(4); decay && decay->has_rank()) {
        check_dims(node, decay, "decay", {b, t, Dim()});
        Dim last = (*decay->shape)[2];
        if (last.known() && dk.known())
            KILN_CHECK(last.value == hkv || last.value == hkv * dk.value, InvalidArgument, node.describe(),
                       ": decay last dim ", last.value, " must be kv_num_heads (", hkv, ") or kv_num_heads * d_k (",
                       hkv * dk.value, ")");
    }
    if (const TensorInfo* beta = ctx.input(5); beta && beta->has_rank()) {
        check_dims(node, beta, "beta", {b, t, Dim()});
        Dim last = (*beta->shape)[2];
        if (last.known())
            KILN_CHECK(last.value == hkv || last.value == 1, InvalidArgument, node.describe(), ": beta last dim ",
                       last.value, " must be kv_num_heads (", hkv, ") or 1");
    }
    ctx.outputs.at(0).dtype = q->dtype;
    ctx.outputs[0].shape = SymbolicShape{b, t, mul_dim(dv, hq)};
    if (ctx.outputs.size() > 1) {
        ctx.outputs[1].dtype = ctx.input(3) ? ctx.input(3)->dtype : q->dtype;
        ctx.outputs[1].shape = state;
    }
}

// CausalConvWithState: input [B, C, L], weight [C, 1, k], bias [C], past_state [B, C, k - 1].
void infer_causal_conv(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    const TensorInfo* w = ctx.input(1);
    KILN_CHECK(x && w, InvalidModel, node.describe(), ": needs inputs input and weight");
    const std::string act = node.attr_string("activation", "none");
    KILN_CHECK(act == "none" || act == "silu" || act == "swish", InvalidModel, node.describe(), ": activation '", act,
               "' must be none, silu or swish");
    KILN_CHECK(dtype_is_float(x->dtype), InvalidModel, node.describe(), ": input has dtype ", dtype_name(x->dtype),
               ", expected a floating-point type");
    check_dims(node, x, "input", {Dim(), Dim(), Dim()});
    Dim b = dim_of(x, 0), c = dim_of(x, 1), k = dim_of(w, 2);
    check_dims(node, w, "weight", {c, 1, Dim()});
    if (k.known()) KILN_CHECK(k.value >= 1, InvalidArgument, node.describe(), ": kernel size must be at least 1");
    Dim carry = k.known() ? Dim(k.value - 1) : Dim();
    check_dims(node, ctx.input(2), "bias", {c});
    check_dims(node, ctx.input(3), "past_state", {b, c, carry});
    ctx.outputs.at(0) = *x;
    if (ctx.outputs.size() > 1) {
        ctx.outputs[1].dtype = x->dtype;
        ctx.outputs[1].shape = SymbolicShape{b, c, carry};
    }
}

}  // namespace

void infer_Recurrent(InferContext& ctx) {
    switch (ctx.node.op) {
        case OpKind::RNN:
        case OpKind::GRU:
        case OpKind::LSTM:
            infer_rnn(ctx);
            break;
        case OpKind::LinearAttention:
            infer_linear_attention(ctx);
            break;
        case OpKind::CausalConvWithState:
            infer_causal_conv(ctx);
            break;
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not a Recurrent-family op");
    }
}

}  // namespace kiln::ops
