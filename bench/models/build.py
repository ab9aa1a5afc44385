"""Builds the benchmark models: real architectures (torchvision classifiers and detectors, BERT-base, GPT-2 small,
a YOLOv8n-style detector, fast-neural-style) with seeded random weights, written with onnx.helper at opset 17 the way
exporters emit them. Offline and deterministic: the same files on every machine.

    .venv/bin/python bench/models/build.py                      # every model into bench/models/.cache/
    .venv/bin/python bench/models/build.py --list               # names, inputs, and sizes of those already built
    .venv/bin/python bench/models/build.py --only resnet50,bert_base_dyn [--out DIR] [--force]

Each family comes in two variants: NAME with batch 1 and NAME_dyn whose batch dimension is the dim_param "batch".
A model is rebuilt when missing or older than these scripts. Each goes to its own folder, OUT/NAME/model.onnx, with
the inputs that every runtime gets (batch 1, seeded) as OUT/NAME/inputs/INPUT.npy and as the test data set
OUT/NAME/test_data_set_0/input_<i>.pb (read by `kiln perf` without -I), whose output_<i>.pb are onnxruntime CPU's
outputs. Every model is checked with onnx.checker (full check) and run once with onnxruntime on those inputs.
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
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import detection  # noqa: E402
import language  # noqa: E402
import net as net_module  # noqa: E402
import vision  # noqa: E402

CACHE_DIR = os.path.join(HERE, ".cache")
OPSET = 17
IR_VERSION = 8  # what torch.onnx writes at opset 17
EXTERNAL_DATA_BYTES = 1_800_000_000  # above this the weights go to NAME/model.onnx.data (protobuf's limit: 2 GB)
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


# Files of a variant, in the layout of the ONNX model zoo and onnx_test_runner (which `kiln perf` and
# onnxruntime_perf_test read without -I): OUT/NAME/model.onnx, OUT/NAME/test_data_set_0/{input,output}_<i>.pb, and the
# same inputs as OUT/NAME/inputs/INPUT.npy for the peers' venvs (numpy only) and `kiln run --input`.
def model_dir(name: str, out_dir: str = CACHE_DIR) -> str:
    return os.path.join(out_dir, name)


def model_path(name: str, out_dir: str = CACHE_DIR) -> str:
    return os.path.join(model_dir(name, out_dir), "model.onnx")


def inputs_dir(name: str, out_dir: str = CACHE_DIR) -> str:
    return os.path.join(model_dir(name, out_dir), "inputs")


def test_data_dir(name: str, out_dir: str = CACHE_DIR) -> str:
    return os.path.join(model_dir(name, out_dir), "test_data_set_0")


def make_inputs(name: str, batch: int = 1) -> dict[str, np.ndarray]:
    """The seeded inputs of variant `name` (the same for both variants of a family at the same batch)."""
    family, _ = VARIANTS[name]
    rng = np.random.default_rng(seed_of(family) + 1)
    return {i.name: i.generate(rng, batch) for i in family.inputs}


def load_inputs(name: str, out_dir: str = CACHE_DIR) -> dict[str, np.ndarray]:
    family, _ = VARIANTS[name]
    return {i.name: np.load(os.path.join(inputs_dir(name, out_dir), f"{i.name}.npy")) for i in family.inputs}


def save_tensors(directory: str, prefix: str, tensors: dict[str, np.ndarray]) -> None:
    """prefix_<i>.pb (TensorProto, named) for each tensor in order, as onnx_test_runner's test data sets."""
    for i, (tensor_name, value) in enumerate(tensors.items()):
        with open(os.path.join(directory, f"{prefix}_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(value, tensor_name).SerializeToString())


def save_model(model: onnx.ModelProto, path: str) -> None:
    """Weights go to an external data file next to it when the proto would near 2 GB."""
    if model.ByteSize() > EXTERNAL_DATA_BYTES:
        data = os.path.basename(path).split(".")[0] + ".onnx.data"
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data)
    else:
        onnx.save_model(model, path)


def run_onnxruntime(path: str, inputs: dict[str, np.ndarray], threads: int = 1) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.log_severity_level = 3
    session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return dict(zip((o.name for o in session.get_outputs()), session.run(None, inputs)))


def sources_mtime() -> float:
    files = glob.glob(os.path.join(HERE, "*.py"))
    files.append(os.path.join(net_module.REPO, "tests", "models", "build_models.py"))
    return max(os.path.getmtime(f) for f in files)


def is_current(name: str, out_dir: str = CACHE_DIR) -> bool:
    """model.onnx is written last (see build), so a model newer than the sources has all its other files."""
    path = model_path(name, out_dir)
    return os.path.exists(path) and os.path.getmtime(path) >= sources_mtime()


def build(name: str, out_dir: str = CACHE_DIR, force: bool = False, log=print) -> str:
    """Builds variant `name` into out_dir unless it is current: checks it with onnx.checker, writes its inputs, runs
    it once with onnxruntime (its outputs become the test data set's expected outputs), then moves model.onnx into
    place. Returns the model's path."""
    path = model_path(name, out_dir)
    if not force and is_current(name, out_dir):
        log(f"{name}: current ({os.path.getsize(path) / 1e6:.1f} MB)")
        return path
    for directory in (inputs_dir(name, out_dir), test_data_dir(name, out_dir)):
        os.makedirs(directory, exist_ok=True)
    start = time.perf_counter()
    model = build_model(name)
    params = parameter_count(model)
    tmp = f"{path}.{os.getpid()}.tmp"
    save_model(model, tmp)
    del model
    built_s = time.perf_counter() - start
    inputs = make_inputs(name)
    for input_name, value in inputs.items():
        np.save(os.path.join(inputs_dir(name, out_dir), f"{input_name}.npy"), value)
    save_tensors(test_data_dir(name, out_dir), "input", inputs)
    start = time.perf_counter()
    outputs = run_onnxruntime(tmp, inputs)
    run_s = time.perf_counter() - start
    for output_name, value in outputs.items():
        if not np.all(np.isfinite(value)):
            raise RuntimeError(f"{name}: onnxruntime's output '{output_name}' is not finite")
    save_tensors(test_data_dir(name, out_dir), "output", outputs)
    os.replace(tmp, path)
    summary = ", ".join(f"{o} {list(v.shape)} rms {float(np.sqrt(np.mean(np.square(v, dtype=np.float64)))):.3g}"
                        for o, v in outputs.items())
    log(f"{name}: {params / 1e6:.2f}M params, {os.path.getsize(path) / 1e6:.1f} MB, built and checked in "
        f"{built_s:.1f} s; onnxruntime ran it in {run_s:.1f} s: {summary}")
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
