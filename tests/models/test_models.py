"""End-to-end model tests: kiln's CLI (`kiln run ... --save-outputs`) against onnxruntime (CPU provider) and
onnx.reference.ReferenceEvaluator, on the models of build_models.py and the three rapidocr models.

Inputs are seeded: floats uniform in [0, 1), token ids uniform in [0, VOCAB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
from onnx.reference.ops.op_batch_normalization import _batchnorm_test_mode

import build_models
from conftest import RAPIDOCR_MODELS, assert_outputs_close, parse_printed_outputs, run_kiln, save_npy

SEED = 1234


@dataclass
class Case:
    id: str
    model: str  # a build_models.MODELS name, or a file name in the rapidocr models folder
    inputs: dict[str, tuple[str, list[int]]]  # input name -> (dtype, shape)
    # Set where onnx.reference takes more than 60 s on 2 cores (compare with onnxruntime only). None is now: measured
    # 0.5 s for resnet_cnn, 1.9 s for resnet50, 1.2 s for ocr_rec, 2 s for ocr_det.
    reference_too_slow: bool = False
    # Absolute tolerance floor, for outputs whose tiny values carry no information (see ocr_det).
    atol_floor: float = 0.0

    @property
    def is_rapidocr(self) -> bool:
        return self.model.endswith(".onnx")


def ocr_det_logits_model() -> onnx.ModelProto:
    """The rapidocr detector with the sigmoid's input as a second graph output, "det_logits"."""
    model = onnx.load(os.path.join(RAPIDOCR_MODELS, "ch_PP-OCRv4_det_infer.onnx"))
    (sigmoid,) = [n for n in model.graph.node if n.op_type == "Sigmoid"]
    model.graph.node.append(onnx.helper.make_node("Identity", [sigmoid.input[0]], ["det_logits"], name="det_logits"))
    logits = onnx.helper.make_tensor_value_info("det_logits", onnx.TensorProto.FLOAT, ["N", 1, "H", "W"])
    model.graph.output.append(logits)
    onnx.checker.check_model(model)
    return model


build_models.MODELS.setdefault("ocr_det_logits", ocr_det_logits_model)


CASES = [
    Case("resnet_cnn", "resnet_cnn", {"input": ("float32", [1, 3, 224, 224])}),
    Case("resnet_cnn_opset11", "resnet_cnn_opset11", {"input": ("float32", [1, 3, 224, 224])}),
    Case("resnet50", "resnet50", {"input": ("float32", [1, 3, 224, 224])}),
    Case("bert_encoder_seq16", "bert_encoder", {"input_ids": ("int64", [1, 16])}),
    Case("bert_encoder_seq77", "bert_encoder", {"input_ids": ("int64", [1, 77])}),  # dynamic "seq", odd length
    Case("bert_encoder_decomposed_ln_seq16", "bert_encoder_decomposed_ln", {"input_ids": ("int64", [1, 16])}),
    Case("bert_encoder_decomposed_ln_seq1", "bert_encoder_decomposed_ln", {"input_ids": ("int64", [1, 1])}),
    # On [0, 1) noise the detector's probability map is ~1e-9..1e-4; onnxruntime's sigmoid returns 0 where the
    # reference returns 1.7e-9, and 8e-8 where it returns 2.1e-7. Probabilities below 1e-6 mean "no text" (the
    # detector thresholds at 0.3), so they compare with atol 1e-6; the logits variant checks the same network
    # tightly before the sigmoid (its atol, 1e-5 * max|logit| ~ 4e-4, is above the floor).
    Case("ocr_det", "ch_PP-OCRv4_det_infer.onnx", {"x": ("float32", [1, 3, 320, 320])}, atol_floor=1e-6),
    Case("ocr_det_logits", "ocr_det_logits", {"x": ("float32", [1, 3, 320, 320])}, atol_floor=1e-6),
    Case("ocr_rec", "ch_PP-OCRv4_rec_infer.onnx", {"x": ("float32", [1, 3, 48, 320])}),
    Case("ocr_cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", {"x": ("float32", [1, 3, 48, 192])}),
]
CASE_IDS = [c.id for c in CASES]
# numpy dtype -> the name kiln prints (ONNX's).
ONNX_DTYPE_NAMES = {"float32": "float", "float64": "double", "float16": "float16", "int64": "int64", "int32": "int32",
                    "int8": "int8", "uint8": "uint8", "bool": "bool"}


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str, atol_floor: float = 0.0) -> None:
    """Tolerance for two float32 implementations of the same model.

    rtol 1e-4: kernels that sum in a different order (blocked GEMM, im2col or direct convolution, BatchNorm folded
    into the convolution) differ by a few ulps per layer; 1e-4 leaves room for ~50 layers of that.
    atol 1e-5 * max|expected|: an element near zero (cancellation in a residual sum, a centred LayerNorm value)
    carries the absolute rounding error of the tensor's whole magnitude, not its own, so the absolute tolerance
    follows the output's peak; a fixed atol would be vacuous for the detector's ~1e-5 probability map and too
    strict for ResNet-50's logits of ~10.
    """
    assert_outputs_close(actual, expected, what, rtol=1e-4, atol_of_peak=1e-5, atol_floor=atol_floor)


