"""The optimised models that kiln writes (SessionOptions::optimized_model_filepath, through the test tool
kiln_save_optimized_model) checked by ONNX's own tools: onnx.checker.check_model with full shape inference, onnx's
numpy_helper for the written tensor data, and onnxruntime running them to the outputs it gives for the original model.

At --opt-level 1 (constant folding, dead nodes) the written model holds ONNX ops only, so onnxruntime runs it; at 99 it
holds kiln's internal fused ops (domain "kiln"), which only kiln runs: those are compared through `kiln run`.

The tool comes from $KILN_SAVE_OPTIMIZED_BIN (default <repo>/build/tests/kiln_save_optimized_model); when it is
missing the tests fail (never skip) with a message that says how to build it.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import build_models
from conftest import RAPIDOCR_MODELS, REPO, assert_outputs_close, executable, run_kiln, save_npy

SEED = 4321
BACKEND_DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
DEFAULT_SAVE_BIN = os.path.join(REPO, "build", "tests", "kiln_save_optimized_model")


@pytest.fixture(scope="session")
def save_bin() -> str:
    return executable("KILN_SAVE_OPTIMIZED_BIN", DEFAULT_SAVE_BIN,
                      "build it (cmake --build build --target kiln_save_optimized_model)")


def save_optimized(save_bin: str, model: str, out: str, level: int, *config: str) -> str:
    args = [save_bin, model, out, "--opt-level", str(level)]
    for entry in config:
        args += ["--config", entry]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"kiln_save_optimized_model failed ({proc.returncode}): {proc.stderr.strip()}"
    assert os.path.exists(out), f"no model written at {out}"
    return out


def onnxruntime_run(path: str, feeds: dict) -> list:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    # Optimisations off: the comparison is of the two models, not of onnxruntime's rewrites of them.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]).run(None, feeds)


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Constant folding may round differently from onnxruntime's kernels (kiln computes the folded values): a few
    ulps per folded value, so rtol 1e-5 with an absolute floor at 1e-6 of the output's peak."""
    assert_outputs_close(actual, expected, what, rtol=1e-5, atol_of_peak=1e-6)


def declared_opsets(model: onnx.ModelProto) -> dict[str, int]:
    return {op.domain: op.version for op in model.opset_import}


def random_feeds(path: str, shapes: dict[str, list[int]]) -> dict:
    """Seeded inputs of the given shapes: floats in [0, 1), token ids (int64 inputs) in [0, VOCAB)."""
    rng = np.random.default_rng(SEED)
    feeds = {}
    for inp in onnx.load(path, load_external_data=False).graph.input:
        if inp.name not in shapes:
            continue
        if inp.type.tensor_type.elem_type == TensorProto.INT64:
            feeds[inp.name] = rng.integers(0, build_models.VOCAB, size=shapes[inp.name], dtype=np.int64)
        else:
            feeds[inp.name] = rng.random(shapes[inp.name], dtype=np.float32)
    return feeds


RESNET_INPUT = {"input": [1, 3, 224, 224]}
MODELS = [
    ("resnet_cnn", lambda: build_models.build("resnet_cnn"), RESNET_INPUT),
    # Opset 11: the importer normalises Squeeze's axes attribute; the written model declares the newest opset.
    ("resnet_cnn_opset11", lambda: build_models.build("resnet_cnn_opset11"), RESNET_INPUT),
    ("bert_encoder", lambda: build_models.build("bert_encoder"), {"input_ids": [1, 16]}),
    ("ocr_cls", lambda: os.path.join(RAPIDOCR_MODELS, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), {"x": [1, 3, 48, 192]}),
]


@pytest.mark.parametrize("name,source,shapes", MODELS, ids=[m[0] for m in MODELS])
def test_basic_level_model_checks_and_runs_in_onnxruntime(save_bin, name, source, shapes, tmp_path):
    src = source()
    out = save_optimized(save_bin, src, str(tmp_path / f"{name}.opt.onnx"), 1)
    written = onnx.load(out)
    onnx.checker.check_model(written, full_check=True)
    assert declared_opsets(written)[""] == onnx.defs.onnx_opset_version()
    assert written.ir_version == onnx.IR_VERSION
    assert all(n.domain in ("", "ai.onnx") for n in written.graph.node)
    assert len(written.graph.node) <= len(onnx.load(src).graph.node)
    assert [o.name for o in written.graph.output] == [o.name for o in onnx.load(src).graph.output]
    feeds = random_feeds(src, shapes)
    for got, want, o in zip(onnxruntime_run(out, feeds), onnxruntime_run(src, feeds), written.graph.output):
        assert_close(got, want, f"{name}: output '{o.name}'")


