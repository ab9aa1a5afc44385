// Shape functions of the Transformer family (see op_list.inc): Attention (opset 24: 3-D or 4-D Q/K/V, GQA, KV
// cache, optional qk_matmul_output), FlexAttention (ai.onnx.preview), RotaryEmbedding, RMSNormalization,
// GroupNormalization (per-channel scale / bias, opset 21), LRN, MeanVarianceNormalization, NegativeLogLikelihoodLoss,
// SoftmaxCrossEntropyLoss (optional log_prob), Shrink and Swish.
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {
namespace {

const SymbolicShape* shape_of(const TensorInfo* t) { return t && t->has_rank() ? &*t->shape : nullptr; }

// a / b when both are known (InvalidArgument naming the node when not divisible), else unknown.
Dim div_dim(const ir::Node& node, const Dim& a, int64_t b, const char* what) {
    if (!a.known() || b <= 0) return Dim();
    KILN_CHECK(a.value % b == 0, InvalidArgument, node.describe(), ": ", what, " ", a.value,
               " is not divisible by the number of heads ", b);
    return Dim(a.value / b);
}

Dim mul_dim(const Dim& a, const Dim& b) { return a.known() && b.known() ? Dim(a.value * b.value) : Dim(); }
Dim add_dim(const Dim& a, const Dim& b) { return a.known() && b.known() ? Dim(a.value + b.value) : Dim(); }

// Two dims that must agree when both are known.
void check_same(const ir::Node& node, const Dim& a, const Dim& b, const char* what) {
    if (a.known() && b.known())
        KILN_CHECK(a.value == b.value, InvalidArgument, node.describe(), ": ", what, " mismatch (", a.value, " vs ",
                   b.value, ")");
}

// FlexAttention: rank-4 Q [B, Hq, L, E], K [B, Hkv, S, E], V [B, Hkv, S, Ev] -> Y [B, Hq, L, Ev].
void infer_flex_attention(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* q = ctx.input(0);
    const TensorInfo* k = ctx.input(1);
    const TensorInfo* v = ctx.input(2);
    KILN_CHECK(q && k && v, InvalidModel, node.describe(), ": needs inputs Q, K and V");
    KILN_CHECK(k->dtype == q->dtype && v->dtype == q->dtype, InvalidModel, node.describe(),
               ": Q, K and V must share one dtype");
    ctx.outputs.at(0).dtype = q->dtype;
    const SymbolicShape* qs = shape_of(q);
    const SymbolicShape* ks = shape_of(k);
    const SymbolicShape* vs = shape_of(v);
    for (const SymbolicShape* s : {qs, ks, vs})
        KILN_CHECK(!s || s->size() == 4, InvalidArgument, node.describe(), ": Q, K and V must be rank 4, got ",
                   symbolic_shape_to_string(q->shape), ", ", symbolic_shape_to_string(k->shape), ", ",
                   symbolic_shape_to_string(v->shape));
    if (!qs || !ks || !vs) return;
    for (int d : {0, 1, 2}) check_same(node, (*ks)[d], (*vs)[d], "K and V dims");
    check_same(node, (*qs)[0], (*ks)[0], "batch");
    check_same(node, (*qs)[3], (*ks)[3], "Q and K head size");
    const Dim& hq = (*qs)[1];
    const Dim& hkv = (*ks)[1];
    if (hq.known() && hkv.known())
        KILN_CHECK(hkv.value > 0 && hq.value % hkv.value == 0, InvalidArgument, node.describe(), ": ", hq.value,
                   " query heads are not a multiple of ", hkv.value, " key/value heads");
    ctx.outputs[0].shape = SymbolicShape{(*qs)[0], hq, (*qs)[2], (*vs)[3]};
}

void infer_attention(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* q = ctx.input(0);
    const TensorInfo* k = ctx.input(1);
    const TensorInfo* v = ctx.input(2);
    KILN_CHECK(q && k && v, InvalidModel, node.describe(), ": needs inputs Q, K and V");
    bool has_past_key = ctx.input(4) != nullptr, has_past_value = ctx.input(5) != nullptr;
    KILN_CHECK(has_past_key == has_past_value, InvalidModel, node.describe(),
               ": past_key and past_value must be given together");
    for (auto& o : ctx.outputs) o.dtype = q->dtype;
    if (ctx.outputs.size() > 2) ctx.outputs[2].dtype = v->dtype;
    const SymbolicShape* qs = shape_of(q);
    const SymbolicShape* ks = shape_of(k);
    const SymbolicShape* vs = shape_of(v);
    if (!qs || !ks || !vs) return;
    size_t rank = qs->size();
    KILN_CHECK(rank == 3 || rank == 4, InvalidArgument, node.describe(), ": Q ", symbolic_shape_to_string(q->shape),
               " must be 3-D or 4-D");
    KILN_CHECK(ks->size() == rank && vs->size() == rank, InvalidArgument, node.describe(),
               ": Q, K and V ranks differ (", symbolic_shape_to_string(q->shape), ", ",
               symbolic_shape_to_string(k->shape), ", ", symbolic_shape_to_string(v->shape), ")");
    Dim batch = (*qs)[0], q_heads, kv_heads, q_seq, kv_seq, head, k_head, v_head;
    if (rank == 3) {
        int64_t hq = node.attr_int("q_num_heads", 0), hkv = node.attr_int("kv_num_heads", 0);
        KILN_CHECK(hq > 0 && hkv > 0, InvalidModel, node.describe(),
                   ": 3-D inputs need positive q_num_heads and kv_num_heads attributes");
        q_heads = hq;
        kv_heads = hkv;
        q_seq = (*qs)[1];
        kv_seq = (*ks)[1];
        check_same(node, (*ks)[1], (*vs)[1], "K / V sequence length");
        head = div_dim(node, (*qs)[2], hq, "Q hidden size");
        k_head = div_dim(node, (*ks)[2], hkv, "K hidden size");
        v_head = div_dim(node, (*vs)[2], hkv, "V hidden size");
    } else {
        q_heads = (*qs)[1];
        kv_heads = (*ks)[1];
        check_same(node, (*ks)[1], (*vs)[1], "K / V head count");
        q_seq = (*qs)[2];
        kv_seq = (*ks)[2];
        check_same(node, (*ks)[2], (*vs)[2], "K / V sequence length");
        head = (*qs)[3];
        k_head = (*ks)[3];
        v_head = (*vs)[3];
    }
    check_same(node, batch, (*ks)[0], "Q / K batch");
    check_same(node, batch, (*vs)[0], "Q / V batch");
    check_same(node, head, k_head, "Q / K head size");
    if (q_heads.known() && kv_heads.known())
        KILN_CHECK(kv_heads.value > 0 && q_heads.value % kv_heads.value == 0, InvalidArgument, node.describe(),
                   ": q_num_heads ", q_heads.value, " is not a multiple of kv_num_heads ", kv_heads.value);
    Dim total = kv_seq;
    if (has_past_key) {
        const SymbolicShape* pk = shape_of(ctx.input(4));
        const SymbolicShape* pv = shape_of(ctx.input(5));
        if (pk && pv) {
            KILN_CHECK(pk->size() == 4 && pv->size() == 4, InvalidArgument, node.describe(),
                       ": past_key / past_value must be 4-D");
            check_same(node, (*pk)[1], kv_heads, "past_key head count");
            check_same(node, (*pk)[3], k_head, "past_key head size");
            check_same(node, (*pv)[3], v_head, "past_value head size");
            check_same(node, (*pk)[2], (*pv)[2], "past_key / past_value length");
            total = add_dim((*pk)[2], kv_seq);
        } else {
            total = Dim();
        }
    }
    if (rank == 3) {
        ctx.outputs[0].shape = SymbolicShape{batch, q_seq, mul_dim(q_heads, v_head)};
    } else {
        ctx.outputs[0].shape = SymbolicShape{batch, q_heads, q_seq, v_head};
    }
    if (ctx.outputs.size() > 1) ctx.outputs[1].shape = SymbolicShape{batch, kv_heads, total, k_head};
    if (ctx.outputs.size() > 2) ctx.outputs[2].shape = SymbolicShape{batch, kv_heads, total, v_head};
    if (ctx.outputs.size() > 3) ctx.outputs[3].shape = SymbolicShape{batch, q_heads, q_seq, total};
    if (const SymbolicShape* ms = shape_of(ctx.input(3))) {
        KILN_CHECK(!ms->empty() && ms->size() <= 4, InvalidArgument, node.describe(), ": attn_mask ",
                   symbolic_shape_to_string(ctx.input(3)->shape), " must have rank 1 to 4");
        if (ms->back().known() && total.known())
            KILN_CHECK(ms->back().value <= total.value, InvalidArgument, node.describe(), ": attn_mask ",
                       symbolic_shape_to_string(ctx.input(3)->shape), " is longer than the total sequence length ",
                       total.value);
    }
}

void infer_rotary(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x && ctx.input(1) && ctx.input(2), InvalidModel, node.describe(),
               ": needs input, cos_cache and sin_cache");
    ctx.outputs.at(0) = *x;
    const SymbolicShape* xs = shape_of(x);
    if (!xs) return;
    KILN_CHECK(xs->size() == 3 || xs->size() == 4, InvalidArgument, node.describe(), ": input ",
               symbolic_shape_to_string(x->shape), " must be 3-D or 4-D");
    if (xs->size() == 3) {
        int64_t heads = node.attr_int("num_heads", 0);
        KILN_CHECK(heads > 0, InvalidModel, node.describe(), ": 3-D input needs a positive num_heads attribute");
        div_dim(node, (*xs)[2], heads, "hidden size");
    }
}

void infer_loss(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    const TensorInfo* target = ctx.input(1);
    KILN_CHECK(x && target, InvalidModel, node.describe(), ": needs inputs scores and target");
    std::string reduction = node.attr_string("reduction", "mean");
    KILN_CHECK(reduction == "none" || reduction == "sum" || reduction == "mean", InvalidModel, node.describe(),
               ": unknown reduction '", reduction, "'");
    KILN_CHECK(target->dtype == DType::Undefined || target->dtype == DType::Int32 || target->dtype == DType::Int64,
               InvalidModel, node.describe(), ": target must be int32 or int64, got ", dtype_name(target->dtype));
    const SymbolicShape* xs = shape_of(x);
    const SymbolicShape* ts = shape_of(target);
    if (xs) {
        KILN_CHECK(xs->size() >= 2, InvalidArgument, node.describe(), ": input ", symbolic_shape_to_string(x->shape),
                   " must have rank >= 2 (N, C, ...)");
        if (ts) {
            KILN_CHECK(ts->size() + 1 == xs->size(), InvalidArgument, node.describe(), ": target ",
                       symbolic_shape_to_string(target->shape), " does not match input ",
                       symbolic_shape_to_string(x->shape));
            check_same(node, (*xs)[0], (*ts)[0], "batch");
            for (size_t d = 1; d < ts->size(); ++d) check_same(node, (*xs)[d + 1], (*ts)[d], "spatial dim");
        }
    }
    ctx.outputs.at(0).dtype = x->dtype;
    if (reduction == "none") {
        if (ts) ctx.outputs[0].shape = *ts;
    } else {
        ctx.outputs[0].shape = SymbolicShape{};
    }
    if (ctx.outputs.size() > 1) ctx.outputs[1] = *x;
}

}  // namespace

