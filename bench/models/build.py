"""Builds the benchmark models: real architectures (torchvision classifiers and detectors, BERT-base, GPT-2 small,
a YOLOv8n-style detector, fast-neural-style) with seeded random weights, written with onnx.helper at opset 17 the way
exporters emit them. Offline and deterministic: the same files on every machine.

    .venv/bin/python bench/models/build.py                      # every model into bench/models/.cache/
    .venv/bin/python bench/models/build.py --list               # names, inputs, and sizes of those already built
    .venv/bin/python bench/models/build.py --only resnet50,bert_base_dyn [--out DIR] [--force]

Each family comes in two variants: NAME with batch 1 and NAME_dyn whose batch dimension is the dim_param "batch".
A model is rebuilt when missing or older than these scripts. Next to each model the inputs that every runtime gets
are saved as NAME.inputs/INPUT.npy (batch 1, seeded). Every model is checked with onnx.checker (full check) and run
once with onnxruntime on those inputs.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import detection  # noqa: E402
import language  # noqa: E402
import net as net_module  # noqa: E402
import vision  # noqa: E402

CACHE_DIR = os.path.join(HERE, ".cache")
OPSET = 17
IR_VERSION = 8  # what torch.onnx writes at opset 17
EXTERNAL_DATA_BYTES = 1_800_000_000  # above this a model's weights go to NAME.onnx.data (protobuf's limit is 2 GB)
DYNAMIC_SUFFIX = "_dyn"


@dataclass(frozen=True)
class Input:
    """A model input: its dims after the batch dim; integers are drawn uniformly from [low, high), floats (high == 0)
    from the standard normal distribution (a normalised image)."""

    name: str
    dtype: type
    dims: tuple[int, ...]
    low: int = 0
    high: int = 0

    def generate(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        shape = (batch, *self.dims)
        if self.high:
            return rng.integers(self.low, self.high, shape, dtype=self.dtype)
        return rng.standard_normal(shape, dtype=self.dtype)


@dataclass(frozen=True)
class Family:
    name: str
    summary: str
    inputs: tuple[Input, ...]
    body: Callable[[net_module.Net], dict[str, str]]  # builds the graph, returns {output name: tensor}


def image(size: int, name: str = "input") -> tuple[Input, ...]:
    return (Input(name, np.float32, (3, size, size)),)


def on_image(fn, name: str = "input"):
    return lambda n: fn(n, name)


TOKENS = language.SEQ
FAMILIES = [
    Family("resnet50", "torchvision ResNet-50 v1.5, 224x224", image(224), on_image(vision.resnet50)),
    Family("mobilenet_v2", "torchvision MobileNetV2, 224x224", image(224), on_image(vision.mobilenet_v2)),
    Family("squeezenet1_1", "torchvision SqueezeNet 1.1, 224x224", image(224), on_image(vision.squeezenet1_1)),
    Family("efficientnet_b0", "torchvision EfficientNet-B0, 224x224", image(224), on_image(vision.efficientnet_b0)),
    Family("densenet121", "torchvision DenseNet-121, 224x224", image(224), on_image(vision.densenet121)),
    Family(
        "ssdlite_mobilenet_v2", "SSDLite 320x320 on MobileNetV2, raw box/class tensors", image(320),
        on_image(detection.ssdlite_mobilenet_v2),
    ),
    Family(
        "yolov8n", "YOLOv8n-style detector 640x640 (C2f, SPPF, FPN/PAN neck, DFL head)", image(640, "images"),
        on_image(detection.yolov8n, "images"),
    ),
    Family(
        "fast_neural_style", "pytorch/examples fast-neural-style TransformerNet, 224x224", image(224),
        on_image(vision.fast_neural_style),
    ),
    Family(
        "bert_base", "BERT-base encoder (12 layers, hidden 768, 12 heads), seq 128",
        (
            Input("input_ids", np.int64, (TOKENS,), 0, language.BERT_VOCAB),
            Input("attention_mask", np.int64, (TOKENS,), 1, 2),
            Input("token_type_ids", np.int64, (TOKENS,), 0, 2),
        ),
        language.bert_base,
    ),
    Family(
        "gpt2_small", "GPT-2 small (12 layers, hidden 768), causal, no KV cache, seq 128",
        (Input("input_ids", np.int64, (TOKENS,), 0, language.GPT2_VOCAB),),
        language.gpt2_small,
    ),
]
FAMILY = {f.name: f for f in FAMILIES}
# variant name -> (family, batch dim: 1 or the dim_param "batch")
VARIANTS: dict[str, tuple[Family, int | str]] = {}
for _f in FAMILIES:
    VARIANTS[_f.name] = (_f, 1)
    VARIANTS[_f.name + DYNAMIC_SUFFIX] = (_f, "batch")


def seed_of(family: Family) -> int:
    return zlib.crc32(family.name.encode())


def build_model(name: str) -> onnx.ModelProto:
    """The ModelProto of variant `name`, checked with onnx.checker (full check: strict shape inference)."""
    family, batch = VARIANTS[name]
    net = net_module.Net(seed_of(family))
    outputs = family.body(net)
    for output, tensor in outputs.items():
        if tensor != output:
            net.rename(tensor, output)
    graph = helper.make_graph(
        net.nodes,
        name,
        [helper.make_tensor_value_info(i.name, helper.np_dtype_to_tensor_dtype(np.dtype(i.dtype)), [batch, *i.dims])
         for i in family.inputs],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        net.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION, producer_name="kiln-bench",
        doc_string=family.summary,
    )
    # Declare the output shapes as exporters do, from ONNX's own shape inference.
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    del model.graph.output[:]
    model.graph.output.extend(inferred.graph.output)
    onnx.checker.check_model(model, full_check=True)
    return model


def parameter_count(model: onnx.ModelProto) -> int:
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.data_type == TensorProto.FLOAT)


def model_path(name: str, out_dir: str = CACHE_DIR) -> str:
    return os.path.join(out_dir, f"{name}.onnx")


def inputs_dir(name: str, out_dir: str = CACHE_DIR) -> str:
    return os.path.join(out_dir, f"{name}.inputs")


def make_inputs(name: str, batch: int = 1) -> dict[str, np.ndarray]:
    """The seeded inputs of variant `name` (the same for both variants of a family at the same batch)."""
    family, _ = VARIANTS[name]
    rng = np.random.default_rng(seed_of(family) + 1)
    return {i.name: i.generate(rng, batch) for i in family.inputs}


def load_inputs(name: str, out_dir: str = CACHE_DIR) -> dict[str, np.ndarray]:
    family, _ = VARIANTS[name]
    return {i.name: np.load(os.path.join(inputs_dir(name, out_dir), f"{i.name}.npy")) for i in family.inputs}


def save_model(model: onnx.ModelProto, path: str) -> None:
    """Writes atomically; weights go to an external data file next to it when the proto would near 2 GB."""
    tmp = f"{path}.{os.getpid()}.tmp"
    if model.ByteSize() > EXTERNAL_DATA_BYTES:
        data = os.path.basename(path) + ".data"
        onnx.save_model(model, tmp, save_as_external_data=True, all_tensors_to_one_file=True, location=data)
    else:
        onnx.save_model(model, tmp)
    os.replace(tmp, path)


def run_onnxruntime(path: str, inputs: dict[str, np.ndarray], threads: int = 1) -> list[np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.log_severity_level = 3
    session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def sources_mtime() -> float:
    files = glob.glob(os.path.join(HERE, "*.py"))
    files.append(os.path.join(net_module.REPO, "tests", "models", "build_models.py"))
    return max(os.path.getmtime(f) for f in files)


def is_current(name: str, out_dir: str = CACHE_DIR) -> bool:
    family, _ = VARIANTS[name]
    files = [model_path(name, out_dir)]
    files += [os.path.join(inputs_dir(name, out_dir), f"{i.name}.npy") for i in family.inputs]
    return all(os.path.exists(f) and os.path.getmtime(f) >= sources_mtime() for f in files)


def build(name: str, out_dir: str = CACHE_DIR, force: bool = False, log=print) -> str:
    """Builds, saves, checks and runs variant `name` into out_dir unless it is current; returns the model's path."""
    path = model_path(name, out_dir)
    if not force and is_current(name, out_dir):
        log(f"{name}: current ({os.path.getsize(path) / 1e6:.1f} MB)")
        return path
    os.makedirs(inputs_dir(name, out_dir), exist_ok=True)
    start = time.perf_counter()
    model = build_model(name)
    params = parameter_count(model)
    save_model(model, path)
    del model
    built_s = time.perf_counter() - start
    inputs = make_inputs(name)
    for input_name, value in inputs.items():
        np.save(os.path.join(inputs_dir(name, out_dir), f"{input_name}.npy"), value)
    start = time.perf_counter()
    outputs = run_onnxruntime(path, inputs)
    for value in outputs:
        if not np.all(np.isfinite(value)):
            raise RuntimeError(f"{name}: onnxruntime produced non-finite outputs")
    summary = ", ".join(f"{list(o.shape)} rms {float(np.sqrt(np.mean(np.square(o, dtype=np.float64)))):.3g}"
                        for o in outputs)
    log(
        f"{name}: {params / 1e6:.2f}M params, {os.path.getsize(path) / 1e6:.1f} MB, built and checked in "
        f"{built_s:.1f} s; onnxruntime ran it in {time.perf_counter() - start:.1f} s: {summary}"
    )
    return path