def test_all_level_model_with_kiln_ops_checks_and_runs_in_kiln(save_bin, kiln_bin, tmp_path):
    src = build_models.build("resnet_cnn")
    out = save_optimized(save_bin, src, str(tmp_path / "resnet.opt.onnx"), 99)
    written = onnx.load(out)
    onnx.checker.check_model(written, full_check=True)
    assert declared_opsets(written).get("kiln") == 1
    assert any(n.domain == "kiln" and n.op_type == "FusedConv" for n in written.graph.node)
    feeds = random_feeds(src, RESNET_INPUT)
    args = []
    for name, array in feeds.items():
        args += ["--input", f"{name}={save_npy(tmp_path, name, array)}"]
    run = run_kiln(kiln_bin, "run", out, *args, "--save-outputs", str(tmp_path / "outputs"))
    assert run.returncode == 0, run.stderr
    got = np.load(tmp_path / "outputs" / "output_0.npy")
    (want,) = onnxruntime_run(src, feeds)
    # Fused convolutions sum in another order than onnxruntime's: the tolerance of test_models.py.
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * float(np.abs(want).max()))


def test_external_initializers_check_with_their_data_file(save_bin, tmp_path):
    src = build_models.build("bert_encoder")
    out = save_optimized(
        save_bin, src, str(tmp_path / "bert.opt.onnx"), 1,
        "session.optimized_model_external_initializers_file_name=bert.weights",
        "session.optimized_model_external_initializers_min_size_in_bytes=1024",
    )
    assert os.path.getsize(tmp_path / "bert.weights") > 1_000_000
    outer = onnx.load(out, load_external_data=False)
    external = [t for t in outer.graph.initializer if t.data_location == TensorProto.EXTERNAL]
    assert external, "no initializer went to the external data file"
    for t in external:
        keys = {e.key: e.value for e in t.external_data}
        assert keys["location"] == "bert.weights"
        assert int(keys["offset"]) % 4096 == 0
    onnx.checker.check_model(out, full_check=True)  # by path: reads and checks the external data
    feeds = random_feeds(src, {"input_ids": [1, 16]})
    for got, want in zip(onnxruntime_run(out, feeds), onnxruntime_run(src, feeds)):
        assert_close(got, want, "bert_encoder with external initializers")


# Every type ONNX stores in a TensorProto, as onnx.numpy_helper / onnx.helper make them (the packing oracle).
def _dtype_model() -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    rng = np.random.default_rng(SEED)
    values = rng.standard_normal(7).astype(np.float32) * 3
    arrays = {
        "f32": values,
        "f16": values.astype(np.float16),
        "f64": values.astype(np.float64),
        "c64": (values + 1j * values[::-1]).astype(np.complex64),
        "c128": (values + 1j * values[::-1]).astype(np.complex128),
        "i8": np.array([-128, -1, 0, 1, 127, 5, -7], np.int8),
        "u8": np.array([0, 1, 255, 7, 128, 5, 9], np.uint8),
        "i16": np.array([-32768, -1, 0, 1, 32767, 5, -7], np.int16),
        "u16": np.array([0, 1, 2, 65535, 7, 8, 9], np.uint16),
        "i32": np.array([-(2**31), -1, 0, 1, 2**31 - 1, 5, -7], np.int32),
        "u32": np.array([0, 1, 2**32 - 1, 7, 8, 9, 10], np.uint32),
        "i64": np.array([-(2**63), -1, 0, 1, 2**63 - 1, 5, -7], np.int64),
        "u64": np.array([0, 1, 2**63, 2**64 - 1, 3, 4, 5], np.uint64),
        "bool": np.array([True, False, True, True, False, False, True]),
        "str": np.array(["", "a", "zwei", "trois", "\u00e9t\u00e9", "x" * 40, "7"], dtype=object),
    }
    tensors = [numpy_helper.from_array(a, name) for name, a in arrays.items()]
    # Types numpy has no dtype for: onnx.helper packs them (bfloat16, float8 by rounding; int4/uint4/float4 two per
    # byte, low nibble first; int2/uint2 four per byte).
    packed = {
        "bf16": (TensorProto.BFLOAT16, values),
        "f8e4m3fn": (TensorProto.FLOAT8E4M3FN, values),
        "f8e4m3fnuz": (TensorProto.FLOAT8E4M3FNUZ, values),
        "f8e5m2": (TensorProto.FLOAT8E5M2, values),
        "f8e5m2fnuz": (TensorProto.FLOAT8E5M2FNUZ, values),
        "f8e8m0": (TensorProto.FLOAT8E8M0, np.abs(values) + 0.5),
        "i4": (TensorProto.INT4, np.array([-8, -1, 0, 1, 7, 3, -5])),
        "u4": (TensorProto.UINT4, np.array([0, 1, 15, 7, 8, 2, 9])),
        "f4": (TensorProto.FLOAT4E2M1, values),
        "i2": (TensorProto.INT2, np.array([-2, -1, 0, 1, 1, 0, -2])),
        "u2": (TensorProto.UINT2, np.array([0, 1, 2, 3, 3, 2, 1])),
    }
    for name, (dtype, vals) in packed.items():
        tensors.append(helper.make_tensor(name, dtype, [7], vals.tolist()))
    nodes = [helper.make_node("Identity", [t.name], [f"{t.name}_out"], name=f"id_{t.name}") for t in tensors]
    outputs = [helper.make_tensor_value_info(f"{t.name}_out", t.data_type, [7]) for t in tensors]
    graph = helper.make_graph(nodes, "dtypes", [], outputs, initializer=tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])
    onnx.checker.check_model(model, full_check=True)
    return model, {t.name: numpy_helper.to_array(t) for t in tensors}


