"""The Python snippets of the reference document (../shared/reference/openvino-execution-provider.md), each run on
kiln with `import kiln as onnxruntime` and checked against kiln's CPU provider or numpy. Each test names the
section and snippet it covers; <path_to_model_file> is a ResNet-style CNN (tests/models/build_models.py)."""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
from conftest import CPU, OPENVINO, matmul_model, matmul_reference

import kiln as onnxruntime

OPENVINO_TOLERANCE = dict(rtol=1e-3, atol=1e-4)
# AUTO/HETERO/MULTI without a precision let OpenVINO choose it: bf16 on CPUs with AVX512-BF16 or AMX.
OPENVINO_CHOOSES_TOLERANCE = dict(rtol=5e-2, atol=5e-2)


def image(seed=0):
    return np.random.default_rng(seed).standard_normal((1, 3, 224, 224)).astype(np.float32)


@pytest.fixture(scope="module")
def cpu_reference(resnet_path):
    """kiln's CPU provider on the same model and input: the oracle for the OpenVINO runs."""
    sess = onnxruntime.InferenceSession(resnet_path, providers=[CPU])
    return sess.run(None, {sess.get_inputs()[0].name: image()})


def run_and_compare(sess, cpu_reference, tolerance=OPENVINO_TOLERANCE):
    outputs = sess.run(None, {sess.get_inputs()[0].name: image()})
    for got, want in zip(outputs, cpu_reference):
        np.testing.assert_allclose(got, want, **tolerance)
    return outputs


