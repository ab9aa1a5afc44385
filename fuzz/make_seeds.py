"""Writes the seed corpora of the fuzz targets (scripts/fuzz.sh runs it into build-*/fuzz/corpus/).

  model_loader     the ONNX backend node tests' models that the onnx package ships (model.onnx, each < 64 KiB), and
                   the end-to-end test models' graphs (tests/models/build_models.py) with their weights cut to a
                   few values each, so that the seeds stay small while their structure is kept.
                   Also every ONNX operator alone, its inputs graph inputs of rank 0, of rank 1 (a symbolic dim),
                   of unknown rank or of shape [0, 3] (the edge ranks that shape functions and kernels must refuse or
                   handle), its required attributes set to 1 / 1.0 / "a".
  external_data    models whose initializers are external data in "weights.bin" (the node tests with their second and
                   later inputs turned into initializers, and the end-to-end models), each packed as the target reads
                   it: 4-byte little-endian model size, the model, the contents of weights.bin.
  openvino_options option strings ("key|value ...") and inline load_config JSON (first line, then the JSON).
  ep_context       written by the target itself at start-up (the blob of a model it compiles).

`python make_seeds.py OUT_DIR [--every N]` (--every: one node test in N, for a smaller corpus).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys

import numpy as np
import onnx
from onnx import external_data_helper, numpy_helper

NODE_DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
MAX_SEED = 64 * 1024


def node_tests(every: int):
    names = sorted(os.listdir(NODE_DATA))
    for i, name in enumerate(names):
        path = os.path.join(NODE_DATA, name, "model.onnx")
        if i % every == 0 and os.path.isfile(path) and os.path.getsize(path) < MAX_SEED:
            yield name, path


def shrink_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with each initializer replaced by one of the same type and rank holding few values."""
    for i, t in enumerate(model.graph.initializer):
        array = numpy_helper.to_array(t)
        if array.size <= 16:
            continue
        small = array.reshape(-1)[: 2 ** array.ndim].reshape([2] * array.ndim) if array.ndim else array
        model.graph.initializer[i].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(small), t.name))
    return model


def end_to_end_models():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models"))
    import build_models  # noqa: E402

    yield "resnet_cnn_13", build_models.resnet_cnn(13)
    yield "resnet_cnn_11", build_models.resnet_cnn(11)
    yield "bert_encoder", build_models.bert_encoder(False)
    yield "bert_encoder_decomposed", build_models.bert_encoder(True)


ELEMENT_TYPES = {  # the first of these that a type constraint allows is the input's type
    "tensor(float)": onnx.TensorProto.FLOAT,
    "tensor(int64)": onnx.TensorProto.INT64,
    "tensor(int32)": onnx.TensorProto.INT32,
    "tensor(bool)": onnx.TensorProto.BOOL,
    "tensor(uint8)": onnx.TensorProto.UINT8,
    "tensor(string)": onnx.TensorProto.STRING,
}
EDGE_SHAPES = {"rank0": [], "rank1": ["n"], "unknown_rank": None, "empty": [0, 3]}
SIMPLE_ATTRIBUTES = {
    onnx.AttributeProto.INT: 1,
    onnx.AttributeProto.FLOAT: 1.0,
    onnx.AttributeProto.INTS: [1],
    onnx.AttributeProto.FLOATS: [1.0],
    onnx.AttributeProto.STRING: "a",
    onnx.AttributeProto.STRINGS: ["a"],
}


def element_type(schema, formal):
    allowed = {c.type_param_str: c.allowed_type_strs for c in schema.type_constraints}.get(formal.type_str,
                                                                                          [formal.type_str])
    return next((ELEMENT_TYPES[t] for t in ELEMENT_TYPES if t in allowed), None)


def operators():
    """(schema, input element types, required attributes) of each operator of the default domain (latest schema)
    with inputs of types ELEMENT_TYPES has and required attributes SIMPLE_ATTRIBUTES can set."""
    for schema in onnx.defs.get_all_schemas():
        if schema.domain != "" or schema.deprecated:
            continue
        required = {n: a.type for n, a in schema.attributes.items() if a.required}
        if any(t not in SIMPLE_ATTRIBUTES for t in required.values()):
            continue
        types = [element_type(schema, f) for f in schema.inputs]
        if types and None not in types:
            yield schema, types, {n: SIMPLE_ATTRIBUTES[t] for n, t in required.items()}


def single_node_model(schema, inputs, initializers, attributes) -> onnx.ModelProto:
    """The operator alone: its inputs x0, x1, ... (graph inputs or initializers), one output y<i> per declared output,
    at the newest opset."""
    outputs = [onnx.helper.make_tensor_value_info(f"y{i}", onnx.TensorProto.UNDEFINED, None)
               for i in range(max(1, len(schema.outputs)))]
    names = sorted([v.name for v in inputs] + [t.name for t in initializers], key=lambda n: int(n[1:]))
    node = onnx.helper.make_node(schema.name, names, [v.name for v in outputs], **attributes)
    graph = onnx.helper.make_graph([node], schema.name, inputs, outputs, initializer=initializers)
    return onnx.helper.make_model(graph,
                                  opset_imports=[onnx.helper.make_opsetid("", onnx.defs.onnx_opset_version())])


