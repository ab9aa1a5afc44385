"""Builds the end-to-end test models with onnx.helper and seeded numpy weights.

Models (each function returns an onnx.ModelProto that passes onnx.checker with full shape inference):
  resnet_cnn(opset)        ResNet-style CNN: conv-bn-relu stem, maxpool, bottleneck blocks with residual adds and a
                           strided downsample, global average pool, flatten, gemm -> 1000 classes; input [1,3,224,224].
                           The opset-11 variant replaces Flatten by Squeeze with an `axes` attribute (an attribute
                           before opset 13, an input after) to exercise the importer's opset normalisation.
  resnet50()               The same op mix at full ResNet-50 depth (3-4-6-3 bottlenecks, 64..2048 channels); for
                           benchmarking, and compared with onnxruntime in the tests.
  bert_encoder(decomposed) BERT-style encoder: int64 token ids [1, "seq"], token + position embeddings, 2 pre-LN layers
                           (hidden 256, 4 heads, FFN 1024, Erf-based GELU), final LayerNorm, and a tanh pooler.
                           `decomposed=True` spells LayerNorm as ReduceMean/Sub/Pow/Add/Sqrt/Div/Mul/Add the way older
                           PyTorch exports it.

`python build_models.py [OUT_DIR]` writes all of them (default: tests/models/.cache).
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20240611
CACHE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")


class GraphBuilder:
    """Collects nodes and initializers, with unique names and seeded random weights."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.counts: dict[str, int] = {}

    def name(self, prefix: str) -> str:
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}_{n}"

    def const(self, prefix: str, array: np.ndarray) -> str:
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def normal(self, prefix: str, shape, std: float) -> str:
        return self.const(prefix, (self.rng.standard_normal(shape) * std).astype(np.float32))

    def node(self, op: str, inputs: list[str], n_outputs: int = 1, **attrs) -> str | list[str]:
        base = self.name(op.lower())
        outputs = [f"{base}_out{i}" if n_outputs > 1 else f"{base}_out" for i in range(n_outputs)]
        self.nodes.append(helper.make_node(op, inputs, outputs, name=base, **attrs))
        return outputs if n_outputs > 1 else outputs[0]

    def rename_last_output(self, name: str) -> str:
        """Gives the last node's output a graph-output name."""
        self.nodes[-1].output[0] = name
        return name

    def model(self, name: str, inputs, outputs, opset: int) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        opsets = [helper.make_opsetid("", opset)]
        model = helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="kiln-tests",
            ir_version=helper.find_min_ir_version_for(opsets),
        )
        onnx.checker.check_model(model, full_check=True)
        return model


# ---------------------------------------------------------------------------------------------------------------------
# ResNet-style CNN


def _conv_bn(g: GraphBuilder, x: str, c_in: int, c_out: int, k: int, stride: int, relu: bool) -> str:
    fan_in = c_in * k * k
    w = g.normal("conv_w", (c_out, c_in, k, k), math.sqrt(2.0 / fan_in))
    y = g.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)
    scale = g.const("bn_scale", g.rng.uniform(0.5, 1.0, c_out).astype(np.float32))
    bias = g.const("bn_bias", (g.rng.standard_normal(c_out) * 0.1).astype(np.float32))
    mean = g.const("bn_mean", (g.rng.standard_normal(c_out) * 0.1).astype(np.float32))
    var = g.const("bn_var", g.rng.uniform(0.5, 1.5, c_out).astype(np.float32))
    y = g.node("BatchNormalization", [y, scale, bias, mean, var], epsilon=1e-5)
    return g.node("Relu", [y]) if relu else y


def _bottleneck(g: GraphBuilder, x: str, c_in: int, mid: int, stride: int) -> str:
    c_out = mid * 4
    y = _conv_bn(g, x, c_in, mid, 1, 1, relu=True)
    y = _conv_bn(g, y, mid, mid, 3, stride, relu=True)  # stride on the 3x3, as torchvision's ResNet v1.5
    y = _conv_bn(g, y, mid, c_out, 1, 1, relu=False)
    shortcut = x if (stride == 1 and c_in == c_out) else _conv_bn(g, x, c_in, c_out, 1, stride, relu=False)
    return g.node("Relu", [g.node("Add", [y, shortcut])])