def test_external_weights_snippet(resnet_path, tmp_path, cpu_reference, monkeypatch):
    """Features > Support for Weights saved in external files: onnx.save_model(..., save_as_external_data=True,
    location='data/weights_data', size_threshold=1024), then inference on 'saved_model.onnx'."""
    monkeypatch.chdir(tmp_path)
    os.makedirs("data")  # where the snippet's location puts the weights
    onnx_model = onnx.load(resnet_path)  # Your model in memory as ModelProto
    onnx.save_model(onnx_model, "saved_model.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                    location="data/weights_data", size_threshold=1024, convert_attribute=False)
    assert os.path.getsize("data/weights_data") > os.path.getsize("saved_model.onnx")
    sess = onnxruntime.InferenceSession("saved_model.onnx", providers=["OpenVINOExecutionProvider"])
    run_and_compare(sess, cpu_reference)


def epcontext_options():
    """Features > Export OpenVINO Compiled Blob: the three session config entries of the snippet."""
    session_options = onnxruntime.SessionOptions()
    session_options.add_session_config_entry("ep.context_enable", "1")
    session_options.add_session_config_entry("ep.context_embed_mode", "1")
    session_options.add_session_config_entry("ep.context_file_path", "./ov_compiled_epctx.onnx")
    return session_options


def test_export_compiled_blob_snippet_runs(resnet_path, tmp_path, cpu_reference, monkeypatch):
    """Features > Export OpenVINO Compiled Blob: `sess = onnxruntime.InferenceSession(<path_to_model_file>,
    session_options)` with the ep.context_* entries creates a session that runs (on every available provider)."""
    monkeypatch.chdir(tmp_path)
    sess = onnxruntime.InferenceSession(resnet_path, epcontext_options())
    assert sess.get_providers() == [OPENVINO, CPU]
    run_and_compare(sess, cpu_reference)


def test_export_compiled_blob_snippet_writes_the_context_model(resnet_path, tmp_path, cpu_reference, monkeypatch):
    """Features > Export OpenVINO Compiled Blob: the session writes ./ov_compiled_epctx.onnx with EPContext nodes
    (blobs embedded, as ep.context_embed_mode=1 asks), and a session on it runs like the original."""
    monkeypatch.chdir(tmp_path)
    onnxruntime.InferenceSession(resnet_path, epcontext_options())
    exported = onnx.load("ov_compiled_epctx.onnx")
    contexts = [node for node in exported.graph.node if node.op_type == "EPContext"]
    assert contexts and all(node.domain == "com.microsoft" for node in contexts)
    assert [f for f in os.listdir(".") if f != "ov_compiled_epctx.onnx"] == []
    sess = onnxruntime.InferenceSession("ov_compiled_epctx.onnx", providers=[OPENVINO])
    run_and_compare(sess, cpu_reference)


# Summary of options: every key of the table with a value this machine (OpenVINO's CPU device) accepts.
OPTION_CASES = {
    "device_type": {"device_type": "CPU"},
    "device_type_auto": {"device_type": "AUTO:CPU", "precision": "FP32"},
    "device_type_hetero": {"device_type": "HETERO:CPU", "precision": "FP32"},
    "device_type_multi": {"device_type": "MULTI:CPU", "precision": "FP32"},
    "device_type_auto_precision_chosen": {"device_type": "AUTO:CPU"},
    "device_type_legacy_cpu_fp32": {"device_type": "CPU_FP32"},
    "precision_fp32": {"precision": "FP32"},
    "precision_accuracy": {"precision": "ACCURACY"},
    "num_of_threads": {"num_of_threads": "8"},
    "num_streams": {"num_streams": "8"},
    "cache_dir_empty": {"cache_dir": ""},
    "enable_opencl_throttling": {"enable_opencl_throttling": "True"},
    "enable_qdq_optimizer": {"enable_qdq_optimizer": "True"},
    "disable_dynamic_shapes": {"disable_dynamic_shapes": "True"},
    "model_priority": {"model_priority": "LOW"},
    "cpp_api_example_on_cpu": {"device_type": "CPU", "precision": "FP32", "num_of_threads": "8",
                               "num_streams": "8", "cache_dir": "", "enable_qdq_optimizer": "True"},
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_python_api_provider_options_snippet(case, resnet_path, cpu_reference):
    """Configuration Options > Python API: `session = onnxruntime.InferenceSession(<path_to_model_file>,
    providers=['OpenVINOExecutionProvider'], provider_options=[{Key1 : Value1, Key2 : Value2, ...}])`."""
    session = onnxruntime.InferenceSession(resnet_path, providers=["OpenVINOExecutionProvider"],
                                           provider_options=[OPTION_CASES[case]])
    assert {provider for _, _, provider, _ in session.node_assignments()} == {OPENVINO}
    chosen = "device_type" in OPTION_CASES[case] and ":" in OPTION_CASES[case]["device_type"] and \
        "precision" not in OPTION_CASES[case]
    run_and_compare(session, cpu_reference, OPENVINO_CHOOSES_TOLERANCE if chosen else OPENVINO_TOLERANCE)


def test_python_api_context_option_needs_a_gpu(resnet_path):
    """Summary of options > context (an OpenCL cl_context, GPU only): on the CPU device a clear error naming it."""
    with pytest.raises(onnxruntime.Unsupported, match="context='0x123456ff'"):
        onnxruntime.InferenceSession(resnet_path, providers=["OpenVINOExecutionProvider"],
                                     provider_options=[{"context": "0x123456ff"}])


def test_graph_optimization_level_snippet(resnet_path, cpu_reference):
    """Configuration Options > Onnxruntime Graph level Optimization > Python API:
    options.graph_optimization_level = ORT_DISABLE_ALL; InferenceSession(<path_to_model_file>, options)."""
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = onnxruntime.InferenceSession(resnet_path, options)
    run_and_compare(sess, cpu_reference)


@pytest.mark.parametrize("form", ["file", "inline"])
def test_load_config_snippet(form, resnet_path, tmp_path, cpu_reference, capfd):
    """Features > Loading Custom JSON OpenVINO Config During Runtime: {"DEVICE_KEY": {"PROPERTY": "PROPERTY_VALUE"}}
    as load_config (a JSON file's path, or the JSON text); an unknown property is skipped with a warning."""
    config = {"CPU": {"INFERENCE_NUM_THREADS": "2", "NOT_AN_OPENVINO_PROPERTY": "1"}}
    value = json.dumps(config)
    if form == "file":
        (tmp_path / "test_config.json").write_text(value)
        value = str(tmp_path / "test_config.json")
    sess = onnxruntime.InferenceSession(resnet_path, providers=["OpenVINOExecutionProvider"],
                                        provider_options=[{"device_type": "CPU", "load_config": value}])
    assert "NOT_AN_OPENVINO_PROPERTY" in capfd.readouterr().err
    run_and_compare(sess, cpu_reference)


def test_model_caching_snippet(resnet_path, tmp_path, cpu_reference):
    """Features > Model caching: the runtime option 'cache_dir' makes OpenVINO dump the compiled blobs there and
    load them in the next session."""
    cache = tmp_path / "cache"
    options = [{"device_type": "CPU", "cache_dir": str(cache)}]
    first = onnxruntime.InferenceSession(resnet_path, providers=["OpenVINOExecutionProvider"], provider_options=options)
    run_and_compare(first, cpu_reference)
    blobs = sorted(p.name for p in cache.iterdir())
    assert blobs, "cache_dir is empty after compiling"
    second = onnxruntime.InferenceSession(resnet_path, providers=["OpenVINOExecutionProvider"],
                                          provider_options=options)
    run_and_compare(second, cpu_reference)
    assert sorted(p.name for p in cache.iterdir()) == blobs  # reused, not compiled into new entries


def test_create_session_from_array_snippet(resnet_path, cpu_reference):
    """Features > OVEP supports CreateSessionFromArray API: the model's bytes loaded in memory, then a session on
    them."""
    with open(resnet_path, "rb") as f:
        model_bytes = f.read()
    sess = onnxruntime.InferenceSession(model_bytes, providers=["OpenVINOExecutionProvider"])
    run_and_compare(sess, cpu_reference)


def test_ep_weight_sharing_snippet():
    """Features > EP-Weight Sharing across sessions: two sessions with the session option ep.share_ep_contexts run
    side by side and give the right answers (the second runs the first's compiled model: test_model_cache.py)."""
    model = matmul_model(size=96)
    so = onnxruntime.SessionOptions()
    so.add_session_config_entry("ep.share_ep_contexts", "1")
    sessions = [onnxruntime.InferenceSession(model.SerializeToString(), so, providers=["OpenVINOExecutionProvider"])
                for _ in range(2)]
    x = np.random.default_rng(2).standard_normal((3, 96)).astype(np.float32)
    for sess in sessions:
        np.testing.assert_allclose(sess.run(None, {"x": x})[0], matmul_reference(model, x), **OPENVINO_TOLERANCE)


def test_multi_threading_snippet(resnet_path, cpu_reference):
    """Features > Multi-threading for OpenVINO Execution Provider (thread-safe inference) with Multi streams:
    one session with num_streams=2 run from four threads at once."""
    import threading

    sess = onnxruntime.InferenceSession(resnet_path, providers=["OpenVINOExecutionProvider"],
                                        provider_options=[{"num_streams": "2"}])
    errors = []

    def work():
        try:
            run_and_compare(sess, cpu_reference)
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
