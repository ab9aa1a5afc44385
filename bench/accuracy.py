#!/usr/bin/env python3
"""How far kiln's OpenVINO provider at reduced precision (int8 QDQ models, bf16 inference) strays from FP32.

    .venv/bin/python bench/accuracy.py [--inputs 1000] [--head-directions 16] [--backbone calibrated|raw]
                                       [--branch-std 0.1] [--seed N] [--batch 50] [--threads 2] [--kiln PATH]
                                       [--only resnet50,bert_base]

The weights are random (bench/models/build.py), so this is a consistency check of the reduced-precision paths, not
an accuracy measurement. Exit status 1 when an acceptance threshold is missed.

ResNet-50: `--inputs` generated images through kiln-OV FP32, kiln-OV bf16 (load_config INFERENCE_PRECISION_HINT=
bf16) on the same model and kiln-OV on its int8 QDQ version; top-1 agreement of bf16 and int8 with FP32 (acceptance:
>= 99% bf16, >= 97% int8). The benchmark model itself cannot be used as it is, and the tool does not pretend
otherwise: a deep random-weight ResNet with a random classifier maps every input to nearly the same logits (on
standard-normal images one class for all 1000 inputs, so raw agreement is 100% whatever the precision does), and the
little that depends on the input is spread over 1000 random directions, where any rounding flips the top class.
The tool therefore checks a model with the benchmark's architecture, its backbone weights calibrated to look trained
(or, with --backbone raw, as they are) and a fitted classifier head, built here and stated as such:
  - images with structure, as photographs have: a smooth random field (a 4x4 grid of normal values, bilinearly
    upsampled), a random offset per channel, and white noise of 0.3 (ImageFeed below; seeded);
  - the backbone (default --backbone calibrated): calibrated by a data-dependent initialisation (as LSUV and
    batch-norm recalibration do; no training): in topological order each Conv gets W <- W / std, b <- (b - mean) /
    std, so that its output channels have mean 0 and std 1 on 64 such images (their own seed), measured with the
    Convs before it already rescaled, as batch norm leaves a trained network's pre-activations; a channel constant on
    the images keeps its weights and becomes 0; the last Conv of each residual branch gets std --branch-std (default
    0.1) instead of 1, as zero-init-residual schemes start the branches small. --backbone raw keeps bench/models'
    weights as they are;
  - the head: FP32 backbone features of 256 such images, their mean and top-N principal directions (N =
    --head-directions, default 16); classes 2i and 2i+1 are +/- the projection on direction i, scaled to unit
    variance and then to a logit spread of 4; the other 1000 - 2N classes get weight 0 and bias -100 (never chosen);
  - the int8 version: bench/quantize.py's resnet50 recipe (QDQ, uint8 activations, per-channel int8 weights,
    Percentile 99.999 calibration, the classifier GlobalAveragePool/Flatten/Gemm left float), on 64 images of that
    distribution (another seed).
The output states how many distinct classes FP32 predicts (a vacuous check shows), the median margin between the top
two logits, and how sensitive the FP32 model is (onnxruntime CPU, 200 images): how far white noise of 1% of the
image scale moves the input-dependent part of the features, and on how many images rounding the input to the int8
model's uint8 grid, all else FP32, changes the top-1 class (a floor under int8's misses that no recipe removes).

What the figures say (bench/README.md has them): the raw backbone is an ordered map: most of its features' magnitude
is the same for every input (the input-dependent part is about a quarter of it), small input changes barely move it,
and int8 misses because uint8 steps are set by the whole range, large against what tells the classes apart. The
backbone calibrated with every branch at std 1 is the opposite: centring every channel removes what the inputs
share, and a random-weight ReLU network with batch-norm statistics is chaotic (as the mean-field theory of batch norm,
Yang et al. 2019, predicts): small input changes are amplified through the depth, the uint8 input grid alone changes
the top-1 class of many images. Small residual branches (std 0.1) keep the calibrated statistics and the network
ordered, as a trained ResNet is. The fewer and stronger the directions the head uses, the higher the agreement.
--seed replaces every seed at once (images, calibration, head, int8 calibration): an independent replication.

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
import time

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(BENCH, "models"))

import build  # noqa: E402
import quantize  # noqa: E402

SEED = 424242  # the default --seed: neither the benchmark inputs' nor the calibration set's
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

BACKBONE_IMAGES = 64
SENSITIVITY_IMAGES = 200
FLAT_STD = 1e-6  # a Conv output channel whose std is at most this times the layer's largest is called constant


def run_node(node, values: dict[str, np.ndarray], initializers: dict, opset) -> list[np.ndarray]:
    """One node on onnxruntime CPU: its non-initializer inputs from `values`, its initializers as they are."""
    import onnx
    import onnxruntime as ort
    from onnx import helper

    inputs = [helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(values[name].dtype), None)
              for name in node.input if name and name not in initializers]
    outputs = [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in node.output]
    graph = helper.make_graph([node], node.name or node.op_type, inputs, outputs,
                              [initializers[name] for name in node.input if name in initializers])
    model = helper.make_model(graph, opset_imports=opset)
    so = ort.SessionOptions()
    so.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: values[i.name] for i in inputs})


def calibrate_backbone(model, images: np.ndarray, branch_std: float = 1.0) -> tuple[int, int]:
    """Data-dependent initialisation (as LSUV and batch-norm recalibration do): each Conv, in topological order,
    rescaled in place (W <- W / std, b <- (b - mean) / std) so that its output channels have mean 0 and std 1 over
    `images`, measured with the Convs before it already rescaled. A channel that is constant on the images (std at
    most FLAT_STD of the layer's largest) keeps its weights and gets its mean subtracted: it stays a constant 0.
    The graph runs node by node up to the last Conv, each node once (so the whole calibration costs one forward
    pass); a Conv's rescaled output is its measured output rescaled the same way. Returns (Convs rescaled, constant
    channels)."""
    from onnx import numpy_helper

    initializers = {t.name: t for t in model.graph.initializer}
    nodes = list(model.graph.node)  # topologically sorted, as ONNX requires
    last_conv = max(i for i, n in enumerate(nodes) if n.op_type == "Conv")
    last_use = {}
    for index, node in enumerate(nodes[: last_conv + 1]):
        for name in node.input:
            last_use[name] = index
    values = {model.graph.input[0].name: images}
    producer = {o: n for n in nodes for o in n.output}
    consumers = {}
    for n in nodes:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def branch_end(node) -> bool:  # the last Conv of a residual branch: feeds an Add, its input Relu(Conv(...))
        source = producer.get(node.input[0])
        return (any(c.op_type == "Add" for c in consumers.get(node.output[0], [])) and source is not None
                and source.op_type == "Relu" and producer.get(source.input[0]) is not None
                and producer[source.input[0]].op_type == "Conv")

    convs = flat = 0
    for index, node in enumerate(nodes[: last_conv + 1]):
        outputs = run_node(node, values, initializers, model.opset_import)
        if node.op_type == "Conv":
            y = outputs[0]
            axes = (0,) + tuple(range(2, y.ndim))
            mean = y.mean(axes, dtype=np.float64)
            std = y.std(axes, dtype=np.float64)
            constant = std <= FLAT_STD * std.max()
            flat += int(constant.sum())
            target = branch_std if branch_end(node) else 1.0
            scale = np.where(constant, 1.0, target / np.where(constant, 1.0, std))
            if len(node.input) < 3 or node.input[1] not in initializers or node.input[2] not in initializers:
                raise SystemExit(f"calibrate_backbone: Conv {node.name} needs initializer weights and bias")
            weight = numpy_helper.to_array(initializers[node.input[1]]).astype(np.float64)
            weight *= scale.reshape((-1,) + (1,) * (weight.ndim - 1))
            bias = (numpy_helper.to_array(initializers[node.input[2]]).astype(np.float64) - mean) * scale
            initializers[node.input[1]].CopyFrom(numpy_helper.from_array(weight.astype(np.float32), node.input[1]))
            initializers[node.input[2]].CopyFrom(numpy_helper.from_array(bias.astype(np.float32), node.input[2]))
            shape = (1, -1) + (1,) * (y.ndim - 2)
            outputs[0] = ((y - mean.reshape(shape)) * scale.reshape(shape)).astype(np.float32)
            convs += 1
        values.update(zip(node.output, outputs))
        for name in node.input:
            if last_use.get(name) == index and name in values:
                del values[name]
    return convs, flat


def fitted_resnet50(scratch: str, directions_used: int, log, calibrate: bool = True,
                    branch_std: float = 0.1) -> tuple[str, str]:
    """(FP32, int8) paths of ResNet-50 with the benchmark's backbone and the fitted head (module docstring)."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    model = onnx.load(build.build("resnet50_dyn", log=lambda line: None))
    if not calibrate:
        log("  backbone: raw (bench/models' random weights as they are)")
    else:
        start = time.perf_counter()
        convs, flat = calibrate_backbone(model, ImageFeed(SEED + 3)(BACKBONE_IMAGES), branch_std)
        log(f"  backbone: calibrated to look trained (data-dependent init, as LSUV / batch-norm calibration): "
            f"{convs} Convs rescaled to per-channel mean 0, std 1 on {BACKBONE_IMAGES} images"
            f"{f' (the last Conv of each residual branch to std {branch_std:g})' if branch_std != 1 else ''}"
            f"{f', {flat} constant channels left at 0' if flat else ''} ({time.perf_counter() - start:.0f} s)",
            flush=True)
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
    log("  " + sensitivity(session, features, weights, bias.astype(np.float32), int8_path))
    return fp32_path, int8_path