def model_path(case: Case) -> str:
    if case.is_rapidocr:
        path = os.path.join(RAPIDOCR_MODELS, case.model)
        assert os.path.exists(path), f"rapidocr model missing: {path} (is rapidocr-onnxruntime installed in .venv?)"
        return path
    return build_models.build(case.model)


def make_inputs(case: Case) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    feeds = {}
    for name, (dtype, shape) in case.inputs.items():
        if dtype == "int64":
            feeds[name] = rng.integers(0, build_models.VOCAB, size=shape, dtype=np.int64)
        else:
            feeds[name] = rng.random(shape, dtype=np.float32)
    return feeds


class _BatchNormalizationInference(OpRun):
    """onnx.reference's BatchNormalization-9 fills in momentum's default (0.9) and then normalises with the batch's
    own statistics (training behaviour), which BatchNormalization-9..13 never does; the opset-11/12 models here
    (resnet_cnn_opset11, the rapidocr models) need the inference formula, which this is."""

    op_domain = ""
    op_name = "BatchNormalization"

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None, spatial=None):
        return (_batchnorm_test_mode(x, scale, bias, mean, var, epsilon=epsilon).astype(x.dtype),)


_BatchNormalizationInference.__name__ = "BatchNormalization"


@dataclass
class KilnResult:
    outputs: list[np.ndarray]
    stdout: str


_kiln_cache: dict[str, KilnResult] = {}


# `kiln run` flags per provider configuration.
PROVIDER_FLAGS = {"cpu": [], "openvino": ["-e", "openvino", "-i", "device_type|CPU precision|FP32"]}


def kiln_outputs(kiln_bin: str, case: Case, tmp_dir, provider: str = "cpu") -> KilnResult:
    """Runs `kiln run` once per case and provider (shared by the onnxruntime and reference tests)."""
    key = f"{case.id}/{provider}"
    if key in _kiln_cache:
        return _kiln_cache[key]
    os.makedirs(tmp_dir, exist_ok=True)
    args = [model_path(case)]
    for name, array in make_inputs(case).items():
        args += ["--input", f"{name}={save_npy(tmp_dir, name, array)}"]
    out_dir = os.path.join(str(tmp_dir), "outputs")
    run = run_kiln(kiln_bin, "run", *args, *PROVIDER_FLAGS[provider], "--save-outputs", out_dir)
    assert run.returncode == 0, f"kiln run failed ({run.returncode}): {run.stderr.strip()}\n{run.stdout}"
    n_outputs = len(onnx.load(args[0], load_external_data=False).graph.output)
    outputs = []
    for i in range(n_outputs):
        path = os.path.join(out_dir, f"output_{i}.npy")
        assert os.path.exists(path), f"kiln run --save-outputs wrote no {path}"
        outputs.append(np.load(path))
    assert not os.path.exists(os.path.join(out_dir, f"output_{n_outputs}.npy")), "more output files than outputs"
    _kiln_cache[key] = KilnResult(outputs, run.stdout)
    return _kiln_cache[key]


