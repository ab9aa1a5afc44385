"""InferenceSession: sources, providers, metadata, runs, options that kiln acts on, OrtValue and IOBinding."""

from __future__ import annotations

import json
import os
import pathlib
import warnings

import numpy as np
import onnx
import pytest
from conftest import CPU, OPENVINO, add_relu_model, matmul_model, matmul_reference

import kiln
from kiln import _kiln

X = np.array([[1, -5, 2], [0.5, 0, -1]], np.float32)
B = np.array([1, 1, -1], np.float32)


def expected_add_relu(x=X, b=B):
    return np.maximum(x + b, 0), x * 2


def test_from_path_pathlike_and_bytes(model_path):
    path = model_path(add_relu_model())
    for source in (path, pathlib.Path(path), open(path, "rb").read()):
        sess = kiln.InferenceSession(source, providers=[CPU])
        y, z = sess.run(None, {"x": X, "b": B})
        np.testing.assert_array_equal(y, expected_add_relu()[0])
        np.testing.assert_array_equal(z, expected_add_relu()[1])


def test_metadata_and_node_args():
    model = add_relu_model()
    model.doc_string = "model doc"
    model.domain = "ai.example"
    model.model_version = 3
    model.graph.doc_string = "graph doc"
    onnx.helper.set_model_props(model, {"author": "kiln"})
    sess = kiln.InferenceSession(model.SerializeToString(), providers=[CPU])
    assert [(a.name, a.type, a.shape) for a in sess.get_inputs()] == [
        ("x", "tensor(float)", ["N", 3]), ("b", "tensor(float)", [3])]
    assert [(a.name, a.type, a.shape) for a in sess.get_outputs()] == [
        ("y", "tensor(float)", ["N", 3]), ("z", "tensor(float)", ["N", 3])]
    assert str(sess.get_inputs()[0]) == "NodeArg(name='x', type='tensor(float)', shape=['N', 3])"
    assert sess.get_overridable_initializers() == []
    meta = sess.get_modelmeta()
    assert (meta.producer_name, meta.graph_name, meta.domain, meta.description, meta.graph_description,
            meta.version, meta.custom_metadata_map) == ("kiln-tests", "g", "ai.example", "model doc", "graph doc", 3,
                                                        {"author": "kiln"})


def test_providers_default_to_every_available_one():
    sess = kiln.InferenceSession(add_relu_model().SerializeToString())
    assert sess.get_providers() == [OPENVINO, CPU]
    assert {p for _, _, p, _ in sess.node_assignments()} == {OPENVINO}
    np.testing.assert_allclose(sess.run(["y"], {"x": X, "b": B})[0], expected_add_relu()[0])


def test_provider_argument_rules():
    data = add_relu_model().SerializeToString()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sess = kiln.InferenceSession(data, providers=["CUDAExecutionProvider", CPU, CPU])
    messages = [str(w.message) for w in caught]
    assert any("'CUDAExecutionProvider' is not in available provider names" in m for m in messages)
    assert any("Duplicate provider 'CPUExecutionProvider'" in m for m in messages)
    assert sess.get_providers() == [CPU]
    sess = kiln.InferenceSession(data, providers=[(OPENVINO, {"device_type": "CPU", "num_streams": 2})])
    assert sess.get_providers() == [OPENVINO, CPU]
    assert sess.get_provider_options()[OPENVINO] == {"device_type": "CPU", "num_streams": "2"}  # str()-converted
    with pytest.raises(ValueError, match="same length"):
        kiln.InferenceSession(data, providers=[OPENVINO], provider_options=[{}, {}])
    with pytest.raises(ValueError, match="strings or \\(string, dict\\) tuples"):
        kiln.InferenceSession(data, providers=[(OPENVINO, "CPU")])
    # Options are kiln's to judge: the error names the key.
    with pytest.raises(kiln.InvalidArgument, match="device_typo"):
        kiln.InferenceSession(data, providers=[OPENVINO], provider_options=[{"device_typo": "CPU"}])


def test_set_providers_recreates_the_session():
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[OPENVINO])
    sess.set_providers([CPU])
    assert sess.get_providers() == [CPU]
    assert {p for _, _, p, _ in sess.node_assignments()} == {CPU}
    np.testing.assert_array_equal(sess.run(None, {"x": X, "b": B})[0], expected_add_relu()[0])