def sensitivity(session, features: str, weights: np.ndarray, bias: np.ndarray, int8_path: str) -> str:
    """How much small input changes move the FP32 model (onnxruntime CPU, SENSITIVITY_IMAGES images): white noise of
    1% of the image scale, and rounding the input to the int8 model's uint8 input grid, everything else FP32."""
    import onnx
    from onnx import numpy_helper

    int8 = onnx.load(int8_path)
    init = {t.name: numpy_helper.to_array(t) for t in int8.graph.initializer}
    first = next(n for n in int8.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "input")
    step, zero = float(init[first.input[1]]), int(init[first.input[2]])
    images = ImageFeed(SEED + 4)(SENSITIVITY_IMAGES)
    noisy = images + 0.01 * images.std() * np.random.default_rng(SEED + 5).standard_normal(images.shape, np.float32)
    gridded = ((np.clip(np.round(images / step) + zero, 0, 255) - zero) * step).astype(np.float32)
    clean, moved, rounded = (np.concatenate([session.run([features], {"input": x[i : i + 50]})[0]
                                             for i in range(0, len(x), 50)]) for x in (images, noisy, gridded))
    moved_by = np.linalg.norm(moved - clean) / np.linalg.norm(clean - clean.mean(0))
    flipped = np.mean((rounded @ weights.T + bias).argmax(1) != (clean @ weights.T + bias).argmax(1))
    return (f"backbone sensitivity (onnxruntime CPU, {SENSITIVITY_IMAGES} images): white noise of 1% moves the "
            f"input-dependent part of the features by {moved_by:.1%}; rounding the input to the int8 model's uint8 "
            f"grid (step {step:.3g}), all else FP32, changes top-1 on {flipped:.1%}")


