"""Module-level API, version, options objects and the exception classes."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from conftest import CPU, OPENVINO, REPO, add_relu_model

import kiln
from kiln import _kiln


def test_version_comes_from_cmakelists():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        version = re.search(r"project\(kiln VERSION ([0-9.]+)", f.read()).group(1)
    assert kiln.__version__ == version
    assert kiln.get_version_string() == version


def test_available_providers_and_device():
    providers = kiln.get_available_providers()
    # The OpenVINO provider is part of every build (linked against the openvino wheel), the CPU provider is last.
    assert providers == [OPENVINO, CPU]
    assert kiln.get_all_providers() == providers
    assert kiln.get_device() == "CPU-OPENVINO_CPU"


def test_log_severity_is_process_wide_and_checked():
    before = _kiln.log_severity()
    try:
        kiln.set_default_logger_severity(3)
        assert _kiln.log_severity() == 3
        with pytest.raises(kiln.InvalidArgument, match="severity 7"):
            kiln.set_default_logger_severity(7)
        assert _kiln.log_severity() == 3
    finally:
        kiln.set_default_logger_severity(before)


def test_enums_have_onnxruntimes_values():
    assert int(kiln.GraphOptimizationLevel.ORT_DISABLE_ALL) == 0
    assert int(kiln.GraphOptimizationLevel.ORT_ENABLE_BASIC) == 1
    assert int(kiln.GraphOptimizationLevel.ORT_ENABLE_EXTENDED) == 2
    assert int(kiln.GraphOptimizationLevel.ORT_ENABLE_LAYOUT) == 3
    assert int(kiln.GraphOptimizationLevel.ORT_ENABLE_ALL) == 99
    assert int(kiln.ExecutionMode.ORT_PARALLEL) == 1


def test_session_options_defaults_and_config_entries():
    so = kiln.SessionOptions()
    assert so.graph_optimization_level == kiln.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert (so.intra_op_num_threads, so.inter_op_num_threads, so.log_severity_level) == (0, 0, -1)
    assert so.enable_profiling is False and so.optimized_model_filepath == ""
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "0")
    assert so.get_session_config_entry("session.disable_cpu_ep_fallback") == "0"
    with pytest.raises(RuntimeError, match="nokey"):
        so.get_session_config_entry("nokey")
    with pytest.raises(kiln.InvalidArgument, match="8192"):
        so.add_session_config_entry("k", "v" * 8193)
    ro = kiln.RunOptions()
    ro.add_run_config_entry("a", "b")
    assert ro.get_run_config_entry("a") == "b"
    assert ro.terminate is False


def test_session_options_reach_kiln():
    so = kiln.SessionOptions()
    so.graph_optimization_level = kiln.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.intra_op_num_threads = 3
    so.enable_profiling = True
    so.profile_file_prefix = "prof"
    so.add_session_config_entry("ep.context_enable", "1")
    so.add_free_dimension_override_by_name("N", 4)
    options = so._to_kiln()
    assert options.optimization_level == 2
    assert options.intra_op_threads == 3
    assert options.enable_profiling and options.profile_file_prefix == "prof"
    assert options.config_entries == {"ep.context_enable": "1"}
    assert options.dim_overrides == {"N": 4}
    so.graph_optimization_level = kiln.GraphOptimizationLevel.ORT_ENABLE_LAYOUT
    assert so._to_kiln().optimization_level == 99


# kiln error code -> the class raised, and the onnxruntime classes it must also be.
ERROR_CLASSES = {
    "InvalidModel": ("InvalidModel", ["InvalidGraph", "InvalidProtobuf"]),
    "InvalidArgument": ("InvalidArgument", []),
    "NotFound": ("NoSuchFile", []),
    "NotImplemented": ("NotImplemented", []),
    "Unsupported": ("Unsupported", ["NotImplemented"]),
    "DeviceError": ("EPFail", []),
    "Internal": ("RuntimeException", []),
}


def test_every_error_code_has_a_class():
    assert sorted(_kiln.error_code_names()) == sorted(ERROR_CLASSES)


@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_kiln_errors_raise_their_class_with_the_cpp_message(code):
    name, also = ERROR_CLASSES[code]
    with pytest.raises(kiln.Error) as info:
        _kiln.raise_error(code, f"tensor 'w': something about {code}")
    assert type(info.value).__name__ == name
    assert type(info.value) is getattr(kiln, name)
    assert str(info.value) == f"tensor 'w': something about {code}"
    assert isinstance(info.value, RuntimeError)
    for base in also:
        assert isinstance(info.value, getattr(kiln, base))


def test_capi_module_exports_onnxruntimes_exception_names():
    from kiln.capi import onnxruntime_pybind11_state as state
    from kiln.capi.onnxruntime_pybind11_state import InvalidArgument

    assert InvalidArgument is kiln.InvalidArgument
    for name in ["Fail", "InvalidArgument", "NoSuchFile", "NoModel", "EngineError", "RuntimeException",
                 "InvalidProtobuf", "ModelLoaded", "NotImplemented", "InvalidGraph", "EPFail"]:
        cls = getattr(state, name)
        assert issubclass(cls, kiln.Error) and cls is getattr(kiln, name)


def test_errors_from_sessions_use_the_classes(tmp_path):
    with pytest.raises(kiln.NoSuchFile, match="nothere.onnx"):
        kiln.InferenceSession(str(tmp_path / "nothere.onnx"))
    with pytest.raises(kiln.InvalidProtobuf, match="not a valid ONNX protobuf"):
        kiln.InferenceSession(b"garbage")
    with pytest.raises(TypeError, match="Unable to load from type"):
        kiln.InferenceSession(123)
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[CPU])
    with pytest.raises(kiln.InvalidArgument, match="'x'.*tensor\\(float\\).*tensor\\(double\\)"):
        sess.run(None, {"x": np.ones((1, 3)), "b": np.ones(3, np.float32)})
