"""Keeps bench/models/build.py from rotting, cheaply: its smallest model (SqueezeNet 1.1) builds into a temporary
folder through build.py's own function, passes onnx.checker and runs in onnxruntime on the inputs build.py saved
(also as a test data set with the expected outputs), and the builds are deterministic. The benchmark itself stays out of the test suite.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = "squeezenet1_1"


def load_bench_build():
    spec = importlib.util.spec_from_file_location("bench_build", os.path.join(REPO, "bench", "models", "build.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench_build = load_bench_build()


def session(path: str) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def test_squeezenet_builds_checks_and_runs(tmp_path):
    lines: list[str] = []
    path = bench_build.build(MODEL, str(tmp_path), log=lines.append)
    assert path == os.path.join(str(tmp_path), MODEL, "model.onnx")
    assert len(lines) == 1 and "1.24M params" in lines[0], lines  # torchvision's squeezenet1_1 has 1,235,496

    onnx.checker.check_model(path, full_check=True)
    model = onnx.load(path)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 224, 224]

    inputs = bench_build.load_inputs(MODEL, str(tmp_path))
    assert list(inputs) == ["input"] and inputs["input"].shape == (1, 3, 224, 224)
    (logits,) = session(path).run(None, inputs)
    assert logits.shape == (1, 1000)
    assert np.all(np.isfinite(logits)) and float(np.std(logits)) > 0.01

    # The same data as an onnx_test_runner test data set (what kiln perf reads without -I), outputs included.
    data = os.path.join(str(tmp_path), MODEL, "test_data_set_0")
    assert sorted(os.listdir(data)) == ["input_0.pb", "output_0.pb"]
    tensors = {}
    for file in ("input_0.pb", "output_0.pb"):
        tensor = onnx.TensorProto()
        with open(os.path.join(data, file), "rb") as f:
            tensor.ParseFromString(f.read())
        tensors[tensor.name] = numpy_helper.to_array(tensor)
    np.testing.assert_array_equal(tensors["input"], inputs["input"])
    np.testing.assert_allclose(tensors["logits"], logits, rtol=1e-5, atol=1e-5)


def test_builds_are_deterministic(tmp_path):
    first = bench_build.build(MODEL, str(tmp_path / "a"), log=lambda _: None)
    second = bench_build.build(MODEL, str(tmp_path / "b"), log=lambda _: None)
    with open(first, "rb") as a, open(second, "rb") as b:
        assert a.read() == b.read()
    a_inputs = bench_build.load_inputs(MODEL, str(tmp_path / "a"))
    b_inputs = bench_build.load_inputs(MODEL, str(tmp_path / "b"))
    assert np.array_equal(a_inputs["input"], b_inputs["input"])


def test_dynamic_variant_runs_any_batch_like_batch_one(tmp_path):
    static = bench_build.build(MODEL, str(tmp_path), log=lambda _: None)
    dynamic = bench_build.build(MODEL + "_dyn", str(tmp_path), log=lambda _: None)
    batch_dim = onnx.load(dynamic).graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param == "batch"

    image = bench_build.load_inputs(MODEL, str(tmp_path))["input"]
    other = np.flip(image, axis=3).copy()
    (one,) = session(static).run(None, {"input": image})
    (two,) = session(dynamic).run(None, {"input": np.concatenate([image, other])})
    assert two.shape == (2, 1000)
    np.testing.assert_allclose(two[:1], one, rtol=1e-4, atol=1e-4)  # same weights in both variants
    assert not np.allclose(two[1], one[0], atol=1e-2)  # and the second image is really another one
