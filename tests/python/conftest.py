"""Shared models and helpers of the Python package's tests.

The tests import `kiln` from wherever Python finds it: scripts/test.sh puts the CMake build's package
(build/python) first on PYTHONPATH; after `pip install .` they test the installed package. When kiln cannot be
imported every test fails with a message that says how to build it.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "models"))

import build_models  # noqa: E402 - the end-to-end tests' ResNet- and BERT-style models

try:
    import kiln  # noqa: F401
except ImportError as err:  # reported by every test through the fixture below
    KILN_IMPORT_ERROR = err
else:
    KILN_IMPORT_ERROR = None

OPENVINO = "OpenVINOExecutionProvider"
CPU = "CPUExecutionProvider"


def pytest_report_header(config):
    return f"kiln: {kiln.__file__}" if KILN_IMPORT_ERROR is None else f"kiln: not importable ({KILN_IMPORT_ERROR})"


@pytest.fixture(autouse=True)
def _kiln_importable():
    if KILN_IMPORT_ERROR is not None:
        pytest.fail(
            f"cannot import kiln ({KILN_IMPORT_ERROR}): build it (cmake --build build, with nanobind in .venv, "
            "then PYTHONPATH=build/python) or pip install .",
            pytrace=False,
        )


def opset_model(nodes, inputs, outputs, initializers=(), opset=17, **kwargs) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, kwargs.pop("graph_name", "g"), inputs, outputs, list(initializers))
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=helper.find_min_ir_version_for(opsets),
                              **kwargs)
    onnx.checker.check_model(model, full_check=True)
    return model


def add_relu_model() -> onnx.ModelProto:
    """y = Relu(x + b): x float [N, 3] (N symbolic), b float [3] a graph input; z = x * 2 a second output."""
    return opset_model(
        [helper.make_node("Add", ["x", "b"], ["s"]), helper.make_node("Relu", ["s"], ["y"]),
         helper.make_node("Mul", ["x", "two"], ["z"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(np.array(2.0, np.float32), "two")],
        producer_name="kiln-tests",
    )


def matmul_model(size: int = 64, seed: int = 7) -> onnx.ModelProto:
    """y = Relu(x @ W + B), x float [N, size], with seeded weights (big enough to store as external data)."""
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32)
    b = rng.standard_normal(size).astype(np.float32)
    return opset_model(
        [helper.make_node("MatMul", ["x", "W"], ["m"]), helper.make_node("Add", ["m", "B"], ["s"]),
         helper.make_node("Relu", ["s"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", size])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )


def matmul_reference(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """numpy's answer for matmul_model: max(x @ W + B, 0)."""
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return np.maximum(x @ init["W"] + init["B"], 0)


@pytest.fixture
def model_path(tmp_path):
    """Saves a ModelProto under tmp_path and returns the file name."""

    def save(model: onnx.ModelProto, name: str = "model.onnx") -> str:
        path = str(tmp_path / name)
        onnx.save(model, path)
        return path

    return save


@pytest.fixture(scope="session")
def resnet_path() -> str:
    return build_models.build("resnet_cnn")


@pytest.fixture(scope="session")
def bert_path() -> str:
    return build_models.build("bert_encoder")