def test_run_output_selection_and_feed_errors():
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[CPU])
    (z,) = sess.run(["z"], {"x": X, "b": B})
    np.testing.assert_array_equal(z, X * 2)
    with pytest.raises(ValueError, match=r"Required inputs \(\['b'\]\) are missing"):
        sess.run(None, {"x": X})
    with pytest.raises(kiln.InvalidArgument, match="unknown output 'nope'"):
        sess.run(["nope"], {"x": X, "b": B})
    with pytest.raises(kiln.InvalidArgument, match="unknown input 'q'"):
        sess.run(None, {"x": X, "b": B, "q": B})
    with pytest.raises(RuntimeError, match="single numpy array for input 'x'"):
        sess.run(None, {"x": "text", "b": B})
    ro = kiln.RunOptions()
    ro.terminate = True
    with pytest.raises(kiln.Fail, match="terminate"):
        sess.run(None, {"x": X, "b": B}, ro)


def test_profiling_writes_a_chrome_trace(tmp_path):
    so = kiln.SessionOptions()
    so.enable_profiling = True
    so.profile_file_prefix = str(tmp_path / "prof")
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), so, providers=[CPU])
    sess.run(None, {"x": X, "b": B})
    path = sess.end_profiling()
    assert path.startswith(str(tmp_path / "prof_")) and path.endswith(".json")
    events = json.load(open(path))
    assert any(e.get("name") == "model_run" for e in events)
    assert sess.end_profiling() == ""  # profiling stopped, as in onnxruntime
    assert kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[CPU]).end_profiling() == ""


def test_optimized_model_filepath_and_optimization_level(tmp_path):
    so = kiln.SessionOptions()
    so.graph_optimization_level = kiln.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    kiln.InferenceSession(add_relu_model().SerializeToString(), so, providers=[CPU])
    saved = onnx.load(str(tmp_path / "opt.onnx"))
    assert [n.op_type for n in saved.graph.node] == ["Add", "Relu", "Mul"]


def test_free_dimension_override_fixes_the_input_shape():
    so = kiln.SessionOptions()
    so.add_free_dimension_override_by_name("N", 2)
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), so, providers=[CPU])
    assert sess.get_inputs()[0].shape == [2, 3]
    with pytest.raises(kiln.InvalidArgument, match="'x'"):
        sess.run(None, {"x": np.ones((5, 3), np.float32), "b": B})


def test_log_severity_level_applies_while_the_session_is_created(capfd):
    data = add_relu_model().SerializeToString()
    config = json.dumps({"CPU": {"NOT_A_PROPERTY": "1"}})  # an unknown property: a warning, not an error
    before = _kiln.log_severity()
    kiln.InferenceSession(data, providers=[OPENVINO], provider_options=[{"load_config": config}])
    assert "NOT_A_PROPERTY" in capfd.readouterr().err
    so = kiln.SessionOptions()
    so.log_severity_level = 3
    kiln.InferenceSession(data, so, providers=[OPENVINO], provider_options=[{"load_config": config}])
    assert "NOT_A_PROPERTY" not in capfd.readouterr().err
    assert _kiln.log_severity() == before


