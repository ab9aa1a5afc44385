#!/usr/bin/env python3
"""How far kiln's OpenVINO provider at reduced precision (int8 QDQ models, bf16 inference) strays from FP32.

    .venv/bin/python bench/accuracy.py [--inputs 1000] [--head-directions 16] [--batch 50] [--threads 2]
                                       [--kiln PATH] [--only resnet50,bert_base]

The weights are random (bench/models/build.py), so this is a consistency check of the reduced-precision paths, not
an accuracy measurement. Exit status 1 when an acceptance threshold is missed.

ResNet-50: `--inputs` generated images through kiln-OV FP32, kiln-OV bf16 (load_config INFERENCE_PRECISION_HINT=
bf16) on the same model and kiln-OV on its int8 QDQ version; top-1 agreement of bf16 and int8 with FP32 (acceptance:
>= 99% bf16, >= 97% int8). The benchmark model itself cannot be used as it is, and the tool does not pretend
otherwise: a deep random-weight ResNet with a random classifier maps every input to nearly the same logits (on
standard-normal images one class for all 1000 inputs, so raw agreement is 100% whatever the precision does), and the
little that depends on the input is spread over 1000 random directions, where any rounding flips the top class.
The tool therefore checks a model with the benchmark's architecture and backbone weights and a fitted classifier
head, built here and stated as such:
  - images with structure, as photographs have: a smooth random field (a 4x4 grid of normal values, bilinearly
    upsampled), a random offset per channel, and white noise of 0.3 (ImageFeed below; seeded);
  - the head: FP32 backbone features of 256 such images, their mean and top-N principal directions (N =
    --head-directions, default 16); classes 2i and 2i+1 are +/- the projection on direction i, scaled to unit
    variance and then to a logit spread of 4; the other 1000 - 2N classes get weight 0 and bias -100 (never chosen);
  - the int8 version: bench/quantize.py's resnet50 recipe (QDQ, uint8 activations, per-channel int8 weights,
    Percentile 99.999 calibration, the classifier GlobalAveragePool/Flatten/Gemm left float), on 64 images of that
    distribution (another seed).
The output states how many distinct classes FP32 predicts (a vacuous check shows) and the median margin between the
top two logits. Even so the random backbone stays a hard case for int8: most of its features' magnitude is the same
for every input (the input-dependent part is about a quarter of it), and uint8 activation steps are set by the
whole range, so int8's error is large against what tells the classes apart. The fewer and stronger the directions
the head uses, the higher the agreement (the README in bench/ gives the figures).

BERT-base: 32 generated sequences through FP32 and bf16 (and int8 on bert_base_int8_dyn); the max abs error of each
output against FP32.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(BENCH, "models"))

import build  # noqa: E402
import quantize  # noqa: E402

SEED = 424242  # neither the benchmark inputs' nor the calibration set's
THRESHOLDS = {"bf16": 0.99, "int8": 0.97}


def provider_options(threads: int, precision: str, scratch: str) -> str:
    """kiln -i value: FP32 pinned, or bf16 through load_config (as onnxruntime-openvino takes it)."""
    options = f"device_type|CPU num_of_threads|{threads}"
    if precision == "bf16":
        path = os.path.join(scratch, "bf16.json")
        with open(path, "w") as f:
            json.dump({"CPU": {"INFERENCE_PRECISION_HINT": "bf16"}}, f)
        return options + f" load_config|{path}"
    return options + " precision|FP32"


def run_kiln(kiln: str, model: str, feeds: dict[str, np.ndarray], options: str, threads: int,
             scratch: str) -> list[np.ndarray]:
    """kiln run on the OpenVINO provider; the outputs in order."""
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        args = [kiln, "run", model, "--save-outputs", os.path.join(tmp, "out"), "--threads", str(threads),
                "-e", "openvino", "-i", options]
        for name, value in feeds.items():
            path = os.path.join(tmp, f"{name}.npy")
            np.save(path, value)
            args += ["--input", f"{name}={path}"]
        proc = subprocess.run(args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"kiln run failed on {model}: {proc.stderr.strip()}")
        out = os.path.join(tmp, "out")
        count = len([f for f in os.listdir(out) if f.startswith("output_")])
        return [np.load(os.path.join(out, f"output_{i}.npy")) for i in range(count)]


def run_batches(kiln, model, batches, options, threads, scratch) -> list[np.ndarray]:
    results = [run_kiln(kiln, model, feeds, options, threads, scratch) for feeds in batches]
    return [np.concatenate([r[i] for r in results]) for i in range(len(results[0]))]


def generated(family: str, count: int, batch: int) -> list[dict[str, np.ndarray]]:
    """`count` inputs of the family's own distribution (build.Input.generate), in batches."""
    spec, _ = build.VARIANTS[family]
    rng = np.random.default_rng(SEED)
    return [{i.name: i.generate(rng, min(batch, count - start)) for i in spec.inputs}
            for start in range(0, count, batch)]