def _resnet(name: str, stages: list[tuple[int, int, int]], opset: int, seed: int) -> onnx.ModelProto:
    """stages: (blocks, mid channels, first stride) per stage."""
    g = GraphBuilder(seed)
    x = _conv_bn(g, "input", 3, 64, 7, 2, relu=True)
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = 64
    for blocks, mid, stride in stages:
        for b in range(blocks):
            x = _bottleneck(g, x, c, mid, stride if b == 0 else 1)
            c = mid * 4
    x = g.node("GlobalAveragePool", [x])
    if opset < 13:
        x = g.node("Squeeze", [x], axes=[2, 3])  # axes as an attribute: opset < 13 only
    else:
        x = g.node("Flatten", [x], axis=1)
    w = g.normal("fc_w", (1000, c), math.sqrt(1.0 / c))
    b = g.normal("fc_b", (1000,), 0.01)
    g.node("Gemm", [x, w, b], transB=1)
    g.rename_last_output("logits")
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])]
    return g.model(name, inputs, outputs, opset)


def resnet_cnn(opset: int = 17) -> onnx.ModelProto:
    """A short ResNet: two stages (one identity block, one strided projection block, ...)."""
    return _resnet(f"resnet_cnn_opset{opset}", [(2, 64, 1), (2, 128, 2)], opset, SEED)


def resnet50(opset: int = 17) -> onnx.ModelProto:
    return _resnet("resnet50", [(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)], opset, SEED + 1)


# ---------------------------------------------------------------------------------------------------------------------
# BERT-style encoder

HIDDEN = 256
HEADS = 4
FFN = 1024
VOCAB = 1000
MAX_POSITIONS = 128


def _layer_norm(g: GraphBuilder, x: str, decomposed: bool) -> str:
    gamma = g.const("ln_gamma", g.rng.uniform(0.8, 1.2, HIDDEN).astype(np.float32))
    beta = g.const("ln_beta", (g.rng.standard_normal(HIDDEN) * 0.05).astype(np.float32))
    if not decomposed:
        return g.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-12)
    # As torch.onnx exported nn.LayerNorm before LayerNormalization existed (opset < 17 export path).
    mean = g.node("ReduceMean", [x], axes=[-1], keepdims=1)  # axes attribute: ReduceMean before opset 18
    centered = g.node("Sub", [x, mean])
    sq = g.node("Pow", [centered, g.const("two", np.array(2.0, np.float32))])
    var = g.node("ReduceMean", [sq], axes=[-1], keepdims=1)
    std = g.node("Sqrt", [g.node("Add", [var, g.const("eps", np.array(1e-12, np.float32))])])
    normed = g.node("Div", [centered, std])
    return g.node("Add", [g.node("Mul", [normed, gamma]), beta])


def _linear(g: GraphBuilder, x: str, n_in: int, n_out: int) -> str:
    w = g.normal("w", (n_in, n_out), 0.02 * math.sqrt(768 / n_in))
    b = g.normal("b", (n_out,), 0.02)
    return g.node("Add", [g.node("MatMul", [x, w]), b])


def _gelu_erf(g: GraphBuilder, x: str) -> str:
    # 0.5 * x * (1 + erf(x / sqrt(2))), as torch exports nn.GELU() before opset 20.
    inner = g.node("Erf", [g.node("Div", [x, g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))])])
    plus1 = g.node("Add", [inner, g.const("one", np.array(1.0, np.float32))])
    return g.node("Mul", [g.node("Mul", [x, plus1]), g.const("half", np.array(0.5, np.float32))])