def test_external_initializers_from_memory(tmp_path):
    model = matmul_model()
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    x = np.random.default_rng(3).standard_normal((2, 64)).astype(np.float32)
    expected = matmul_reference(model, x)
    onnx.save_model(model, str(tmp_path / "ext.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    data = (tmp_path / "ext.onnx").read_bytes()
    # From bytes, the external file is found through the session config entry ...
    so = kiln.SessionOptions()
    so.add_session_config_entry("session.model_external_initializers_file_folder_path", str(tmp_path))
    np.testing.assert_allclose(kiln.InferenceSession(data, so, providers=[CPU]).run(None, {"x": x})[0], expected,
                               rtol=1e-5, atol=1e-5)
    # ... or not needed at all when the initializers come from memory (here with W doubled).
    os.remove(tmp_path / "weights.bin")
    so = kiln.SessionOptions()
    values = [kiln.OrtValue.ortvalue_from_numpy(weights["W"] * 2), kiln.OrtValue.ortvalue_from_numpy(weights["B"])]
    so.add_external_initializers(["W", "B"], values)
    got = kiln.InferenceSession(data, so, providers=[CPU]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, np.maximum(x @ (weights["W"] * 2) + weights["B"], 0), rtol=1e-5, atol=1e-5)
    with pytest.raises(kiln.InvalidArgument, match="weights.bin.*without a base directory"):
        kiln.InferenceSession(data, providers=[CPU])
    so = kiln.SessionOptions()
    so.add_external_initializers(["W", "B"], [values[0], kiln.OrtValue.ortvalue_from_numpy(np.ones(3, np.float32))])
    with pytest.raises(kiln.InvalidArgument, match="'B'.*\\[64\\].*\\[3\\]"):
        kiln.InferenceSession(data, so, providers=[CPU])


def test_ortvalue_api():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    v = kiln.OrtValue.ortvalue_from_numpy(x)
    assert (v.shape(), v.data_type(), v.element_type(), v.device_name()) == ([2, 3], "tensor(float)", 1, "cpu")
    assert v.is_tensor() and v.has_value() and not v.is_tensor_sequence()
    assert v.data_ptr() == x.ctypes.data and v.tensor_size_in_bytes() == 24
    v.numpy()[0, 0] = 42  # shares the array's memory, as in onnxruntime
    assert x[0, 0] == 42
    v.update_inplace(np.ones(6, np.float32))
    np.testing.assert_array_equal(x, np.ones((2, 3)))
    z = kiln.OrtValue.ortvalue_from_shape_and_type([2, 2], np.int64)
    assert z.data_type() == "tensor(int64)"
    np.testing.assert_array_equal(z.numpy(), np.zeros((2, 2), np.int64))
    assert kiln.OrtValue.ortvalue_from_shape_and_type([1], 10).numpy().dtype == np.float16
    with pytest.raises(kiln.Unsupported, match="cuda"):
        kiln.OrtValue.ortvalue_from_numpy(x, "cuda", 0)
    with pytest.raises(RuntimeError, match="non-string"):
        kiln.OrtValue.ortvalue_from_numpy(np.array(["a"]))


def test_run_with_ort_values():
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[CPU])
    feeds = {"x": kiln.OrtValue.ortvalue_from_numpy(X), "b": kiln.OrtValue.ortvalue_from_numpy(B)}
    y, z = sess.run_with_ort_values(None, feeds)
    assert isinstance(y, kiln.OrtValue)
    np.testing.assert_array_equal(y.numpy(), expected_add_relu()[0])


def test_io_binding():
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[CPU])
    binding = sess.io_binding()
    binding.bind_cpu_input("x", X)
    binding.bind_input("b", "cpu", 0, np.float32, [3], B.ctypes.data)
    binding.bind_output("y")
    sess.run_with_iobinding(binding)
    (y,) = binding.copy_outputs_to_cpu()
    np.testing.assert_array_equal(y, expected_add_relu()[0])
    assert isinstance(binding.get_outputs()[0], kiln.OrtValue)
    # Outputs into the caller's memory: a raw buffer and an OrtValue.
    out_y = np.zeros((2, 3), np.float32)
    out_z = kiln.OrtValue.ortvalue_from_shape_and_type([2, 3], np.float32)
    binding.clear_binding_outputs()
    binding.bind_output("y", "cpu", 0, np.float32, [2, 3], out_y.ctypes.data)
    binding.bind_ortvalue_output("z", out_z)
    sess.run_with_iobinding(binding)
    np.testing.assert_array_equal(out_y, expected_add_relu()[0])
    np.testing.assert_array_equal(out_z.numpy(), X * 2)
    wrong = np.zeros((3, 3), np.float32)
    binding.clear_binding_outputs()
    binding.bind_output("y", "cpu", 0, np.float32, [3, 3], wrong.ctypes.data)
    with pytest.raises(kiln.InvalidArgument, match="'y'"):
        sess.run_with_iobinding(binding)


def test_run_async_calls_back():
    import threading

    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[CPU])
    done = threading.Event()
    got = {}

    def callback(outputs, user_data, error):
        got.update(outputs=outputs, user_data=user_data, error=error)
        done.set()

    sess.run_async(None, {"x": X, "b": B}, callback, "token")
    assert done.wait(60)
    assert got["error"] == "" and got["user_data"] == "token"
    np.testing.assert_array_equal(got["outputs"][0], expected_add_relu()[0])
