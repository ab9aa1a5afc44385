"""The same script on onnxruntime (the peer, CPU provider) and on kiln (CPU and OpenVINO providers): outputs,
get_inputs/get_outputs metadata, and the exception classes raised for bad feeds."""

from __future__ import annotations

import os
import sys

import numpy as np
import onnxruntime
import pytest
from conftest import CPU, OPENVINO, REPO, add_relu_model

import kiln

# PP-OCR's models, shipped by the rapidocr-onnxruntime package of the project's .venv (requirements.txt).
RAPIDOCR = os.path.join(REPO, ".venv", "lib", f"python{sys.version_info.major}.{sys.version_info.minor}",
                        "site-packages", "rapidocr_onnxruntime", "models")


def feeds_for(sess, seed=0):
    """Random feeds for every input of `sess` (symbolic dims: 2, or 48 for image-like sizes)."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for arg in sess.get_inputs():
        shape = [d if isinstance(d, int) else (48 if i >= 2 else 2) for i, d in enumerate(arg.shape)]
        if arg.type == "tensor(int64)":
            feeds[arg.name] = rng.integers(0, 100, shape).astype(np.int64)
        else:
            feeds[arg.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def error_class(f):
    try:
        f()
    except Exception as err:  # the class is what is compared
        return type(err)
    return None


def script(rt, model, providers):
    """What a user's script does with `rt` (onnxruntime or kiln): open, describe, run, and make mistakes."""
    sess = rt.InferenceSession(model, providers=providers)
    meta = {
        "inputs": [(a.name, a.type, a.shape) for a in sess.get_inputs()],
        "outputs": [(a.name, a.type, a.shape) for a in sess.get_outputs()],
    }
    feeds = feeds_for(sess)
    outputs = sess.run(None, feeds)
    first = sess.get_inputs()[0].name
    good = feeds[first]
    wrong_dtype = good.astype(np.float64 if good.dtype != np.float64 else np.float32)
    errors = {
        "missing input": error_class(lambda: sess.run(None, {})),
        "unknown input": error_class(lambda: sess.run(None, {**feeds, "no_such_input": good})),
        "wrong dtype": error_class(lambda: sess.run(None, {**feeds, first: wrong_dtype})),
        "wrong rank": error_class(lambda: sess.run(None, {**feeds, first: good[0]})),
        "unknown output": error_class(lambda: sess.run(["no_such_output"], feeds)),
        "not an array": error_class(lambda: sess.run(None, {**feeds, first: "text"})),
    }
    return meta, outputs, errors


MODELS = ["add_relu", "resnet_cnn", "bert_encoder", "ppocr_cls", "ppocr_rec"]


@pytest.fixture(scope="module")
def models(resnet_path, bert_path, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("peer") / "add_relu.onnx")
    with open(path, "wb") as f:
        f.write(add_relu_model().SerializeToString())
    return {
        "add_relu": path,
        "resnet_cnn": resnet_path,
        "bert_encoder": bert_path,
        "ppocr_cls": os.path.join(RAPIDOCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
        "ppocr_rec": os.path.join(RAPIDOCR, "ch_PP-OCRv4_rec_infer.onnx"),
    }


@pytest.mark.parametrize("provider", [CPU, OPENVINO])
@pytest.mark.parametrize("name", MODELS)
def test_same_script_same_results(name, provider, models):
    path = models[name]
    if name.startswith("ppocr") and not os.path.exists(path):
        pytest.fail(f"{path} is missing: scripts/setup.sh installs rapidocr-onnxruntime", pytrace=False)
    peer_meta, peer_outputs, peer_errors = script(onnxruntime, path, ["CPUExecutionProvider"])
    meta, outputs, errors = script(kiln, path, [provider])
    assert meta == peer_meta
    assert {case: cls.__name__ for case, cls in errors.items()} == \
        {case: cls.__name__ for case, cls in peer_errors.items()}
    assert len(outputs) == len(peer_outputs)
    tolerance = dict(rtol=1e-4, atol=1e-4) if provider == CPU else dict(rtol=2e-3, atol=2e-3)
    for got, want in zip(outputs, peer_outputs):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **tolerance)


def test_bad_feed_classes_are_kilns_with_onnxruntimes_names():
    """The classes themselves: kiln's own, importable where onnxruntime's are."""
    from kiln.capi.onnxruntime_pybind11_state import InvalidArgument

    _, _, errors = script(kiln, add_relu_model().SerializeToString(), [CPU])
    assert errors == {
        "missing input": ValueError,
        "unknown input": InvalidArgument,
        "wrong dtype": InvalidArgument,
        "wrong rank": InvalidArgument,
        "unknown output": InvalidArgument,
        "not an array": RuntimeError,
    }