def _attention(g: GraphBuilder, x: str) -> str:
    head_dim = HIDDEN // HEADS
    split_heads = g.const("shape_heads", np.array([0, -1, HEADS, head_dim], np.int64))  # 0: copy batch

    def heads(t: str, perm: list[int]) -> str:
        return g.node("Transpose", [g.node("Reshape", [t, split_heads])], perm=perm)

    q = heads(_linear(g, x, HIDDEN, HIDDEN), [0, 2, 1, 3])  # [1, H, S, d]
    k = heads(_linear(g, x, HIDDEN, HIDDEN), [0, 2, 3, 1])  # [1, H, d, S]
    v = heads(_linear(g, x, HIDDEN, HIDDEN), [0, 2, 1, 3])  # [1, H, S, d]
    scores = g.node("Div", [g.node("MatMul", [q, k]), g.const("sqrt_d", np.array(math.sqrt(head_dim), np.float32))])
    probs = g.node("Softmax", [scores], axis=-1)
    context = g.node("Transpose", [g.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])  # [1, S, H, d]
    merged = g.node("Reshape", [context, g.const("shape_merge", np.array([0, -1, HIDDEN], np.int64))])
    return _linear(g, merged, HIDDEN, HIDDEN)


def bert_encoder(decomposed: bool = False, layers: int = 2, opset: int = 17) -> onnx.ModelProto:
    g = GraphBuilder(SEED + 2)
    tokens = g.node("Gather", [g.normal("word_embeddings", (VOCAB, HIDDEN), 0.5), "input_ids"], axis=0)
    # Position ids as torch exports BERT: a [1, MAX_POSITIONS] buffer sliced to the sequence length.
    seq_len = g.node("Gather", [g.node("Shape", ["input_ids"]), g.const("one_idx", np.array(1, np.int64))], axis=0)
    seq_end = g.node("Unsqueeze", [seq_len, g.const("axes0", np.array([0], np.int64))])
    position_ids = g.node(
        "Slice",
        [
            g.const("position_ids", np.arange(MAX_POSITIONS, dtype=np.int64)[None, :]),
            g.const("starts", np.array([0], np.int64)),
            seq_end,
            g.const("axes1", np.array([1], np.int64)),
        ],
    )
    positions = g.node("Gather", [g.normal("position_embeddings", (MAX_POSITIONS, HIDDEN), 0.5), position_ids], axis=0)
    x = g.node("Add", [tokens, positions])
    for _ in range(layers):
        x = g.node("Add", [x, _attention(g, _layer_norm(g, x, decomposed))])
        h = _gelu_erf(g, _linear(g, _layer_norm(g, x, decomposed), HIDDEN, FFN))
        x = g.node("Add", [x, _linear(g, h, FFN, HIDDEN)])
    _layer_norm(g, x, decomposed)
    g.rename_last_output("last_hidden_state")
    first = g.node("Gather", ["last_hidden_state", g.const("zero_idx", np.array(0, np.int64))], axis=1)  # [1, HIDDEN]
    pooled = g.node(
        "Gemm", [first, g.normal("pool_w", (HIDDEN, HIDDEN), 0.05), g.normal("pool_b", (HIDDEN,), 0.02)], transB=1
    )
    g.node("Tanh", [pooled])
    g.rename_last_output("pooler_output")
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"])]
    outputs = [
        helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [1, "seq", HIDDEN]),
        helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, [1, HIDDEN]),
    ]
    name = "bert_encoder_decomposed_ln" if decomposed else "bert_encoder"
    return g.model(name, inputs, outputs, opset)


# ---------------------------------------------------------------------------------------------------------------------

# name -> builder; the tests iterate over this.
MODELS = {
    "resnet_cnn": lambda: resnet_cnn(17),
    "resnet_cnn_opset11": lambda: resnet_cnn(11),
    "resnet50": resnet50,
    "bert_encoder": lambda: bert_encoder(decomposed=False),
    "bert_encoder_decomposed_ln": lambda: bert_encoder(decomposed=True),
}


def build(name: str, out_dir: str = CACHE_DIR) -> str:
    """Path of `name`.onnx in out_dir, built when missing or older than this file."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.onnx")
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(__file__):
        model = MODELS[name]()
        tmp = f"{path}.{os.getpid()}.tmp"
        onnx.save(model, tmp)
        os.replace(tmp, path)
    return path


def main(argv: list[str]) -> int:
    out_dir = argv[1] if len(argv) > 1 else CACHE_DIR
    for name in MODELS:
        print(build(name, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
