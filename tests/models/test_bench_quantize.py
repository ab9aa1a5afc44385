"""bench/quantize.py's format on a small model, and kiln on the result: quantize_model (the function that makes the
benchmark's int8 variants) turns a Conv -> Relu -> MaxPool -> Conv -> Add -> GlobalAveragePool -> Gemm model into QDQ
with uint8 activations, int8 weights per output channel (symmetric: zero point 0) and a seeded calibration set; kiln
runs it on the CPU provider exactly as ONNX's reference does (onnx.reference: the spec), and on the OpenVINO
provider in int8 (`kiln perf -v` counts the int8 matrix ops) within a few output steps of the CPU provider (int8
compute requantizes in another order than QDQ's float emulation).
"""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from conftest import REPO, run_kiln, save_npy

OPENVINO = ["-e", "openvino", "-i", "device_type|CPU precision|FP32"]


def load_bench_quantize():
    sys.path.insert(0, os.path.join(REPO, "bench", "models"))
    spec = importlib.util.spec_from_file_location("bench_quantize", os.path.join(REPO, "bench", "quantize.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def small_cnn(path: str) -> None:
    rng = np.random.default_rng(3)
    weights = {
        "w1": rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3,
        "b1": rng.standard_normal(8).astype(np.float32) * 0.1,
        "w2": rng.standard_normal((8, 8, 3, 3)).astype(np.float32) * 0.15,
        "b2": rng.standard_normal(8).astype(np.float32) * 0.1,
        "fc": rng.standard_normal((10, 8)).astype(np.float32) * 0.5,
        "fcb": rng.standard_normal(10).astype(np.float32) * 0.1,
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "p1"], ["s"]),
        helper.make_node("GlobalAveragePool", ["s"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "small_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 10])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10), path)


def test_quantize_model_makes_uint8_int8_per_channel_qdq_that_kiln_runs(kiln_bin, tmp_path):
    quantize = load_bench_quantize()
    source, target = str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx")
    small_cnn(source)
    rng = np.random.default_rng(quantize.CALIBRATION_SEED)
    quantize.quantize_model(source, target, [{"x": rng.standard_normal((2, 3, 16, 16), dtype=np.float32)}
                                             for _ in range(4)])
    model = onnx.load(target)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    quantizers = [n for n in model.graph.node if n.op_type == "QuantizeLinear"]
    assert quantizers, "no QuantizeLinear: not QDQ"
    assert not [n for n in model.graph.node if n.op_type.startswith("QLinear")], "QOperator, not QDQ"
    for q in quantizers:  # activations: uint8
        assert inits[q.input[2]].dtype == np.uint8, q.name
    weights = [n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in inits
               and inits[n.input[0]].dtype == np.int8]
    conv_weights = [n for n in weights if inits[n.input[0]].ndim == 4]
    assert len(conv_weights) == 2
    for n in conv_weights:  # per output channel, symmetric
        assert inits[n.input[1]].shape == (8,), n.name
        assert not inits[n.input[2]].any(), n.name

    x = np.random.default_rng(11).standard_normal((2, 3, 16, 16), dtype=np.float32)
    inputs = str(tmp_path / "inputs")
    os.makedirs(inputs)
    x_file = save_npy(inputs, "x", x)
    spec = ReferenceEvaluator(target).run(None, {"x": x})[0]
    outputs = {}
    for provider, flags in (("cpu", []), ("openvino", OPENVINO)):
        out = tmp_path / provider
        ran = run_kiln(kiln_bin, "run", target, "--input", f"x={x_file}", "--save-outputs", str(out), *flags)
        assert ran.returncode == 0, ran.stderr
        outputs[provider] = np.load(out / "output_0.npy")
    np.testing.assert_allclose(outputs["cpu"], spec, rtol=1e-5, atol=1e-6)
    # The Gemm's output is float; its input is on the grid of the last QuantizeLinear: one step there is what an
    # int8 requantization in another order may move an element by.
    step = max(float(inits[q.input[1]]) for q in quantizers)
    fc = next(numpy_helper.to_array(t) for t in onnx.load(source).graph.initializer if t.name == "fc")
    one_step = step * np.abs(fc).sum(1).max()
    diff = np.abs(outputs["openvino"] - outputs["cpu"]).max()
    print(f"OpenVINO int8 vs CPU provider: max abs diff {diff:.3g}, one input step moves the output by {one_step:.3g}")
    assert diff <= one_step
    verbose = run_kiln(kiln_bin, "perf", "-e", "openvino", "-i", "device_type|CPU precision|FP32", "-m", "times", "-r",
                       "1", "-I", "-v", target)
    assert verbose.returncode == 0, verbose.stderr
    assert "3 of 3 Convolution/FullyConnected/MatMul in int8" in verbose.stdout, verbose.stdout[-2000:]


def test_quantize_model_percentile_with_float_classifier_keeps_the_head_float(kiln_bin, tmp_path):
    """The resnet50 recipe's options: Percentile calibration, GlobalAveragePool/Flatten/Gemm left float (the Add
    before them keeps its quantized output); the convs stay int8 on OpenVINO (2 of 3 matrix ops, the Gemm in float)
    and kiln's CPU provider follows the spec."""
    quantize = load_bench_quantize()
    source, target = str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx")
    small_cnn(source)
    rng = np.random.default_rng(quantize.CALIBRATION_SEED)
    recipe = quantize.RECIPES["resnet50"]
    assert recipe.percentile is not None and "Gemm" in recipe.float_ops
    quantize.quantize_model(source, target, [{"x": rng.standard_normal((2, 3, 16, 16), dtype=np.float32)}
                                             for _ in range(4)], recipe.op_types, recipe.percentile, recipe.float_ops)
    model = onnx.load(target)
    produced_by = {out: n for n in model.graph.node for out in n.output}
    quantized = {n.input[0] for n in model.graph.node if n.op_type == "QuantizeLinear"}
    for node in model.graph.node:
        if node.op_type in recipe.float_ops:  # the classifier's outputs are float, not requantized
            assert not quantized & set(node.output), f"{node.op_type} {node.name}'s output is quantized"
        if node.op_type == "Gemm":  # and the Gemm computes in float: no quantized input at all
            assert not [i for i in node.input if i in produced_by and produced_by[i].op_type == "DequantizeLinear"]
        if node.op_type == "Conv":
            assert produced_by[node.input[0]].op_type == "DequantizeLinear", node.name
    assert "fc" in {t.name for t in model.graph.initializer}, "the Gemm's weight should stay a float initializer"

    x = np.random.default_rng(11).standard_normal((2, 3, 16, 16), dtype=np.float32)
    inputs = str(tmp_path / "inputs")
    os.makedirs(inputs)
    x_file = save_npy(inputs, "x", x)
    spec = ReferenceEvaluator(target).run(None, {"x": x})[0]
    out = tmp_path / "cpu"
    ran = run_kiln(kiln_bin, "run", target, "--input", f"x={x_file}", "--save-outputs", str(out), "-e", "cpu")
    assert ran.returncode == 0, ran.stderr
    np.testing.assert_allclose(np.load(out / "output_0.npy"), spec, rtol=1e-5, atol=1e-6)
    verbose = run_kiln(kiln_bin, "perf", "-e", "openvino", "-i", "device_type|CPU precision|FP32", "-m", "times", "-r",
                       "1", "-I", "-v", target)
    assert verbose.returncode == 0, verbose.stderr
    assert "2 of 3 Convolution/FullyConnected/MatMul in int8" in verbose.stdout, verbose.stdout[-2000:]