def resnet50(args, scratch: str) -> bool:
    print(f"ResNet-50 (backbone of bench/models resnet50, fitted head), {args.inputs} generated structured images; "
          "random weights: a consistency check, not accuracy", flush=True)
    directions_used = args.head_directions
    fp32_model, int8_model = fitted_resnet50(scratch, directions_used, print, args.backbone == "calibrated",
                                             args.branch_std)
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
    global SEED
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1000, help="ResNet-50 inputs (default 1000)")
    parser.add_argument("--sequences", type=int, default=32, help="BERT-base sequences (default 32)")
    parser.add_argument("--head-directions", type=int, default=16,
                        help="ResNet-50 head: feature directions it uses, 2 classes each (default 16)")
    parser.add_argument("--backbone", choices=("calibrated", "raw"), default="calibrated",
                        help="ResNet-50: calibrate bench/models' backbone to look trained (default) or keep it raw")
    parser.add_argument("--branch-std", type=float, default=0.1,
                        help="calibrated backbone: std of the last Conv of each residual branch (default 0.1)")
    parser.add_argument("--batch", type=int, default=50, help="ResNet-50 inputs per kiln run (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="OpenVINO threads (default 2)")
    parser.add_argument("--only", default="resnet50,bert_base", help="resnet50, bert_base or both")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="base of every seed: images, backbone calibration, head, int8 calibration, sequences "
                             f"(default {SEED}); another value is an independent replication of the whole check")
    parser.add_argument("--kiln", default=os.path.join(ROOT, "build", "tools", "kiln", "kiln"), help="kiln binary")
    args = parser.parse_args(argv)
    SEED = args.seed
    if args.branch_std != parser.get_default("branch_std") and args.backbone == "raw":
        parser.error("--branch-std applies to the calibrated backbone only")
    ok = True
    with tempfile.TemporaryDirectory(prefix="kiln-accuracy-") as scratch:
        for name in (s.strip() for s in args.only.split(",") if s.strip()):
            ok &= {"resnet50": resnet50, "bert_base": bert_base}[name](args, scratch)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