def select(only: str | None) -> list[str]:
    """Variant names for --only: a family name selects both its variants."""
    if not only:
        return list(VARIANTS)
    names: list[str] = []
    for item in (s.strip() for s in only.split(",") if s.strip()):
        if item in FAMILY:
            names += [item, item + DYNAMIC_SUFFIX]
        elif item in VARIANTS:
            names.append(item)
        else:
            raise SystemExit(f"unknown model '{item}' (see --list)")
    return list(dict.fromkeys(names))


def list_models(out_dir: str) -> None:
    for name, (family, batch) in VARIANTS.items():
        path = model_path(name, out_dir)
        state = f"{os.path.getsize(path) / 1e6:.1f} MB" if os.path.exists(path) else "not built"
        shapes = " ".join(f"{i.name}[{batch},{','.join(map(str, i.dims))}]" for i in family.inputs)
        print(f"{name:<26} {state:>10}  {shapes}  {family.summary}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    parser.add_argument("--only", help="comma-separated model or family names (a family: both variants)")
    parser.add_argument("--out", default=CACHE_DIR, help=f"output folder (default {CACHE_DIR})")
    parser.add_argument("--force", action="store_true", help="rebuild even when current")
    args = parser.parse_args(argv)
    if args.list:
        list_models(args.out)
        return 0
    names = select(args.only)
    for i, name in enumerate(names, 1):
        build(name, args.out, args.force, log=lambda line: print(f"[{i}/{len(names)}] {line}", flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