def test_initializers_of_every_type_read_back_with_onnx(save_bin, tmp_path):
    model, expected = _dtype_model()
    src = str(tmp_path / "dtypes.onnx")
    onnx.save(model, src)
    out = save_optimized(save_bin, src, str(tmp_path / "dtypes.opt.onnx"), 0)  # level 0: nothing folded
    written = onnx.load(out)
    onnx.checker.check_model(written, full_check=True)
    got = {t.name: t for t in written.graph.initializer}
    assert sorted(got) == sorted(expected)
    for name, want in expected.items():
        t = got[name]
        assert t.HasField("raw_data") == (t.data_type != TensorProto.STRING), name
        actual = numpy_helper.to_array(t)
        assert actual.dtype == want.dtype and actual.shape == want.shape, name
        if want.dtype == object:
            assert actual.tolist() == want.tolist(), name
        else:
            assert actual.tobytes() == want.tobytes(), name


BACKEND_SAMPLE = [
    "node/test_if_seq",
    "node/test_if_opt",
    "node/test_loop13_seq",
    "node/test_loop16_seq_none",
    "node/test_scan9_sum",
    "node/test_scan_sum",
    "node/test_sequence_map_add_2_sequences",
    "node/test_range_float_type_positive_delta_expanded",
    "node/test_optional_get_element_sequence",
    "node/test_string_split_basic",
    "node/test_ai_onnx_ml_label_encoder_tensor_mapping",
    "node/test_cast_FLOAT_to_FLOAT8E4M3FN",
    "node/test_upsample_nearest",
    "node/test_clip_default_inbounds",
    "pytorch-converted/test_ConvTranspose2d",
]


def _read_data(path: str, type_proto: onnx.TypeProto):
    data = open(path, "rb").read()
    if type_proto.HasField("sequence_type"):
        seq = onnx.SequenceProto()
        seq.ParseFromString(data)
        return [numpy_helper.to_array(t) for t in seq.tensor_values]
    if type_proto.HasField("optional_type"):
        opt = onnx.OptionalProto()
        opt.ParseFromString(data)
        return numpy_helper.to_optional(opt)
    t = onnx.TensorProto()
    t.ParseFromString(data)
    return numpy_helper.to_array(t)


def _flatten(values) -> list:
    out = []
    for v in values:
        out.extend(_flatten(v) if isinstance(v, list) else [v])
    return out


@pytest.mark.parametrize("test", BACKEND_SAMPLE)
def test_backend_models_check_and_run_in_onnxruntime(save_bin, test, tmp_path):
    src = os.path.join(BACKEND_DATA, test, "model.onnx")
    out = save_optimized(save_bin, src, str(tmp_path / "written.onnx"), 1)
    written = onnx.load(out)
    onnx.checker.check_model(written, full_check=True)
    original = onnx.load(src)
    data_set = os.path.join(BACKEND_DATA, test, "test_data_set_0")
    initializers = {t.name for t in original.graph.initializer}
    inputs = [i for i in original.graph.input if i.name not in initializers]
    feeds = {}
    for k, inp in enumerate(inputs):
        path = os.path.join(data_set, f"input_{k}.pb")
        if os.path.exists(path):
            feeds[inp.name] = _read_data(path, inp.type)
    got, want = _flatten(onnxruntime_run(out, feeds)), _flatten(onnxruntime_run(src, feeds))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if w is None:
            assert g is None
        else:
            assert_close(np.asarray(g), np.asarray(w), test)