def onnxruntime_outputs(case: Case) -> tuple[list[str], list[np.ndarray]]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(model_path(case), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return names, session.run(None, make_inputs(case))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_onnxruntime(kiln_bin, case, tmp_path):
    kiln = kiln_outputs(kiln_bin, case, tmp_path)
    names, expected = onnxruntime_outputs(case)
    assert len(kiln.outputs) == len(expected)
    for name, got, want in zip(names, kiln.outputs, expected):
        assert_close(got, want, f"{case.id}: output '{name}' vs onnxruntime", case.atol_floor)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_openvino_matches_onnxruntime(kiln_bin, case, tmp_path):
    """The OpenVINO provider on OpenVINO's CPU device at FP32 against onnxruntime's CPU provider, within 1e-3 (the
    OpenVINO CPU plugin's own kernels round differently from onnxruntime's); every node must run on OpenVINO."""
    kiln = kiln_outputs(kiln_bin, case, tmp_path, "openvino")
    assert "on OpenVINOExecutionProvider" in kiln.stdout and "on CPUExecutionProvider" not in kiln.stdout, kiln.stdout
    names, expected = onnxruntime_outputs(case)
    assert len(kiln.outputs) == len(expected)
    for name, got, want in zip(names, kiln.outputs, expected):
        assert_outputs_close(got, want, f"{case.id}: output '{name}' (OpenVINO) vs onnxruntime", rtol=1e-3,
                             atol_of_peak=1e-4, atol_floor=case.atol_floor)


@pytest.mark.parametrize("case", [c for c in CASES if not c.reference_too_slow],
                         ids=[c.id for c in CASES if not c.reference_too_slow])
def test_matches_onnx_reference(kiln_bin, case, tmp_path):
    kiln = kiln_outputs(kiln_bin, case, tmp_path)
    model = onnx.load(model_path(case))
    expected = ReferenceEvaluator(model, new_ops=[_BatchNormalizationInference]).run(None, make_inputs(case))
    assert len(kiln.outputs) == len(expected)
    for out, got, want in zip(model.graph.output, kiln.outputs, expected):
        assert_close(got, np.asarray(want), f"{case.id}: output '{out.name}' vs onnx.reference", case.atol_floor)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_printed_outputs(kiln_bin, case, tmp_path):
    """`kiln run` prints each output's name, dtype and shape in graph order, and top values that are the data's."""
    kiln = kiln_outputs(kiln_bin, case, tmp_path)
    names, expected = onnxruntime_outputs(case)
    printed = parse_printed_outputs(kiln.stdout)
    assert [p.name for p in printed] == names, kiln.stdout
    for p, want, got in zip(printed, expected, kiln.outputs):
        assert p.dtype == ONNX_DTYPE_NAMES[want.dtype.name], f"printed dtype of '{p.name}': {p.dtype}"
        assert p.shape == list(want.shape), f"printed shape of '{p.name}': {p.shape}, expected {list(want.shape)}"
        assert p.top, f"no top values printed for '{p.name}':\n{kiln.stdout}"
        assert np.isclose(p.top[0][1], float(got.max()), rtol=1e-5, atol=1e-30), f"top-1 of '{p.name}' is not the max"
        for index, value in p.top:
            assert np.isclose(got[tuple(index)], value, rtol=1e-5, atol=1e-30), f"'{p.name}'{index} != {value}"


def test_opset11_model_matches_opset17(kiln_bin, tmp_path):
    """resnet_cnn_opset11 and resnet_cnn have the same weights; only the importer's path differs."""
    by_id = {c.id: c for c in CASES}
    a = kiln_outputs(kiln_bin, by_id["resnet_cnn"], tmp_path / "a").outputs[0]
    b = kiln_outputs(kiln_bin, by_id["resnet_cnn_opset11"], tmp_path / "b").outputs[0]
    assert_close(b, a, "resnet_cnn_opset11 vs resnet_cnn")


@pytest.mark.parametrize("model,dims,expected", [
    ("resnet_cnn", [], {"logits": [1, 1000]}),
    ("bert_encoder", [], {"last_hidden_state": [1, 1, 256], "pooler_output": [1, 256]}),  # symbolic seq -> 1
    ("bert_encoder", ["--dim", "seq=9"], {"last_hidden_state": [1, 9, 256], "pooler_output": [1, 256]}),
])
def test_random_inputs(kiln_bin, model, dims, expected):
    """Without --input, kiln run makes random inputs (symbolic dims 1 or --dim) and reports the outputs' shapes."""
    run = run_kiln(kiln_bin, "run", build_models.build(model), *dims)
    assert run.returncode == 0, run.stderr
    printed = parse_printed_outputs(run.stdout)
    assert {p.name: p.shape for p in printed} == expected, run.stdout
    assert all(p.dtype == "float" for p in printed), run.stdout
