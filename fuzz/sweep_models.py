"""Writes the operator sweep that scripts/fuzz.sh replays once through model_loader_fuzz before fuzzing.

Every operator of the default domain (latest schema) alone in a model, in four families of variants:
  shapes      the first input of shape [2, 3], [1, 2, 3, 3], [0], [1], [2, 0, 3], [n, 3] or unknown rank, the others
              (graph inputs, zeros at run time) of shape [], [1], [2], [0], [3, 2], [1, 2, 3, 3], [k] or unknown;
  values      the first input of shape [2, 3], [1, 2, 3, 3], [0], [2, 0, 3], [], [n, c, 3, 3] or unknown rank, the
              others initializers of shape [], [1], [2], [0], [3, 2] or [4] filled with 1, -1, 2 or 7 (sizes, axes,
              repeats, pads, k, ...);
  attributes  one attribute at a time set to an edge value (ints -2, 0, 3, 2^40; int lists [-1], [0, 0], eight 1s,
              [2^40], []; floats -1, 0, NaN, 1e30; strings "zzz", ""), the first input of shape [2, 3],
              [1, 2, 3, 3], [], [2, 0, 3], [1, c, h, 3] or unknown rank, the others graph inputs or initializers of
              ones, shape [2].
  omitted     each input after the first left out in turn (an empty name), the first input of a shape above.
Symbolic dims are fed as 1 at run time (fuzz_util's run_when_small); models with an input of unknown rank are only
loaded, not run.
Required attributes are 1 / [1] / 1.0 / "a" unless swept. Each model must give kiln::Error or run; a crash, a
sanitizer report or a hang is a bug. The sweep is deterministic: the same models in every run, unlike fuzzing.

`python sweep_models.py OUT_DIR` prints the number of models written.
"""

from __future__ import annotations

import itertools
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

from make_seeds import SIMPLE_ATTRIBUTES, operators, single_node_model

A = onnx.AttributeProto
SHAPES_FIRST = {"a": [2, 3], "b": [1, 2, 3, 3], "c": [0], "d": [1], "e": [2, 0, 3], "sym": ["n", 3], "u": None}
SHAPES_OTHER = {"s": [], "o": [1], "t": [2], "z": [0], "m": [3, 2], "f": [1, 2, 3, 3], "sym": ["k"], "u": None}
VALUES_FIRST = {"a": [2, 3], "b": [1, 2, 3, 3], "c": [0], "e": [2, 0, 3], "s": [], "sym": ["n", "c", 3, 3], "u": None}
VALUES_OTHER = {"s": [], "o": [1], "t": [2], "z": [0], "m": [3, 2], "f": [4]}
FILLS = {"p": 1, "n": -1, "two": 2, "big": 7}
ATTRIBUTE_FIRST = {"a": [2, 3], "b": [1, 2, 3, 3], "s": [], "e": [2, 0, 3], "sym": [1, "c", "h", 3], "u": None}
ATTRIBUTE_VALUES = {
    A.INT: {"m2": -2, "z": 0, "3": 3, "huge": 1 << 40},
    A.INTS: {"m1": [-1], "zz": [0, 0], "ones8": [1] * 8, "huge": [1 << 40], "e": []},
    A.FLOAT: {"m1": -1.0, "z": 0.0, "nan": float("nan"), "big": 1e30},
    A.STRING: {"x": "zzz", "e": ""},
}


def filled(name, element, shape, value):
    if element == onnx.TensorProto.BOOL:
        return numpy_helper.from_array(np.full(shape, value > 0), name)
    array = np.array(np.full(shape, value), dtype=np.int64).astype(helper.tensor_dtype_to_np_dtype(element))
    return numpy_helper.from_array(array, name)


def shape_variants(schema, types, attributes):
    for (fk, first), (ok, other) in itertools.product(SHAPES_FIRST.items(), SHAPES_OTHER.items()):
        inputs = [helper.make_tensor_value_info(f"x{i}", t, first if i == 0 else other) for i, t in enumerate(types)]
        yield f"shapes_{fk}{ok}", single_node_model(schema, inputs, [], attributes)


def value_variants(schema, types, attributes):
    if len(types) < 2 or onnx.TensorProto.STRING in types[1:]:
        return
    for (fk, first), (ok, other), (vk, v) in itertools.product(VALUES_FIRST.items(), VALUES_OTHER.items(),
                                                               FILLS.items()):
        inputs = [helper.make_tensor_value_info("x0", types[0], first)]
        initializers = [filled(f"x{i}", t, other, v) for i, t in enumerate(types[1:], 1)]
        yield f"values_{fk}{ok}{vk}", single_node_model(schema, inputs, initializers, attributes)


def omitted_variants(schema, types, attributes):
    """Input k > 0 left out (an empty name), the others graph inputs of shape [2]."""
    for k, (fk, first) in itertools.product(range(1, len(types)), SHAPES_FIRST.items()):
        inputs = [helper.make_tensor_value_info(f"x{i}", t, first if i == 0 else [2])
                  for i, t in enumerate(types) if i != k]
        m = single_node_model(schema, inputs, [], attributes)
        m.graph.node[0].input.insert(k, "")
        yield f"omitted{k}_{fk}", m


def attribute_variants(schema, types, attributes):
    for name, attribute in schema.attributes.items():
        for (vk, v), (fk, first), as_initializers in itertools.product(
                ATTRIBUTE_VALUES.get(attribute.type, {}).items(), ATTRIBUTE_FIRST.items(), (False, True)):
            inputs = [helper.make_tensor_value_info("x0", types[0], first)]
            initializers = []
            for i, t in enumerate(types[1:], 1):
                if as_initializers and t != onnx.TensorProto.STRING:
                    initializers.append(filled(f"x{i}", t, [2], 1))
                else:
                    inputs.append(helper.make_tensor_value_info(f"x{i}", t, [2]))
            try:
                m = single_node_model(schema, inputs, initializers, {**attributes, name: v})
            except (ValueError, TypeError):  # a value make_attribute cannot encode for this attribute
                continue
            yield f"attribute_{name}_{vk}_{fk}_{'init' if as_initializers else 'in'}", m


def main() -> int:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    count = 0
    for schema, types, attributes in operators():
        for family in (shape_variants, value_variants, omitted_variants, attribute_variants):
            for variant, m in family(schema, types, attributes):
                with open(os.path.join(out, f"{schema.name}_{variant}.onnx"), "wb") as f:
                    f.write(m.SerializeToString())
                count += 1
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
