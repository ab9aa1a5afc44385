#!/usr/bin/env python3
"""Static int8 QDQ versions of the benchmark models, calibrated on a locally generated (seeded) data set.

    .venv/bin/python bench/quantize.py                       # resnet50 and bert_base
    .venv/bin/python bench/quantize.py --only resnet50 [--calibration 64] [--force]

For each FAMILY it quantizes FAMILY_dyn (bench/models/build.py) with onnxruntime.quantization.quantize_static and
writes two variants in the layout of build.py: FAMILY_int8_dyn (dynamic batch) and FAMILY_int8 (the same graph,
weights and scales with the batch fixed to 1), each in bench/models/.cache/NAME/ with model.onnx, inputs/ (the FP32
model's inputs, so that every variant gets the same data) and test_data_set_0/ (onnxruntime CPU's outputs of the
quantized model).

The format is the one OpenVINO turns into int8 kernels: QDQ (QuantizeLinear/DequantizeLinear pairs around the float
ops), uint8 activations (asymmetric, with a zero point) and int8 weights (symmetric, zero point 0), per output
channel for Conv and MatMul weights. ResNet-50 quantizes every op type onnxruntime knows (Conv, Add, MaxPool...)
except its classifier (GlobalAveragePool, Flatten, Gemm: float, as CNN int8 recipes often keep the last layer),
with Percentile calibration (99.999); MobileNetV2 every op type, MinMax calibration; BERT-base only its MatMuls
(the attention's MatMuls between activations too), MinMax, as transformer int8 recipes do: LayerNormalization,
Softmax and GELU stay float.

Calibration inputs come from the model's own input distribution (build.Input.generate: images standard normal,
token ids uniform over the vocabulary, attention mask ones) with a seed different from the benchmark inputs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass

import numpy as np
import onnx

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BENCH, "models"))

import build  # noqa: E402

SUFFIX = "_int8"
CALIBRATION_SEED = 20261126  # not the benchmark inputs' seed (build.make_inputs)


@dataclass(frozen=True)
class Recipe:
    family: str
    op_types: tuple[str, ...] | None  # None: every op type onnxruntime.quantization knows
    calibration: int  # inputs in the calibration set
    batch: int  # calibration batch
    percentile: float | None = None  # Percentile calibration at this percentile; None: MinMax
    float_ops: tuple[str, ...] = ()  # op types left float (not quantized)


# ResNet-50's classifier (GlobalAveragePool, Flatten, Gemm) stays float, as the first/last layers of CNN int8 recipes
# often do, and activation ranges come from the 99.999th percentile of |x| rather than the extremes: on
# bench/accuracy.py's check these two raise int8 top-1 agreement (README); the convolutions are all int8 as before.
CLASSIFIER = ("GlobalAveragePool", "Flatten", "Gemm")
RECIPES = {
    "resnet50": Recipe("resnet50", None, 64, 16, percentile=99.999, float_ops=CLASSIFIER),
    "mobilenet_v2": Recipe("mobilenet_v2", None, 64, 16),
    "bert_base": Recipe("bert_base", ("MatMul",), 32, 8),
}
DEFAULT = ("resnet50", "bert_base")

# Quantized variant -> (FP32 variant it comes from, batch): resnet50_int8 -> (resnet50, 1), ..._int8_dyn -> batch.
VARIANTS = {}
for _family in RECIPES:
    VARIANTS[_family + SUFFIX] = (_family, 1)
    VARIANTS[_family + SUFFIX + build.DYNAMIC_SUFFIX] = (_family + build.DYNAMIC_SUFFIX, "batch")


def calibration_set(family: str, count: int, batch: int) -> list[dict[str, np.ndarray]]:
    """`count` inputs of FAMILY's distribution in batches of `batch`, seeded."""
    spec, _ = build.VARIANTS[family]
    rng = np.random.default_rng(CALIBRATION_SEED)
    return [{i.name: i.generate(rng, batch) for i in spec.inputs} for _ in range(count // batch)]


def set_batch(model: onnx.ModelProto, batch: int) -> onnx.ModelProto:
    """The model with its inputs' and outputs' first dim fixed to `batch` (the graph itself is batch-agnostic)."""
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    fixed.graph.name = fixed.graph.name.replace(build.DYNAMIC_SUFFIX, "")
    for value in list(fixed.graph.input) + list(fixed.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].Clear()
            dims[0].dim_value = batch
    del fixed.graph.value_info[:]
    return fixed


def quantize_model(source: str, out_path: str, batches: list[dict[str, np.ndarray]],
                   op_types: tuple[str, ...] | None = None, percentile: float | None = None,
                   float_ops: tuple[str, ...] = ()) -> None:
    """quantize_static of the model at `source` into `out_path`, calibrated on `batches`, in the format above;
    Percentile calibration when `percentile` is given, nodes of the `float_ops` types left float."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(batches)

        def get_next(self):
            return next(self.it, None)

    extra_options = {"ActivationSymmetric": False, "WeightSymmetric": True}
    if percentile is not None:
        extra_options["CalibPercentile"] = percentile
    excluded, named = [], None
    if float_ops:  # nodes_to_exclude goes by name: unnamed nodes get one (an empty name would match them all)
        model = onnx.load(source)
        for index, node in enumerate(model.graph.node):
            node.name = node.name or f"{node.op_type}_{index}"
        excluded = [n.name for n in model.graph.node if n.op_type in float_ops]
        source = named = f"{out_path}.named.onnx"
        onnx.save(model, named)
    try:
        quantize_static(
            source, out_path, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8, per_channel=True,
            calibrate_method=CalibrationMethod.MinMax if percentile is None else CalibrationMethod.Percentile,
            op_types_to_quantize=list(op_types) if op_types else None, nodes_to_exclude=excluded,
            extra_options=extra_options,
        )
    finally:
        if named and os.path.exists(named):
            os.remove(named)


def quantize(family: str, out_path: str, calibration: int | None = None, log=print) -> None:
    recipe = RECIPES[family]
    count = calibration or recipe.calibration
    batches = calibration_set(family, count, min(recipe.batch, count))
    source = build.build(family + build.DYNAMIC_SUFFIX, log=log)
    start = time.perf_counter()
    quantize_model(source, out_path, batches, recipe.op_types, recipe.percentile, recipe.float_ops)
    log(f"{family}: quantized with {len(batches) * len(next(iter(batches[0].values())))} calibration inputs in "
        f"{time.perf_counter() - start:.1f} s")


def is_current(name: str) -> bool:
    path = build.model_path(name)
    source = build.model_path(VARIANTS[name][0])
    return (os.path.exists(path) and os.path.exists(source) and os.path.getmtime(path) >= os.path.getmtime(source)
            and os.path.getmtime(path) >= os.path.getmtime(os.path.abspath(__file__)))


def write_variant(name: str, model: onnx.ModelProto, log=print) -> str:
    """NAME/model.onnx, inputs/ and test_data_set_0/ as build.build writes them; model.onnx last."""
    source, _ = VARIANTS[name]
    build.build(source, log=log)
    path = build.model_path(name)
    for directory in (build.inputs_dir(name), build.test_data_dir(name)):
        os.makedirs(directory, exist_ok=True)
    inputs = build.load_inputs(source)
    for input_name in inputs:
        shutil.copy(os.path.join(build.inputs_dir(source), f"{input_name}.npy"), build.inputs_dir(name))
    build.save_tensors(build.test_data_dir(name), "input", inputs)
    tmp = f"{path}.{os.getpid()}.tmp"
    onnx.checker.check_model(model)
    onnx.save_model(model, tmp)
    outputs = build.run_onnxruntime(tmp, inputs)
    build.save_tensors(build.test_data_dir(name), "output", outputs)
    os.replace(tmp, path)
    counts = {}
    for node in model.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            counts[node.op_type] = counts.get(node.op_type, 0) + 1
    log(f"{name}: {os.path.getsize(path) / 1e6:.1f} MB, {counts.get('QuantizeLinear', 0)} QuantizeLinear, "
        f"{counts.get('DequantizeLinear', 0)} DequantizeLinear")
    return path


def build_variant(name: str, force: bool = False, calibration: int | None = None, log=print) -> str:
    """Makes quantized variant `name` (and its sibling of the other batch) unless current; returns its path."""
    if not force and is_current(name):
        log(f"{name}: current")
        return build.model_path(name)
    family = name[: name.index(SUFFIX)]
    dynamic = family + SUFFIX + build.DYNAMIC_SUFFIX
    os.makedirs(build.model_dir(dynamic), exist_ok=True)
    quantized = os.path.join(build.model_dir(dynamic), f"quantized.{os.getpid()}.onnx")
    try:
        quantize(family, quantized, calibration, log)
        model = onnx.load(quantized)
    finally:
        if os.path.exists(quantized):
            os.remove(quantized)
    write_variant(dynamic, model, log)
    write_variant(family + SUFFIX, set_batch(model, 1), log)
    return build.model_path(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(DEFAULT), help=f"families, of: {', '.join(RECIPES)}")
    parser.add_argument("--calibration", type=int, help="calibration inputs (default per model)")
    parser.add_argument("--force", action="store_true", help="quantize even when current")
    args = parser.parse_args(argv)
    for family in (s.strip() for s in args.only.split(",") if s.strip()):
        if family not in RECIPES:
            parser.error(f"unknown family '{family}'; one of: {', '.join(RECIPES)}")
        build_variant(family + SUFFIX, args.force, args.calibration)
    return 0


if __name__ == "__main__":
    sys.exit(main())