class ImageFeed:
    """Structured images [n, 3, 224, 224]: smooth field + per-channel offset + white noise 0.3."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def __call__(self, n: int) -> np.ndarray:
        grid = self.rng.standard_normal((n, 3, 4, 4)).astype(np.float32)
        xs = np.linspace(0, 3, 224)
        lo = np.floor(xs).astype(int)
        hi = np.minimum(lo + 1, 3)
        f = (xs - lo).astype(np.float32)
        rows = grid[:, :, lo, :] * (1 - f)[None, None, :, None] + grid[:, :, hi, :] * f[None, None, :, None]
        smooth = rows[:, :, :, lo] * (1 - f) + rows[:, :, :, hi] * f
        offset = self.rng.standard_normal((n, 3, 1, 1)).astype(np.float32)
        noise = 0.3 * self.rng.standard_normal((n, 3, 224, 224)).astype(np.float32)
        return (smooth + offset + noise).astype(np.float32)


HEAD_SPREAD = 4.0
FIT_IMAGES, CALIBRATION_IMAGES = 256, 64


def fitted_resnet50(scratch: str, directions_used: int, log) -> tuple[str, str]:
    """(FP32, int8) paths of ResNet-50 with the benchmark's backbone and the fitted head (module docstring)."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    model = onnx.load(build.build("resnet50_dyn", log=lambda line: None))
    head = [n for n in model.graph.node if n.op_type == "Gemm"][-1]
    features = head.input[0]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.append(helper.make_tensor_value_info(features, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = ImageFeed(SEED + 1)
    fitted = np.concatenate([session.run([features], {"input": feed(32)})[0] for _ in range(FIT_IMAGES // 32)])
    mean = fitted.mean(0)
    _, sigma, directions = np.linalg.svd(fitted - mean, full_matrices=False)
    directions = directions[:directions_used] / (sigma[:directions_used, None] / np.sqrt(len(fitted)))
    weights = np.zeros((1000, fitted.shape[1]), np.float32)
    weights[0 : 2 * directions_used : 2] = HEAD_SPREAD * directions
    weights[1 : 2 * directions_used : 2] = -HEAD_SPREAD * directions
    bias = -weights @ mean
    bias[2 * directions_used :] = -100
    for tensor in model.graph.initializer:
        if tensor.name == head.input[1]:
            tensor.CopyFrom(numpy_helper.from_array(weights, tensor.name))
        elif tensor.name == head.input[2]:
            tensor.CopyFrom(numpy_helper.from_array(bias.astype(np.float32), tensor.name))
    fp32_path = os.path.join(scratch, "resnet50_fitted.onnx")
    onnx.save(model, fp32_path)
    int8_path = os.path.join(scratch, "resnet50_fitted_int8.onnx")
    calibration = ImageFeed(SEED + 2)
    recipe = quantize.RECIPES["resnet50"]
    quantize.quantize_model(fp32_path, int8_path, [{"input": calibration(16)} for _ in range(CALIBRATION_IMAGES // 16)],
                            recipe.op_types, recipe.percentile, recipe.float_ops)
    log(f"  (fitted the head on {FIT_IMAGES} images, quantized with {CALIBRATION_IMAGES} calibration images, "
        f"{'MinMax' if recipe.percentile is None else f'Percentile {recipe.percentile:g}'} calibration, left float: "
        f"{', '.join(recipe.float_ops) or 'nothing'})")
    return fp32_path, int8_path


def resnet50(args, scratch: str) -> bool:
    print(f"ResNet-50 (backbone of bench/models resnet50, fitted head), {args.inputs} generated structured images; "
          "random weights: a consistency check, not accuracy", flush=True)
    directions_used = args.head_directions
    fp32_model, int8_model = fitted_resnet50(scratch, directions_used, print)
    feed = ImageFeed(SEED)
    batches = [{"input": feed(min(args.batch, args.inputs - start))} for start in range(0, args.inputs, args.batch)]
    fp32_options = provider_options(args.threads, "fp32", scratch)
    logits = {
        "fp32": run_batches(args.kiln, fp32_model, batches, fp32_options, args.threads, scratch)[0],
        "bf16": run_batches(args.kiln, fp32_model, batches, provider_options(args.threads, "bf16", scratch),
                            args.threads, scratch)[0],
        "int8": run_batches(args.kiln, int8_model, batches, fp32_options, args.threads, scratch)[0],
    }
    reference = logits["fp32"]
    top1 = reference.argmax(1)
    live = reference[:, : 2 * directions_used]
    ordered = np.sort(live, 1)
    margin = ordered[:, -1] - ordered[:, -2]
    print(f"  FP32: {len(np.unique(top1))} distinct top-1 classes of {2 * directions_used}; median margin between "
          f"the top two logits {np.median(margin):.3g} (logit spread {HEAD_SPREAD:g}), {np.mean(margin < 0.05):.1%} "
          "of the inputs within 0.05")
    ok = True
    for variant in ("bf16", "int8"):
        got = logits[variant]
        agreement = float(np.mean(got.argmax(1) == top1))
        error = np.abs(got[:, : 2 * directions_used] - live)
        passed = agreement >= THRESHOLDS[variant]
        ok &= passed
        flipped = got.argmax(1) != top1
        flips = f"; FP32 margin of the changed inputs: median {np.median(margin[flipped]):.3g}" if flipped.any() else ""
        print(f"  {variant}: top-1 agreement with FP32 {agreement:.1%} ({'pass' if passed else 'FAIL'}, needs >= "
              f"{THRESHOLDS[variant]:.0%}); logits max abs error {error.max():.3g}, mean {error.mean():.3g}{flips}",
              flush=True)
    return ok


def bert_base(args, scratch: str) -> bool:
    fp32_model = build.build("bert_base_dyn", log=lambda line: None)
    int8_model = quantize.build_variant("bert_base_int8_dyn", log=lambda line: None)
    batches = generated("bert_base", args.sequences, 8)
    fp32_options = provider_options(args.threads, "fp32", scratch)
    outputs = {
        "fp32": run_batches(args.kiln, fp32_model, batches, fp32_options, args.threads, scratch),
        "bf16": run_batches(args.kiln, fp32_model, batches, provider_options(args.threads, "bf16", scratch),
                            args.threads, scratch),
        "int8": run_batches(args.kiln, int8_model, batches, fp32_options, args.threads, scratch),
    }
    names = ("last_hidden_state", "pooler_output")
    print(f"BERT-base, {args.sequences} generated sequences of {build.TOKENS} tokens (random weights)", flush=True)
    for variant in ("bf16", "int8"):
        cells = []
        for name, got, want in zip(names, outputs[variant], outputs["fp32"]):
            cells.append(f"{name} max abs error {np.abs(got - want).max():.3g} (rms {np.sqrt(np.mean(want ** 2)):.3g})")
        print(f"  {variant}: " + ", ".join(cells))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1000, help="ResNet-50 inputs (default 1000)")
    parser.add_argument("--sequences", type=int, default=32, help="BERT-base sequences (default 32)")
    parser.add_argument("--head-directions", type=int, default=16,
                        help="ResNet-50 head: feature directions it uses, 2 classes each (default 16)")
    parser.add_argument("--batch", type=int, default=50, help="ResNet-50 inputs per kiln run (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="OpenVINO threads (default 2)")
    parser.add_argument("--only", default="resnet50,bert_base", help="resnet50, bert_base or both")
    parser.add_argument("--kiln", default=os.path.join(ROOT, "build", "tools", "kiln", "kiln"), help="kiln binary")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="kiln-accuracy-") as scratch:
        for name in (s.strip() for s in args.only.split(",") if s.strip()):
            ok &= {"resnet50": resnet50, "bert_base": bert_base}[name](args, scratch)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