void infer_Transformer(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    switch (node.op) {
        case OpKind::Attention:
            infer_attention(ctx);
            return;
        case OpKind::RotaryEmbedding:
            infer_rotary(ctx);
            return;
        case OpKind::FlexAttention:
            infer_flex_attention(ctx);
            return;
        case OpKind::NegativeLogLikelihoodLoss:
        case OpKind::SoftmaxCrossEntropyLoss:
            infer_loss(ctx);
            return;
        default:
            break;
    }
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
    ctx.outputs.at(0) = same_as(x);
    const SymbolicShape* xs = shape_of(x);
    switch (node.op) {
        case OpKind::RMSNormalization:
            KILN_CHECK(ctx.input(1), InvalidModel, node.describe(), ": needs input scale");
            if (xs) normalize_axis(node, node.attr_int("axis", -1), static_cast<int64_t>(xs->size()));
            break;
        case OpKind::GroupNormalization: {
            KILN_CHECK(ctx.input(1) && ctx.input(2), InvalidModel, node.describe(), ": needs inputs scale and bias");
            int64_t groups = node.attr(std::string("num_groups")).i;
            KILN_CHECK(groups > 0, InvalidModel, node.describe(), ": num_groups must be positive");
            if (!xs) break;
            KILN_CHECK(xs->size() >= 2, InvalidArgument, node.describe(), ": X ", symbolic_shape_to_string(x->shape),
                       " must have rank >= 2");
            const Dim& c = (*xs)[1];
            if (c.known())
                KILN_CHECK(c.value % groups == 0, InvalidArgument, node.describe(), ": ", c.value,
                           " channels are not divisible by num_groups ", groups);
            for (size_t i = 1; i <= 2; ++i) {
                const SymbolicShape* ps = shape_of(ctx.input(i));
                if (!ps) continue;
                KILN_CHECK(ps->size() == 1, InvalidArgument, node.describe(), ": ", i == 1 ? "scale" : "bias", " ",
                           symbolic_shape_to_string(ctx.input(i)->shape), " must be 1-D [C]");
                check_same(node, (*ps)[0], c, i == 1 ? "scale / channel count" : "bias / channel count");
            }
            break;
        }
        case OpKind::LRN:
            KILN_CHECK(node.attr(std::string("size")).i > 0, InvalidModel, node.describe(), ": size must be positive");
            if (xs)
                KILN_CHECK(xs->size() >= 2, InvalidArgument, node.describe(), ": X ",
                           symbolic_shape_to_string(x->shape), " must have rank >= 2");
            break;
        case OpKind::MeanVarianceNormalization:
            if (xs) {
                for (int64_t a : node.attr_ints("axes", {0, 2, 3}))
                    normalize_axis(node, a, static_cast<int64_t>(xs->size()));
            }
            break;
        case OpKind::Shrink:
        case OpKind::Swish:
            break;
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Transformer-family op");
    }
}

}  // namespace kiln::ops