def edge_rank_models():
    """(name, model): each operator alone, all its inputs of one edge shape."""
    for schema, types, attributes in operators():
        for shape_name, shape in EDGE_SHAPES.items():
            inputs = [onnx.helper.make_tensor_value_info(f"x{i}", t, shape) for i, t in enumerate(types)]
            yield f"{schema.name}_{shape_name}", single_node_model(schema, inputs, [], attributes)


def with_inputs_as_initializers(path: str):
    """The node test's model with its inputs after the first turned into initializers from test_data_set_0."""
    model = onnx.load(path)
    data_dir = os.path.join(os.path.dirname(path), "test_data_set_0")
    inputs = list(model.graph.input)
    if len(inputs) < 2:
        return None
    for i, value in enumerate(inputs[1:], start=1):
        pb = os.path.join(data_dir, f"input_{i}.pb")
        if not os.path.isfile(pb):
            return None
        tensor = onnx.TensorProto()
        with open(pb, "rb") as f:
            tensor.ParseFromString(f.read())
        if tensor.data_type == onnx.TensorProto.STRING:
            return None
        tensor.name = value.name
        model.graph.initializer.append(tensor)
    del model.graph.input[1:]
    return model


def pack_external(model: onnx.ModelProto, out_dir: str) -> bytes | None:
    """model -> the external_data target's input (weights moved to weights.bin)."""
    if not model.graph.initializer:
        return None
    external_data_helper.convert_model_to_external_data(
        model, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    tmp = os.path.join(out_dir, ".pack")
    os.makedirs(tmp, exist_ok=True)
    model_path = os.path.join(tmp, "m.onnx")
    weights = os.path.join(tmp, "weights.bin")
    if os.path.exists(weights):
        os.remove(weights)
    onnx.save_model(model, model_path)
    with open(model_path, "rb") as f:
        model_bytes = f.read()
    data = b""
    if os.path.exists(weights):
        with open(weights, "rb") as f:
            data = f.read()
    packed = struct.pack("<I", len(model_bytes)) + model_bytes + data
    return packed if len(packed) < MAX_SEED else None


OPTION_SEEDS = [
    "device_type|CPU precision|FP32",
    "device_type|GPU precision|FP16 num_streams|2",
    "device_type|GPU.1 enable_opencl_throttling|true",
    "device_type|NPU enable_qdq_optimizer|true disable_dynamic_shapes|true",
    "device_type|AUTO:GPU,CPU model_priority|HIGH",
    "device_type|HETERO:GPU.0,CPU precision|ACCURACY",
    "device_type|MULTI:CPU,GPU num_of_threads|4",
    "device_type|CPU_FP32",
    "device_type|CPU reshape_input|x[1..4,3,224,224],y[2,?] layout|x[NCHW],y[N?]",
    "device_type|CPU num_streams|0 num_of_threads|-1 context|0x1234",
    "device_type|CPU enable_causallm|true",
    "device_type|CPU\n"
    '{"CPU": {"NUM_STREAMS": 2, "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}}',
    "device_type|GPU\n"
    '{"GPU": {"GPU_QUEUE_THROTTLE": "LOW"}, "CPU": {"PERF_COUNT": true}, "NPU": {"NPU_COMPILATION_MODE_PARAMS": '
    '{"a": 1.5, "b": [1, 2]}}}',
    "device_type|AUTO:GPU,CPU\n"
    '{"AUTO": {"ENABLE_RUNTIME_FALLBACK": false, "DEVICE_PROPERTIES": {"CPU": {"NUM_STREAMS": 1}}}}',
    "device_type|HETERO:GPU,CPU\n" '{"HETERO": {"MODEL_DISTRIBUTION_POLICY": "PIPELINE_PARALLEL"}, "XPU": {}}',
    "device_type|CPU\n" '{"CPU": {"UNKNOWN_KEY": null, "RANGE_FOR_STREAMS": "1"}}',
]


def write(folder: str, name: str, data: bytes):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--every", type=int, default=1)
    args = parser.parse_args()
    loader = os.path.join(args.out_dir, "model_loader")
    external = os.path.join(args.out_dir, "external_data")
    options = os.path.join(args.out_dir, "openvino_options")
    counts = {"model_loader": 0, "external_data": 0, "openvino_options": 0}

    for name, path in node_tests(args.every):
        with open(path, "rb") as f:
            write(loader, name + ".onnx", f.read())
        counts["model_loader"] += 1
        model = with_inputs_as_initializers(path)
        packed = pack_external(model, args.out_dir) if model is not None else None
        if packed is not None:
            write(external, name + ".bin", packed)
            counts["external_data"] += 1
    for name, model in end_to_end_models():
        model = shrink_weights(model)
        write(loader, name + ".onnx", model.SerializeToString())
        counts["model_loader"] += 1
        packed = pack_external(model, args.out_dir)
        if packed is not None:
            write(external, name + ".bin", packed)
            counts["external_data"] += 1
    for name, model in edge_rank_models():
        write(loader, name + ".onnx", model.SerializeToString())
        counts["model_loader"] += 1
    for i, text in enumerate(OPTION_SEEDS):
        write(options, f"options_{i}.txt", text.encode())
        counts["openvino_options"] += 1
    print("seeds: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
