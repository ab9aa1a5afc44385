"""Transformers as Hugging Face models export at opset 17: BERT-base (encoder, post-LayerNorm, erf GELU, padding
mask) and GPT-2 small (decoder, pre-LayerNorm, tanh GELU, causal mask, no KV cache, LM head tied to the token
embedding). Each function takes a Net and returns {output name: tensor}; the inputs are named by the functions.
"""

from __future__ import annotations

import math

import numpy as np

from net import FLOAT_MIN, Net

SEQ = 128
BERT_VOCAB, BERT_POSITIONS, BERT_HIDDEN, BERT_HEADS, BERT_LAYERS, BERT_FFN = 30522, 512, 768, 12, 12, 3072
GPT2_VOCAB, GPT2_POSITIONS, GPT2_HIDDEN, GPT2_HEADS, GPT2_LAYERS, GPT2_FFN = 50257, 1024, 768, 12, 12, 3072


def _heads(net: Net, x: str, heads: int, head_dim: int, perm: list[int]) -> str:
    """[N, S, H*d] -> [N, H, S, d] (perm 0,2,1,3) or [N, H, d, S] (perm 0,2,3,1)."""
    return net.transpose(net.reshape(x, [0, 0, heads, head_dim]), perm)


def _attention(net: Net, q: str, k: str, v: str, hidden: int, heads: int, mask: str, causal: bool) -> str:
    """Scaled dot-product attention over [N, S, hidden] projections; `mask` is added to the scores (padding mask)
    or, with `causal`, a boolean [1, 1, S, S] that Where keeps the scores under (masked ones become FLOAT_MIN)."""
    d = hidden // heads
    scores = net.node(
        "Div",
        [
            net.node("MatMul", [_heads(net, q, heads, d, [0, 2, 1, 3]), _heads(net, k, heads, d, [0, 2, 3, 1])]),
            net.constant("sqrt_d", math.sqrt(d)),
        ],
    )
    if causal:
        scores = net.node("Where", [mask, scores, net.constant("float_min", FLOAT_MIN)])
    else:
        scores = net.add(scores, mask)
    context = net.node("MatMul", [net.node("Softmax", [scores], axis=-1), _heads(net, v, heads, d, [0, 2, 1, 3])])
    return net.reshape(net.transpose(context, [0, 2, 1, 3]), [0, 0, hidden])


def bert_base(net: Net) -> dict[str, str]:
    """Inputs input_ids, attention_mask, token_type_ids: int64 [batch, 128]."""
    h = BERT_HIDDEN
    words = net.node("Gather", [net.weight("word_embeddings", (BERT_VOCAB, h), 0.02), "input_ids"], axis=0)
    positions = net.node(
        "Gather",
        [net.weight("position_embeddings", (BERT_POSITIONS, h), 0.02), net.ints(np.arange(SEQ)[None, :])],
        axis=0,
    )
    types = net.node("Gather", [net.weight("token_type_embeddings", (2, h), 0.02), "token_type_ids"], axis=0)
    x = net.layer_norm(net.add(net.add(words, positions), types), h, 1e-12)
    # Extended attention mask: (1 - mask[:, None, None, :]) * finfo(float32).min
    mask = net.node("Cast", [net.node("Unsqueeze", ["attention_mask", net.ints([1, 2])])], to=1)
    mask = net.mul(net.node("Sub", [net.constant("one", 1.0), mask]), net.constant("float_min", FLOAT_MIN))
    for _ in range(BERT_LAYERS):
        q, k, v = (net.linear(x, h, h) for _ in range(3))
        attention = net.linear(_attention(net, q, k, v, h, BERT_HEADS, mask, causal=False), h, h)
        x = net.layer_norm(net.add(attention, x), h, 1e-12)
        ffn = net.linear(net.gelu_erf(net.linear(x, h, BERT_FFN)), BERT_FFN, h)
        x = net.layer_norm(net.add(ffn, x), h, 1e-12)
    last = net.rename(x, "last_hidden_state")
    first = net.node("Gather", [last, net.ints(0)], axis=1)
    pooled = net.node(
        "Gemm", [first, net.weight("pooler_w", (h, h), 0.02), net.weight("pooler_b", (h,), 0.02)], transB=1
    )
    return {"last_hidden_state": last, "pooler_output": net.node("Tanh", [pooled])}


def gpt2_small(net: Net) -> dict[str, str]:
    """Input input_ids: int64 [batch, 128]. Output logits [batch, 128, 50257]."""
    h = GPT2_HIDDEN
    wte = net.weight("wte", (GPT2_VOCAB, h), 0.02)
    x = net.add(
        net.node("Gather", [wte, "input_ids"], axis=0),
        net.node("Gather", [net.weight("wpe", (GPT2_POSITIONS, h), 0.01), net.ints(np.arange(SEQ))], axis=0),
    )
    causal = net.constant("causal_mask", np.tril(np.ones((SEQ, SEQ), bool))[None, None], np.bool_)
    proj_std = 0.02 / math.sqrt(2 * GPT2_LAYERS)  # GPT-2's scaled init of the residual projections
    for _ in range(GPT2_LAYERS):
        q, k, v = net.split(net.linear(net.layer_norm(x, h, 1e-5), h, 3 * h), [h, h, h], axis=2)
        x = net.add(x, net.linear(_attention(net, q, k, v, h, GPT2_HEADS, causal, causal=True), h, h, proj_std))
        mlp = net.gelu_tanh(net.linear(net.layer_norm(x, h, 1e-5), h, GPT2_FFN))
        x = net.add(x, net.linear(mlp, GPT2_FFN, h, proj_std))
    x = net.reshape(net.layer_norm(x, h, 1e-5), [-1, h])
    # LM head tied to wte: Gemm with transB on the same initializer (no transposed copy), reshaped back to
    # [batch, seq, vocab] through the input's shape.
    logits = net.node("Gemm", [x, wte], transB=1)
    shape = net.concat([net.node("Shape", ["input_ids"]), net.ints([GPT2_VOCAB])], axis=0)
    return {"logits": net.node("Reshape", [logits, shape])}
