"""Every kernel family of src/ops/op_list.inc on kiln's CPU provider against onnx.reference.ReferenceEvaluator:
single-node models with seeded random inputs, plus the edge cases of issue #6 (empty tensors, broadcasting,
negative axes, integer overflow rules, NaN/Inf). Floats compare with rtol 1e-4 / atol 1e-5 (float16: 1e-3),
integers, booleans and strings exactly, NaN matches NaN. Where onnx.reference is known to be wrong the case
compares against onnxruntime instead (oracle="ort") and says why.

Not compared here: the random generators (Bernoulli, Multinomial, Random*: kiln's generator is not numpy's),
ImageDecoder (needs encoded images), FlexAttention (no reference implementation)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
import onnxruntime
import pytest
from conftest import CPU
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import kiln

RNG = np.random.default_rng(20261126)
I64 = np.iinfo(np.int64)
FLOAT_TOLERANCE = dict(rtol=1e-4, atol=1e-5)
# float16 keeps 11 significant bits: a kernel that accumulates in float32 and rounds once may differ from
# onnx.reference (which computes in float16 step by step) by one unit in the last place, 2**-11 relative.
FLOAT16_TOLERANCE = dict(rtol=1e-3, atol=1e-3)
ML = "ai.onnx.ml"


def f32(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def pos(*shape):
    return RNG.uniform(0.1, 3.0, shape).astype(np.float32)


def ints(*shape, low=-50, high=50, dtype=np.int64):
    return RNG.integers(low, high, shape).astype(dtype)


def i64(*values):
    return np.array(values, np.int64)


@dataclass
class Case:
    id: str
    op: str
    inputs: list  # numpy arrays; None for an omitted optional input
    attrs: dict = field(default_factory=dict)
    opset: int = 21
    consts: tuple = ()  # indices of inputs stored as initializers (shape-like operands)
    outputs: int = 1
    node_inputs: int | None = None  # how many inputs the node takes; the others are graph inputs its subgraphs use
    reference_dtype: type | None = None  # cast onnx.reference's outputs to this where it promotes (see the case)
    oracle: str = "ref"  # "ref": onnx.reference; "ort": onnxruntime, where onnx.reference is wrong
    domain: str = ""
    xfail: str | None = None


def model_for(case: Case, output_types=None) -> onnx.ModelProto:
    names, graph_inputs, initializers = [], [], []
    for i, value in enumerate(case.inputs):
        if value is None:
            names.append("")
            continue
        name = f"in{i}"
        names.append(name)
        if i in case.consts:
            initializers.append(numpy_helper.from_array(value, name))
        else:
            graph_inputs.append(helper.make_value_info(name, type_of(value, shaped=True)))
    outs = [f"out{i}" for i in range(case.outputs)]
    node = helper.make_node(case.op, names[:case.node_inputs], outs, domain=case.domain, **case.attrs)
    if output_types is None:
        graph_outputs = [helper.make_empty_tensor_value_info(o) for o in outs]
    else:
        graph_outputs = [helper.make_value_info(o, t) for o, t in zip(outs, output_types)]
    graph = helper.make_graph([node], case.id, graph_inputs, graph_outputs, initializers)
    opsets = [helper.make_opsetid("", case.opset)]
    if case.domain:
        opsets.append(helper.make_opsetid(case.domain, 5 if case.domain == ML else 1))
    try:
        ir_version = helper.find_min_ir_version_for(opsets)
    except ValueError:  # an opset newer than onnx's version table (the ops of opset 27)
        ir_version = onnx.IR_VERSION
    return helper.make_model(graph, opset_imports=opsets, ir_version=ir_version)


def type_of(value, shaped=False) -> onnx.TypeProto:
    """The ONNX type of a feed or an output: a tensor, or a sequence (a Python list) of float tensors if empty."""
    if isinstance(value, list):
        elem = helper.np_dtype_to_tensor_dtype(value[0].dtype) if value else onnx.TensorProto.FLOAT
        return helper.make_sequence_type_proto(helper.make_tensor_type_proto(elem, None))
    value = np.asarray(value)
    return helper.make_tensor_type_proto(helper.np_dtype_to_tensor_dtype(value.dtype),
                                         value.shape if shaped else None)


def feeds_for(case: Case) -> dict:
    return {f"in{i}": v for i, v in enumerate(case.inputs) if v is not None and i not in case.consts}


def expected(case: Case, feeds: dict):
    if case.oracle == "ort":
        sess = onnxruntime.InferenceSession(model_for(case, _types(case, feeds)).SerializeToString(),
                                            providers=["CPUExecutionProvider"])
        return sess.run(None, feeds)
    outputs = ReferenceEvaluator(model_for(case)).run(None, feeds)
    if case.reference_dtype is not None:
        outputs = [np.asarray(o).astype(case.reference_dtype) for o in outputs]
    return outputs


def _types(case: Case, feeds: dict):
    """Output types from ONNX shape inference (onnxruntime needs typed graph outputs)."""
    inferred = onnx.shape_inference.infer_shapes(model_for(case), strict_mode=True)
    return [o.type for o in inferred.graph.output]


def assert_same(got, want, name):
    if isinstance(want, list):  # a sequence
        assert isinstance(got, list) and len(got) == len(want), f"{name}: {got!r} is not a sequence like {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{name}[{i}]")
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    if want.dtype.kind == "f":
        assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
        np.testing.assert_allclose(got, want, equal_nan=True, err_msg=name,
                                   **(FLOAT16_TOLERANCE if want.dtype == np.float16 else FLOAT_TOLERANCE))
    elif want.dtype.kind in "OUS":
        assert got.tolist() == want.tolist(), name
    else:
        assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
        np.testing.assert_array_equal(got, want, err_msg=name)


def check(case: Case):
    feeds = feeds_for(case)
    want = expected(case, feeds)
    model = model_for(case, [type_of(w) for w in want])
    sess = kiln.InferenceSession(model.SerializeToString(), providers=[CPU])
    got = sess.run(None, feeds)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert_same(g, w, f"{case.id} output {i}")


def params(cases):
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
            for c in cases]


# ---------------------------------------------------------------------------------------------------- Unary
UNARY = [
    Case(f"{op}", op, [f32(3, 4)]) for op in
    ["Abs", "Neg", "Exp", "Sigmoid", "Tanh", "Relu", "Erf", "Sin", "Cos", "Atan", "Asinh", "Ceil", "Floor",
     "Round", "Sign", "Softplus", "Softsign", "HardSwish", "Mish", "Elu", "Selu", "Celu", "HardSigmoid",
     "Identity", "Sinh", "Cosh", "Tan"]
] + [
    Case("Log", "Log", [pos(3, 4)]),
    Case("Sqrt", "Sqrt", [pos(3, 4)]),
    Case("Reciprocal", "Reciprocal", [pos(3, 4)]),
    Case("Acos", "Acos", [f32(3, 4, low=-0.99, high=0.99)]),
    Case("Asin", "Asin", [f32(3, 4, low=-0.99, high=0.99)]),
    Case("Atanh", "Atanh", [f32(3, 4, low=-0.9, high=0.9)]),
    Case("Acosh", "Acosh", [f32(3, 4, low=1.1, high=4.0)]),
    Case("LeakyRelu_alpha", "LeakyRelu", [f32(3, 4)], {"alpha": 0.3}),
    Case("ThresholdedRelu", "ThresholdedRelu", [f32(3, 4)], {"alpha": 0.5}),
    Case("Gelu_none", "Gelu", [f32(3, 4)], opset=20),
    Case("Gelu_tanh", "Gelu", [f32(3, 4)], {"approximate": "tanh"}, opset=20),
    Case("Clip_min_max", "Clip", [f32(3, 4), np.array(-0.5, np.float32), np.array(0.7, np.float32)]),
    Case("Clip_max_only", "Clip", [f32(3, 4), None, np.array(0.7, np.float32)]),
    Case("Clip_int32", "Clip", [ints(3, 4, dtype=np.int32), np.array(-5, np.int32), np.array(9, np.int32)]),
    Case("Not", "Not", [RNG.integers(0, 2, (3, 4)).astype(bool)]),
    Case("Abs_int32", "Abs", [ints(3, 4, dtype=np.int32)]),
    Case("Neg_int64", "Neg", [ints(3, 4)]),
    Case("Round_half_to_even", "Round", [np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49], np.float32)]),
    Case("Sign_int", "Sign", [ints(7)]),
    # empty tensors
    Case("Relu_empty", "Relu", [f32(0, 3)]),
    Case("Exp_empty", "Exp", [f32(2, 0, 3)]),
    Case("Neg_int_empty", "Neg", [ints(0)]),
    # integer overflow: Abs/Neg of INT_MIN wrap (two's complement), as numpy and onnxruntime do
    Case("Abs_int32_min", "Abs", [np.array([np.iinfo(np.int32).min, -1, 0, 7], np.int32)]),
    Case("Abs_int8_min", "Abs", [np.array([-128, -127, 5], np.int8)]),
    Case("Neg_int32_min", "Neg", [np.array([np.iinfo(np.int32).min, 3], np.int32)]),
    # NaN / Inf
    Case("Relu_inf_nan", "Relu", [np.array([np.inf, -np.inf, np.nan, 0.0, -0.0], np.float32)]),
    Case("Sigmoid_inf_nan", "Sigmoid", [np.array([np.inf, -np.inf, np.nan, 100.0, -100.0], np.float32)]),
    Case("Exp_inf_nan", "Exp", [np.array([np.inf, -np.inf, np.nan, 100.0, -100.0], np.float32)]),
    Case("Tanh_inf_nan", "Tanh", [np.array([np.inf, -np.inf, np.nan, 30.0], np.float32)]),
    Case("Sqrt_negative", "Sqrt", [np.array([-1.0, -0.0, 0.0, 4.0, np.inf, np.nan], np.float32)]),
    Case("Log_zero", "Log", [np.array([0.0, -0.0, -1.0, np.inf, np.nan, 1.0], np.float32)]),
    # onnx.reference computes log(exp(x) + 1) in float32, which overflows to inf at x = 100 (softplus(100) = 100)
    Case("Softplus_inf", "Softplus", [np.array([np.inf, -np.inf, np.nan, 100.0, -100.0], np.float32)], oracle="ort"),
    Case("Abs_nan", "Abs", [np.array([np.nan, -np.inf], np.float32)]),
    Case("Clip_nan", "Clip", [np.array([np.nan, np.inf, -np.inf, 0.2], np.float32),
                              np.array(-1.0, np.float32), np.array(1.0, np.float32)]),
    Case("IsNaN", "IsNaN", [np.array([np.nan, np.inf, -np.inf, 0.0, 1.0], np.float32)]),
    Case("IsInf", "IsInf", [np.array([np.nan, np.inf, -np.inf, 0.0, 1.0], np.float32)]),
    Case("IsInf_positive_only", "IsInf", [np.array([np.nan, np.inf, -np.inf, 0.0], np.float32)],
         {"detect_negative": 0}),
    Case("IsInf_negative_only", "IsInf", [np.array([np.nan, np.inf, -np.inf, 0.0], np.float32)],
         {"detect_positive": 0}),
    Case("IsNaN_empty", "IsNaN", [f32(0, 2)]),
    Case("Relu_int8", "Relu", [np.array([-128, 127, 0, -1], np.int8)]),
    Case("Clip_min_above_max", "Clip", [f32(5), np.array(1.0, np.float32), np.array(-1.0, np.float32)]),
    Case("Clip_int64_extremes", "Clip", [np.array([I64.min, I64.max, 0], np.int64), np.array(-5, np.int64)]),
    # NaN goes through every activation below (onnx.reference and onnxruntime agree)
    Case("Selu_inf_nan", "Selu", [np.array([np.nan, np.inf, -np.inf, -0.0, 1.0], np.float32)]),
    Case("Celu_nan", "Celu", [np.array([np.nan, np.inf, -np.inf, -0.0, 1.0], np.float32)]),
    Case("HardSigmoid_nan", "HardSigmoid", [np.array([np.inf, -np.inf, np.nan], np.float32)]),
    Case("LeakyRelu_inf_nan", "LeakyRelu", [np.array([-np.inf, np.inf, np.nan], np.float32)]),
    Case("PRelu_inf_nan", "PRelu", [np.array([np.nan, np.inf, -np.inf, -0.0, 1.0], np.float32),
                                    np.array([0.5], np.float32)]),
    Case("Mish_inf_nan", "Mish", [np.array([np.nan, np.inf, -np.inf, -0.0, 1.0], np.float32)]),
    Case("Erf_inf_nan", "Erf", [np.array([np.inf, -np.inf, np.nan, 10.0], np.float32)]),
    Case("Gelu_inf_nan", "Gelu", [np.array([np.inf, -np.inf, np.nan, -30.0], np.float32)], opset=20),
    Case("Elu_inf_nan", "Elu", [np.array([np.inf, -np.inf, np.nan, -100.0], np.float32)]),
    Case("HardSwish_inf_nan", "HardSwish", [np.array([np.inf, -np.inf, np.nan, -3.0, 3.0], np.float32)]),
    Case("Reciprocal_zero", "Reciprocal", [np.array([0.0, -0.0, np.inf, -np.inf, np.nan], np.float32)]),
    Case("Neg_int8_min", "Neg", [np.array([-128, 127, 0], np.int8)]),
    Case("Abs_int64_min", "Abs", [np.array([np.iinfo(np.int64).min, -3], np.int64)]),
    Case("Floor_Ceil_empty", "Floor", [f32(3, 0)]),
    Case("Sigmoid_empty_double", "Sigmoid", [np.zeros((0,), np.float64)]),
    Case("Round_nan_inf", "Round", [np.array([np.nan, np.inf, -np.inf], np.float32)]),
    Case("Sign_nan", "Sign", [np.array([np.nan, -np.inf, np.inf, -0.0], np.float32)]),
]


@pytest.mark.parametrize("case", params(UNARY))
def test_unary(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Binary
I32 = np.iinfo(np.int32)
BINARY = [
    Case(f"{op}", op, [f32(3, 4), f32(3, 4)]) for op in ["Add", "Sub", "Mul", "Max", "Min", "Mean", "Sum"]
] + [
    Case("Div", "Div", [f32(3, 4), pos(3, 4)]),
    Case("Pow", "Pow", [pos(3, 4), f32(3, 4)]),
    Case("Pow_int_exponent", "Pow", [f32(3, 4), ints(3, 4, low=0, high=4)]),
    Case("Pow_int64", "Pow", [ints(3, 4, low=-5, high=5), ints(3, 4, low=0, high=5)]),
    Case("PRelu", "PRelu", [f32(2, 3, 4), f32(3, 1)]),
    Case("Max_three", "Max", [f32(3, 4), f32(4), f32(1, 1)]),
    Case("Sum_three", "Sum", [f32(3, 4), f32(4), f32(3, 1)]),
    Case("Mean_three", "Mean", [f32(3, 4), f32(4), f32(3, 1)]),
    Case("Equal_int", "Equal", [ints(3, 4, low=0, high=3), ints(3, 4, low=0, high=3)]),
    Case("Greater", "Greater", [f32(3, 4), f32(3, 4)]),
    Case("GreaterOrEqual", "GreaterOrEqual", [ints(3, 4, low=0, high=3), ints(3, 4, low=0, high=3)]),
    Case("Less", "Less", [f32(3, 4), f32(4)]),
    Case("LessOrEqual", "LessOrEqual", [ints(3, 4, low=0, high=3), ints(4, low=0, high=3)]),
    Case("And", "And", [RNG.integers(0, 2, (3, 4)).astype(bool), RNG.integers(0, 2, (3, 4)).astype(bool)]),
    Case("Or", "Or", [RNG.integers(0, 2, (3, 4)).astype(bool), RNG.integers(0, 2, (4,)).astype(bool)]),
    Case("Xor", "Xor", [RNG.integers(0, 2, (3, 4)).astype(bool), RNG.integers(0, 2, (3, 1)).astype(bool)]),
    Case("BitShift_left", "BitShift", [RNG.integers(0, 255, (3, 4)).astype(np.uint8),
                                       RNG.integers(0, 8, (3, 4)).astype(np.uint8)], {"direction": "LEFT"}),
    Case("BitShift_right_uint32", "BitShift", [RNG.integers(0, 2**31, (5,)).astype(np.uint32),
                                               RNG.integers(0, 31, (5,)).astype(np.uint32)], {"direction": "RIGHT"}),
    Case("BitwiseAnd", "BitwiseAnd", [ints(3, 4, dtype=np.int32), ints(3, 4, dtype=np.int32)], opset=18),
    Case("BitwiseOr", "BitwiseOr", [ints(3, 4, dtype=np.int32), ints(4, dtype=np.int32)], opset=18),
    Case("BitwiseXor", "BitwiseXor", [ints(3, 4, dtype=np.int16), ints(3, 4, dtype=np.int16)], opset=18),
    Case("Where", "Where", [RNG.integers(0, 2, (3, 4)).astype(bool), f32(3, 4), f32(4)]),
    Case("Where_broadcast_all", "Where", [RNG.integers(0, 2, (3, 1)).astype(bool), f32(1, 4),
                                          ints(4).astype(np.float32)]),
    # broadcasting
    Case("Add_scalar", "Add", [f32(3, 4), np.array(1.5, np.float32)]),
    Case("Add_scalar_first", "Add", [np.array(1.5, np.float32), f32(3, 4)]),
    Case("Mul_row_col", "Mul", [f32(1, 5), f32(4, 1)]),
    Case("Sub_rank_mismatch", "Sub", [f32(2, 3, 4), f32(4)]),
    Case("Div_rank_mismatch", "Div", [f32(5), pos(2, 3, 1)]),
    Case("Max_row_col", "Max", [f32(4, 1), f32(1, 3)]),
    Case("Where_rank_mismatch", "Where", [RNG.integers(0, 2, (4,)).astype(bool), f32(2, 3, 4),
                                          np.array(0.0, np.float32)]),
    # empty tensors
    Case("Add_empty", "Add", [f32(0, 4), f32(0, 4)]),
    Case("Mul_empty_broadcast", "Mul", [f32(0, 4), f32(1, 4)]),
    Case("Add_empty_broadcast_from_zero", "Add", [f32(0, 1), f32(1, 3)]),
    Case("Max_empty_broadcast", "Max", [f32(0, 3), f32(3)]),
    Case("Add_empty_scalar", "Add", [f32(2, 0), np.array(3.0, np.float32)]),
    Case("Equal_empty", "Equal", [ints(0, 3), ints(1, 3)]),
    Case("Where_empty", "Where", [np.zeros((0, 2), bool), f32(0, 2), f32(2)]),
    # integer overflow wraps like numpy
    Case("Add_int8_wrap", "Add", [np.array([127, -128, 100, -100], np.int8), np.array([1, -1, 100, -100], np.int8)]),
    Case("Sub_int8_wrap", "Sub", [np.array([-128, 127], np.int8), np.array([1, -1], np.int8)]),
    Case("Mul_int8_wrap", "Mul", [np.array([64, -128, 16, 100], np.int8), np.array([2, -1, 16, 3], np.int8)]),
    Case("Add_int32_wrap", "Add", [np.array([I32.max, I32.min], np.int32), np.array([1, -1], np.int32)]),
    Case("Sub_int32_wrap", "Sub", [np.array([I32.min, I32.max], np.int32), np.array([1, -1], np.int32)]),
    Case("Mul_int32_wrap", "Mul", [np.array([I32.max, 65536, I32.min], np.int32), np.array([2, 65536, -1], np.int32)]),
    Case("Max_int8", "Max", [np.array([-128, 127, 3], np.int8), np.array([127, -128, 3], np.int8)]),
    Case("Min_uint8_broadcast", "Min", [RNG.integers(0, 255, (3, 4)).astype(np.uint8), np.array(100, np.uint8)]),
    Case("Mul_int64_wrap", "Mul", [np.array([2**62, -(2**62)], np.int64), np.array([4, 3], np.int64)]),
    Case("Add_uint8_wrap", "Add", [np.array([255, 200], np.uint8), np.array([1, 100], np.uint8)]),
    # integer Div truncates toward zero
    Case("Div_int32_truncates", "Div", [np.array([7, -7, 7, -7, 0, 1], np.int32),
                                        np.array([2, 2, -2, -2, 3, -3], np.int32)]),
    Case("Div_int64_truncates", "Div", [ints(4, 5, low=-100, high=100), ints(4, 5, low=1, high=9) *
                                        np.where(RNG.integers(0, 2, (4, 5)) == 1, 1, -1)]),
    # Mod: fmod=0 takes the divisor's sign (Python %), fmod=1 the dividend's (C fmod)
    Case("Mod_int_fmod0", "Mod", [np.array([7, -7, 7, -7, 6, -6], np.int32),
                                  np.array([3, 3, -3, -3, 3, -3], np.int32)]),
    Case("Mod_int_fmod1", "Mod", [np.array([7, -7, 7, -7, 6, -6], np.int32), np.array([3, 3, -3, -3, 3, -3], np.int32)],
         {"fmod": 1}),
    Case("Mod_int64_fmod0_random", "Mod", [ints(4, 5), ints(4, 5, low=1, high=9) *
                                           np.where(RNG.integers(0, 2, (4, 5)) == 1, 1, -1)]),
    Case("Mod_float_fmod1", "Mod", [f32(3, 4, low=-9, high=9), f32(3, 4, low=0.5, high=3) *
                                    np.where(RNG.integers(0, 2, (3, 4)) == 1, 1, -1).astype(np.float32)],
         {"fmod": 1}),
    Case("Mod_int64_fmod1_random", "Mod", [ints(4, 5), ints(4, 5, low=1, high=9) *
                                           np.where(RNG.integers(0, 2, (4, 5)) == 1, 1, -1)], {"fmod": 1}),
    Case("Div_int8_truncates", "Div", [np.array([-128, 127, -7, 7], np.int8), np.array([-3, -2, 2, -4], np.int8)]),
    Case("Mod_int8_fmod0", "Mod", [np.array([-128, 127, -5], np.int8), np.array([3, -3, 2], np.int8)]),
    # NaN / Inf
    Case("Max_nan", "Max", [np.array([np.nan, 1.0, np.nan, -np.inf], np.float32),
                            np.array([1.0, np.nan, np.nan, np.inf], np.float32)]),
    Case("Min_nan", "Min", [np.array([np.nan, 1.0, np.nan, -np.inf], np.float32),
                            np.array([1.0, np.nan, np.nan, np.inf], np.float32)]),
    Case("Max_nan_three_inputs", "Max", [np.array([np.nan, 1.0, 2.0], np.float32), np.array([1.0], np.float32),
                                         np.array([0.0, 5.0, np.nan], np.float32)]),
    Case("Mean_nan_inf", "Mean", [np.array([np.nan, 1.0], np.float32), np.array([1.0, np.inf], np.float32)]),
    Case("Mod_float_fmod1_special", "Mod", [np.array([5.0, np.inf, 5.0, np.nan, -0.0, -5.0], np.float32),
                                            np.array([0.0, 2.0, np.inf, 1.0, 3.0, np.inf], np.float32)], {"fmod": 1}),
    Case("Add_inf", "Add", [np.array([np.inf, np.inf, -np.inf, np.nan], np.float32),
                            np.array([1.0, -np.inf, -np.inf, 1.0], np.float32)]),
    Case("Div_by_zero_float", "Div", [np.array([1.0, -1.0, 0.0, np.inf], np.float32),
                                      np.array([0.0, 0.0, 0.0, np.inf], np.float32)]),
    Case("Equal_nan", "Equal", [np.array([np.nan, 1.0, np.inf], np.float32),
                                np.array([np.nan, 1.0, np.inf], np.float32)]),
    Case("Less_nan", "Less", [np.array([np.nan, 1.0, -np.inf], np.float32),
                              np.array([1.0, np.nan, np.inf], np.float32)]),
    Case("Pow_inf", "Pow", [np.array([np.inf, 0.0, -1.0, np.nan, 1.0], np.float32),
                            np.array([-1.0, -1.0, 0.5, 0.0, np.nan], np.float32)]),
]


@pytest.mark.parametrize("case", params(BINARY))
def test_binary(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Reduce
REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSumExp", "ReduceSumSquare"]
REDUCE = [
    Case(f"{op}_axis1_keepdims{k}", op, [f32(3, 4, 5), i64(1)], {"keepdims": k}, consts=(1,))
    for op in REDUCE_OPS for k in (0, 1)
] + [
    Case("ReduceLogSum", "ReduceLogSum", [pos(3, 4, 5), i64(0, 2)], consts=(1,)),
    Case("ReduceSum_all", "ReduceSum", [f32(3, 4, 5)], {"keepdims": 0}),
    Case("ReduceMax_all_keepdims", "ReduceMax", [f32(3, 4, 5)]),
    Case("ReduceSum_int64", "ReduceSum", [ints(3, 4), i64(0)], consts=(1,)),
    Case("ReduceMax_int32", "ReduceMax", [ints(3, 4, dtype=np.int32), i64(1)], consts=(1,)),
    Case("ReduceSum_noop_empty_axes", "ReduceSum", [f32(3, 4), np.array([], np.int64)], {"noop_with_empty_axes": 1},
         consts=(1,)),
    Case("ReduceSum_empty_axes_reduces_all", "ReduceSum", [f32(3, 4), np.array([], np.int64)], {"keepdims": 0},
         consts=(1,)),
    Case("ReduceLogSumExp_large", "ReduceLogSumExp", [np.array([[1000.0, 1000.0], [-1000.0, -1000.0]], np.float32),
                                                      i64(1)], consts=(1,)),
    Case("ReduceProd_int32", "ReduceProd", [ints(3, 4, low=-4, high=4, dtype=np.int32), i64(0)], consts=(1,)),
    Case("ReduceSum_axes_runtime_input", "ReduceSum", [f32(3, 4, 5), i64(0, 2)]),
    # negative axes
    Case("ReduceSum_negative_axis", "ReduceSum", [f32(3, 4, 5), i64(-1)], consts=(1,)),
    Case("ReduceMean_negative_axes", "ReduceMean", [f32(3, 4, 5), i64(-3, -1)], {"keepdims": 0}, consts=(1,)),
    Case("ArgMax_negative_axis", "ArgMax", [f32(3, 4, 5)], {"axis": -1}),
    # ArgMax/ArgMin; select_last_index with ties
    Case("ArgMax", "ArgMax", [f32(3, 4, 5)], {"axis": 1}),
    Case("ArgMin_keepdims0", "ArgMin", [f32(3, 4, 5)], {"axis": 2, "keepdims": 0}),
    Case("ArgMax_ties_first", "ArgMax", [np.array([[1, 3, 3, 0], [2, 2, 1, 2]], np.float32)], {"axis": 1}),
    Case("ArgMax_ties_last", "ArgMax", [np.array([[1, 3, 3, 0], [2, 2, 1, 2]], np.float32)],
         {"axis": 1, "select_last_index": 1}),
    Case("ArgMin_int", "ArgMin", [ints(3, 4)], {"axis": 0}),
    # empty tensors: reducing a non-empty axis of an empty tensor, and reducing an empty axis (identity values)
    Case("ReduceSum_empty_other_axis_keepdims1", "ReduceSum", [f32(0, 4), i64(1)], {"keepdims": 1}, consts=(1,)),
    Case("ReduceSum_empty_other_axis_keepdims0", "ReduceSum", [f32(0, 4), i64(1)], {"keepdims": 0}, consts=(1,)),
] + [
    Case(f"{op}_empty_axis_keepdims{k}", op, [f32(2, 0, 3), i64(1)], {"keepdims": k}, consts=(1,))
    for op in ["ReduceSum", "ReduceProd", "ReduceMean", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSumExp",
               "ReduceLogSum", "ReduceMax", "ReduceMin"] for k in (0, 1)
] + [
    Case("ReduceProd_empty_all_axes", "ReduceProd", [f32(0, 3)], {"keepdims": 0}),
    Case("ReduceMax_empty_all_axes", "ReduceMax", [f32(0, 3)], {"keepdims": 0}),
    Case("ReduceSum_empty_all_axes_keepdims", "ReduceSum", [f32(0, 0)]),
    Case("ReduceMax_int32_empty_axis", "ReduceMax", [np.zeros((2, 0), np.int32), i64(1)], consts=(1,)),
    Case("ReduceMin_int64_empty_axis", "ReduceMin", [np.zeros((2, 0), np.int64), i64(1)], {"keepdims": 0},
         consts=(1,)),
    # NaN / Inf
    Case("ReduceMax_nan", "ReduceMax", [np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 0.0], [-np.inf, 2.0, 1.0]],
                                                 np.float32), i64(1)], consts=(1,)),
    Case("ReduceMin_nan", "ReduceMin", [np.array([[1.0, np.nan, 3.0], [-np.inf, 2.0, 1.0]], np.float32), i64(1)],
         consts=(1,)),
    Case("ReduceMax_nan_all_axes", "ReduceMax", [np.array([[np.nan, 1.0], [3.0, np.nan]], np.float32)],
         {"keepdims": 0}),
    Case("ReduceMin_nan_first", "ReduceMin", [np.array([[np.nan, 1.0], [3.0, np.nan]], np.float32), i64(1)],
         consts=(1,)),
    Case("ReduceL2_inf", "ReduceL2", [np.array([[np.inf, 1.0], [3.0, 4.0]], np.float32), i64(1)], consts=(1,)),
    # onnx.reference subtracts the row's max, -inf - -inf = NaN; the sum of exp(-inf) is 0 and its log -inf
    Case("ReduceLogSumExp_all_minus_inf", "ReduceLogSumExp",
         [np.array([[np.inf, 1.0], [-np.inf, -np.inf]], np.float32), i64(1)], consts=(1,), oracle="ort"),
    Case("ReduceSum_inf", "ReduceSum", [np.array([[np.inf, 1.0], [np.inf, -np.inf]], np.float32), i64(1)],
         consts=(1,)),
    Case("ArgMax_inf", "ArgMax", [np.array([[1.0, np.inf, 3.0], [-np.inf, -np.inf, -1.0]], np.float32)], {"axis": 1}),
]


@pytest.mark.parametrize("case", params(REDUCE))
def test_reduce(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Norm
NORM = [
    Case("BatchNormalization", "BatchNormalization", [f32(2, 3, 4, 4), f32(3), f32(3), f32(3), pos(3)]),
    Case("InstanceNormalization", "InstanceNormalization", [f32(2, 3, 5), f32(3), f32(3)]),
    Case("LayerNormalization", "LayerNormalization", [f32(2, 3, 8), f32(8), f32(8)], {"axis": -1}),
    Case("LayerNormalization_axis1", "LayerNormalization", [f32(2, 3, 4), f32(3, 4), f32(3, 4)], {"axis": 1}),
    # onnx.reference's p=1 norm is wrong (it flips signs of whole rows); onnxruntime divides by sum(|x|)
    Case("LpNormalization_p1", "LpNormalization", [f32(3, 5)], {"axis": 1, "p": 1}, oracle="ort"),
    Case("LpNormalization_p2", "LpNormalization", [f32(3, 5)], {"axis": 0, "p": 2}),
    Case("Softmax", "Softmax", [f32(3, 5)]),
    Case("Softmax_axis1", "Softmax", [f32(2, 3, 4)], {"axis": 1}),
    Case("Softmax_negative_axis", "Softmax", [f32(2, 3, 4)], {"axis": -2}),
    Case("Softmax_large", "Softmax", [f32(2, 5) * 500]),
    Case("Softmax_inf", "Softmax", [np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, np.inf]], np.float32)]),
    Case("LogSoftmax", "LogSoftmax", [f32(3, 5)]),
    Case("LogSoftmax_negative_axis", "LogSoftmax", [f32(2, 3, 4)], {"axis": -3}),
    Case("Hardmax", "Hardmax", [f32(3, 5)]),
    Case("Hardmax_ties_negative_axis", "Hardmax", [np.array([[1, 3, 3], [2, 2, 2]], np.float32)], {"axis": -1}),
    Case("Softmax_empty", "Softmax", [f32(0, 4)]),
    Case("Softmax_axis_of_one", "Softmax", [f32(3, 1)], {"axis": -1}),
    # onnx.reference takes the log of an underflowed softmax (-inf); the exact values are x - max - log(sum(exp))
    Case("LogSoftmax_large", "LogSoftmax", [np.array([[1000.0, 0.0, -1000.0]], np.float32)], oracle="ort"),
    Case("LayerNormalization_mean_inv_std_outputs", "LayerNormalization", [f32(2, 3, 4), f32(4), f32(4)], outputs=3),
    Case("LayerNormalization_no_bias_axis0", "LayerNormalization", [f32(2, 3), f32(2, 3)], {"axis": 0}),
    Case("BatchNormalization_training", "BatchNormalization", [f32(2, 3, 4), f32(3), f32(3), f32(3), pos(3)],
         {"training_mode": 1}, outputs=3),
    Case("InstanceNormalization_epsilon", "InstanceNormalization", [f32(1, 2, 3, 3), f32(2), f32(2)], {"epsilon": 0.5}),
    Case("Hardmax_axis0", "Hardmax", [f32(3, 4)], {"axis": 0}),
]


@pytest.mark.parametrize("case", params(NORM))
def test_norm(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Pool, Conv
POOL = [
    Case("MaxPool", "MaxPool", [f32(1, 2, 6, 6)], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    Case("MaxPool_pads_dilations", "MaxPool", [f32(1, 2, 7, 7)],
         {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "dilations": [2, 1]}),
    Case("MaxPool_ceil", "MaxPool", [f32(1, 1, 7, 7)], {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
    # onnx.reference's Indices are not the spec's flat index over (N, C, H, W); onnxruntime's are
    Case("MaxPool_indices", "MaxPool", [f32(1, 2, 4, 4)], {"kernel_shape": [2, 2]}, outputs=2, oracle="ort"),
    Case("MaxPool_1d", "MaxPool", [f32(2, 3, 9)], {"kernel_shape": [3], "strides": [2]}),
    Case("AveragePool", "AveragePool", [f32(1, 2, 6, 6)], {"kernel_shape": [3, 3]}),
    Case("AveragePool_pads_exclude", "AveragePool", [f32(1, 2, 5, 5)], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    Case("AveragePool_pads_include", "AveragePool", [f32(1, 2, 5, 5)],
         {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
    Case("AveragePool_same_upper", "AveragePool", [f32(1, 1, 5, 6)],
         {"kernel_shape": [2, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    Case("LpPool", "LpPool", [f32(1, 2, 5, 5)], {"kernel_shape": [2, 2], "p": 2}),
    Case("GlobalAveragePool", "GlobalAveragePool", [f32(2, 3, 4, 5)]),
    Case("GlobalMaxPool", "GlobalMaxPool", [f32(2, 3, 4, 5)]),
    # onnx.reference has no GlobalLpPool
    Case("GlobalLpPool", "GlobalLpPool", [f32(2, 3, 4, 5)], {"p": 3}, oracle="ort"),
]

CONV = [
    Case("Conv", "Conv", [f32(1, 3, 7, 7), f32(4, 3, 3, 3), f32(4)]),
    Case("Conv_no_bias_pads_strides", "Conv", [f32(2, 3, 8, 8), f32(5, 3, 3, 3)],
         {"pads": [1, 2, 1, 0], "strides": [2, 1]}),
    Case("Conv_group_dilation", "Conv", [f32(1, 4, 9, 9), f32(6, 2, 3, 3), f32(6)], {"group": 2, "dilations": [2, 2]}),
    Case("Conv_depthwise", "Conv", [f32(1, 4, 6, 6), f32(4, 1, 3, 3)], {"group": 4, "pads": [1, 1, 1, 1]}),
    Case("Conv_1d", "Conv", [f32(2, 3, 10), f32(4, 3, 3), f32(4)], {"strides": [2]}),
    Case("Conv_3d", "Conv", [f32(1, 2, 4, 4, 4), f32(3, 2, 2, 2, 2)]),
    Case("Conv_same_lower", "Conv", [f32(1, 2, 5, 5), f32(3, 2, 2, 2)], {"auto_pad": "SAME_LOWER"}),
    Case("ConvTranspose", "ConvTranspose", [f32(1, 3, 4, 4), f32(3, 2, 3, 3), f32(2)]),
    Case("ConvTranspose_strides_pads", "ConvTranspose", [f32(1, 2, 4, 4), f32(2, 3, 3, 3)],
         {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
    # onnx.reference's ConvTranspose fails on group > 1
    Case("ConvTranspose_group", "ConvTranspose", [f32(1, 4, 3, 3), f32(4, 1, 2, 2)], {"group": 2}, oracle="ort"),
    Case("ConvTranspose_auto_pad_same", "ConvTranspose", [f32(1, 2, 3, 3), f32(2, 2, 3, 3)],
         {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    Case("ConvTranspose_output_shape", "ConvTranspose", [f32(1, 2, 3, 3), f32(2, 2, 3, 3)],
         {"strides": [2, 2], "output_shape": [8, 8]}),
    Case("ConvTranspose_dilations_1d", "ConvTranspose", [f32(1, 2, 5), f32(2, 3, 3)], {"dilations": [2]}),
    Case("AveragePool_ceil_pads", "AveragePool", [f32(1, 1, 6, 6)],
         {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}),
    Case("AveragePool_dilations", "AveragePool", [f32(1, 1, 7, 7)], {"kernel_shape": [2, 2], "dilations": [2, 2]}),
    Case("AveragePool_inf", "AveragePool", [np.array([[[[np.inf, 1.0, -np.inf, 2.0]]]], np.float32)],
         {"kernel_shape": [1, 2]}),
    # onnx.reference's Indices are wrong (see MaxPool_indices) and it has no integer MaxPool
    Case("MaxPool_indices_column_major", "MaxPool", [f32(1, 1, 4, 4)], {"kernel_shape": [2, 2], "storage_order": 1},
         outputs=2, oracle="ort"),
    Case("MaxPool_int8", "MaxPool", [ints(1, 1, 4, 4, dtype=np.int8)], {"kernel_shape": [2, 2]}, oracle="ort"),
    Case("MaxPool_3d", "MaxPool", [f32(1, 1, 4, 4, 4)], {"kernel_shape": [2, 2, 2], "strides": [2, 1, 2]}),
    Case("LpPool_p1_pads", "LpPool", [f32(1, 1, 5, 5)],
         {"kernel_shape": [3, 3], "p": 1, "pads": [1, 1, 1, 1], "strides": [2, 2]}),
    Case("ConvInteger_int8_pads", "ConvInteger", [ints(1, 2, 4, 4, low=-100, high=100, dtype=np.int8),
                                                  ints(3, 2, 2, 2, low=-100, high=100, dtype=np.int8)],
         {"pads": [1, 1, 1, 1]}),
]


@pytest.mark.parametrize("case", params(POOL + CONV))
def test_pool_conv(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- MatMul
MATMUL = [
    Case("MatMul", "MatMul", [f32(3, 4), f32(4, 5)]),
    Case("MatMul_batched_broadcast", "MatMul", [f32(2, 1, 3, 4), f32(3, 4, 5)]),
    Case("MatMul_1d_left", "MatMul", [f32(4), f32(2, 4, 5)]),
    Case("MatMul_1d_right", "MatMul", [f32(2, 3, 4), f32(4)]),
    Case("MatMul_1d_both", "MatMul", [f32(4), f32(4)]),
    Case("MatMul_int64", "MatMul", [ints(3, 4, low=-9, high=9), ints(4, 2, low=-9, high=9)]),
    Case("MatMul_empty_inner", "MatMul", [f32(3, 0), f32(0, 4)]),
    Case("MatMul_empty_batch", "MatMul", [f32(0, 2, 3), f32(3, 4)]),
    Case("MatMul_inf_nan", "MatMul", [np.array([[np.inf, 0.0]], np.float32), np.array([[1.0], [np.nan]], np.float32)]),
    Case("MatMul_empty_rows", "MatMul", [f32(0, 3), f32(3, 4)]),
    Case("Gemm", "Gemm", [f32(3, 4), f32(4, 5), f32(5)]),
    Case("Gemm_trans_alpha_beta", "Gemm", [f32(4, 3), f32(5, 4), f32(3, 1)],
         {"transA": 1, "transB": 1, "alpha": 0.5, "beta": 2.0}),
    Case("Gemm_no_c", "Gemm", [f32(3, 4), f32(4, 5)]),
    Case("Gemm_scalar_c", "Gemm", [f32(3, 4), f32(4, 5), np.array(1.5, np.float32)]),
]


@pytest.mark.parametrize("case", params(MATMUL))
def test_matmul(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Layout
FLOAT = onnx.TensorProto.FLOAT
LAYOUT = [
    # float -> int out of the target's range is undefined in the spec, so the float inputs stay in range
    Case("Cast_float_to_int32", "Cast", [f32(3, 4) * 50], {"to": onnx.TensorProto.INT32}),
    Case("Cast_int_to_float", "Cast", [ints(3, 4)], {"to": FLOAT}),
    Case("Cast_float_to_bool", "Cast", [np.array([0.0, -0.0, 1.5, np.nan, -np.inf], np.float32)],
         {"to": onnx.TensorProto.BOOL}),
    # int -> narrower int keeps the low bits (two's complement), as numpy and onnxruntime do
    Case("Cast_int64_to_int8_wraps", "Cast", [np.array([127, 128, 255, -129, 300], np.int64)],
         {"to": onnx.TensorProto.INT8}),
    Case("Cast_float_to_double_nan", "Cast", [np.array([np.nan, np.inf, 1.0], np.float32)],
         {"to": onnx.TensorProto.DOUBLE}),
    Case("Cast_float_to_float16", "Cast", [f32(3, 4) * 100], {"to": onnx.TensorProto.FLOAT16}),
    Case("Cast_empty", "Cast", [f32(0, 3)], {"to": onnx.TensorProto.INT64}),
    Case("CastLike", "CastLike", [f32(3) * 10, np.zeros(1, np.int32)]),
    Case("Concat", "Concat", [f32(2, 3), f32(2, 5)], {"axis": 1}),
    Case("Concat_three_axis0", "Concat", [f32(1, 3), f32(2, 3), f32(4, 3)], {"axis": 0}),
    Case("Concat_negative_axis", "Concat", [f32(2, 3, 1), f32(2, 3, 2)], {"axis": -1}),
    Case("Concat_empty_input", "Concat", [f32(2, 0), f32(2, 3)], {"axis": 1}),
    Case("Concat_all_empty", "Concat", [f32(0, 3), f32(0, 3)], {"axis": 0}),
    Case("Concat_empty_negative_axis_int", "Concat", [ints(0, 2), ints(0, 3)], {"axis": -1}),
    Case("Concat_rank1_empties_negative_axis", "Concat", [f32(0), f32(0), f32(2)], {"axis": -1}),
    Case("Concat_int64", "Concat", [ints(2), ints(3)], {"axis": 0}),
    Case("Expand", "Expand", [f32(3, 1), i64(2, 3, 4)], consts=(1,)),
    Case("Expand_smaller_shape", "Expand", [f32(2, 3), i64(3)], consts=(1,)),
    Case("Expand_both_ways", "Expand", [f32(3, 1), i64(1, 4)], consts=(1,)),
    Case("Expand_one_to_zero", "Expand", [f32(1, 1), i64(3, 0)], consts=(1,)),
    Case("Expand_to_empty", "Expand", [f32(1, 3), i64(0, 3)], consts=(1,)),
    Case("Flatten", "Flatten", [f32(2, 3, 4, 5)], {"axis": 2}),
    Case("Flatten_axis0", "Flatten", [f32(2, 3, 4)], {"axis": 0}),
    Case("Flatten_empty", "Flatten", [f32(2, 0, 3)], {"axis": 1}),
    Case("Flatten_negative_axis", "Flatten", [f32(2, 3, 4, 5)], {"axis": -1}),
    Case("Gather", "Gather", [f32(5, 4), i64(0, 4, 2, 2)], {"axis": 0}),
    Case("Gather_axis1_2d_indices", "Gather", [f32(3, 5, 2), np.array([[0, 1], [4, 3]], np.int64)], {"axis": 1}),
    Case("Gather_negative_axis", "Gather", [f32(3, 4, 5), i64(1, 0)], {"axis": -1}),
    Case("Gather_negative_indices", "Gather", [f32(5, 3), i64(-1, -5, 2)], {"axis": 0}),
    Case("Gather_int32_indices", "Gather", [ints(5, 3), np.array([4, 0], np.int32)], {"axis": 0}),
    Case("Gather_scalar_index", "Gather", [f32(5, 3), np.array(2, np.int64)], {"axis": 0}),
    # onnx.reference returns shape (0,) instead of indices.shape + data.shape[1:] = (0, 3)
    Case("Gather_empty_indices", "Gather", [f32(5, 3), np.zeros((0,), np.int64)], {"axis": 0}, oracle="ort"),
    Case("Gather_empty_negative_axis", "Gather", [f32(3, 0, 2), i64(1, -1)], {"axis": -1}),
    Case("Gather_empty_data_other_axis", "Gather", [f32(0, 3), i64(2, 0)], {"axis": 1}),
    Case("GatherElements", "GatherElements", [f32(3, 4), RNG.integers(0, 3, (2, 4)).astype(np.int64)], {"axis": 0}),
    # onnx.reference rejects an indices tensor smaller than data on a non-axis dimension, which the spec allows
    # onnx.reference returns shape (0,) instead of the indices' shape (0, 4)
    Case("GatherElements_empty_indices", "GatherElements", [f32(3, 4), np.zeros((0, 4), np.int64)], {"axis": 0},
         oracle="ort"),
    Case("GatherElements_negative", "GatherElements", [f32(3, 4), RNG.integers(-4, 4, (3, 2)).astype(np.int64)],
         {"axis": -1}, oracle="ort"),
    Case("Pad_constant", "Pad", [f32(2, 3), i64(0, 1, 2, 0), np.array(9.0, np.float32)], consts=(1, 2)),
    Case("Pad_empty_input", "Pad", [f32(0, 2), i64(1, 0, 1, 0)], consts=(1,)),
    Case("Pad_reflect", "Pad", [f32(3, 4), i64(1, 2, 1, 1)], {"mode": "reflect"}, consts=(1,)),
    Case("Pad_edge", "Pad", [f32(3, 4), i64(2, 0, 0, 2)], {"mode": "edge"}, consts=(1,)),
    Case("Pad_wrap", "Pad", [f32(3, 4), i64(1, 1, 1, 1)], {"mode": "wrap"}, consts=(1,)),
    # onnx.reference does not implement negative pads (cropping), which the spec allows
    Case("Pad_negative", "Pad", [f32(4, 5), i64(-1, 1, 0, -2)], consts=(1,), oracle="ort"),
    Case("Pad_axes_negative", "Pad", [f32(2, 3, 4), i64(1, 2), None, i64(-1)], consts=(1, 3)),
    Case("Range_float", "Range", [np.array(1.0, np.float32), np.array(4.0, np.float32), np.array(0.5, np.float32)]),
    Case("Range_int_negative_delta", "Range", [np.array(10, np.int64), np.array(1, np.int64), np.array(-3, np.int64)]),
    Case("Range_empty", "Range", [np.array(5, np.int32), np.array(1, np.int32), np.array(1, np.int32)]),
    Case("Reshape", "Reshape", [f32(2, 3, 4), i64(4, -1)], consts=(1,)),
    Case("Reshape_zero_copies", "Reshape", [f32(2, 3, 4), i64(0, 0, 2, 2)], consts=(1,)),
    Case("Reshape_allowzero_empty", "Reshape", [f32(0, 3), i64(3, 0)], {"allowzero": 1}, consts=(1,)),
    Case("Reshape_runtime_shape", "Reshape", [f32(2, 3, 4), i64(6, 4)]),
    Case("Shape", "Shape", [f32(2, 3, 4)]),
    Case("Shape_start_end", "Shape", [f32(2, 3, 4, 5)], {"start": 1, "end": -1}),
    Case("Size", "Size", [f32(2, 3, 4)]),
    Case("Size_empty", "Size", [f32(2, 0)]),
    Case("Slice", "Slice", [f32(5, 6), i64(1, 0), i64(4, 6)], consts=(1, 2)),
    Case("Slice_axes_steps", "Slice", [f32(5, 6, 3), i64(0, 1), i64(6, 5), i64(1, 2), i64(2, 3)], consts=(1, 2, 3, 4)),
    Case("Slice_negative_step", "Slice", [f32(5, 6), i64(-1), i64(-100), i64(1), i64(-2)], consts=(1, 2, 3, 4)),
    Case("Slice_negative_axes", "Slice", [f32(3, 4, 5), i64(1), i64(-1), i64(-1)], consts=(1, 2, 3)),
    Case("Slice_clamped", "Slice", [f32(3, 4), i64(-10, 2), i64(10, 1000)], consts=(1, 2)),
    Case("Slice_int64_max_end", "Slice", [f32(5, 3), i64(1), i64(I64.max), i64(0)], consts=(1, 2, 3)),
    Case("Slice_reverse_int64_extremes", "Slice", [f32(5, 3), i64(I64.max), i64(I64.min), i64(-2), i64(-1)],
         consts=(1, 2, 3, 4)),
    Case("Slice_negative_step_to_empty", "Slice", [f32(5, 3), i64(1), i64(3), i64(0), i64(-1)], consts=(1, 2, 3, 4)),
    Case("Slice_to_empty", "Slice", [f32(3, 4), i64(2), i64(2), i64(1)], consts=(1, 2, 3)),
    Case("Slice_of_empty", "Slice", [f32(0, 4), i64(1), i64(3), i64(1)], consts=(1, 2, 3)),
    Case("Slice_runtime_starts", "Slice", [f32(5, 6), i64(1, 2), i64(3, 5)]),
    Case("Split_equal", "Split", [f32(6, 4)], {"axis": 0, "num_outputs": 3}, outputs=3, opset=18),
    Case("Split_uneven_num_outputs", "Split", [f32(2, 7)], {"axis": 1, "num_outputs": 3}, outputs=3, opset=18),
    Case("Split_sizes", "Split", [f32(2, 6), i64(1, 5)], {"axis": 1}, outputs=2, consts=(1,)),
    Case("Split_negative_axis", "Split", [f32(2, 3, 6), i64(2, 4)], {"axis": -1}, outputs=2, consts=(1,)),
    Case("Split_empty_input", "Split", [f32(0, 4), i64(1, 3)], {"axis": -1}, outputs=2, consts=(1,)),
    Case("Split_zero_size_part", "Split", [f32(2, 6), i64(0, 6)], {"axis": 1}, outputs=2, consts=(1,)),
    Case("Squeeze", "Squeeze", [f32(1, 3, 1, 4)]),
    Case("Squeeze_axes", "Squeeze", [f32(1, 3, 1, 4), i64(2)], consts=(1,)),
    Case("Squeeze_empty", "Squeeze", [f32(1, 0, 1)]),
    Case("Squeeze_negative_axes", "Squeeze", [f32(1, 3, 1, 4), i64(-2, -4)], consts=(1,)),
    Case("Unsqueeze", "Unsqueeze", [f32(3, 4), i64(0, 3)], consts=(1,)),
    Case("Unsqueeze_negative_axes", "Unsqueeze", [f32(3, 4), i64(-1, -4)], consts=(1,)),
    Case("Unsqueeze_unsorted_negative", "Unsqueeze", [f32(3, 4), i64(-1, 0)], consts=(1,)),
    Case("Unsqueeze_empty", "Unsqueeze", [f32(0, 4), i64(1)], consts=(1,)),
    Case("Tile", "Tile", [f32(2, 3), i64(2, 3)], consts=(1,)),
    Case("Tile_empty", "Tile", [f32(0, 2), i64(3, 2)], consts=(1,)),
    Case("Tile_zero", "Tile", [f32(2, 3), i64(0, 2)], consts=(1,)),
    Case("Transpose_default", "Transpose", [f32(2, 3, 4)]),
    Case("Transpose_perm", "Transpose", [f32(2, 3, 4, 5)], {"perm": [0, 2, 3, 1]}),
    # Transpose's perm has no negative values in the spec (ONNX shape inference and onnxruntime reject them),
    # so perm is covered with non-negative axes only.
    Case("Transpose_perm_reverse_empty", "Transpose", [f32(2, 0, 3)], {"perm": [2, 1, 0]}),
    Case("Trilu_upper", "Trilu", [f32(4, 5)]),
    Case("Trilu_lower_k", "Trilu", [f32(2, 4, 5), np.array(-1, np.int64)], {"upper": 0}, consts=(1,)),
    Case("Trilu_upper_k_large", "Trilu", [f32(3, 4), np.array(2, np.int64)], consts=(1,)),
    Case("DepthToSpace_DCR", "DepthToSpace", [f32(1, 8, 2, 3)], {"blocksize": 2}),
    Case("DepthToSpace_CRD", "DepthToSpace", [f32(1, 8, 2, 3)], {"blocksize": 2, "mode": "CRD"}),
    Case("SpaceToDepth", "SpaceToDepth", [f32(1, 2, 4, 6)], {"blocksize": 2}),
    Case("ConstantOfShape", "ConstantOfShape", [i64(2, 3)],
         {"value": numpy_helper.from_array(np.array([7], np.int32))}),
    Case("ConstantOfShape_empty", "ConstantOfShape", [i64(0, 3)]),
    Case("EyeLike_k", "EyeLike", [f32(3, 5)], {"k": 1}),
    Case("EyeLike_dtype", "EyeLike", [f32(4, 3)], {"k": -1, "dtype": onnx.TensorProto.INT32}),
    Case("Identity_int", "Identity", [ints(3)]),
    Case("DepthToSpace_CRD_blocksize3", "DepthToSpace", [f32(2, 18, 2, 2)], {"blocksize": 3, "mode": "CRD"}),
    Case("Trilu_k_below_all", "Trilu", [f32(2, 3, 4), np.array(-5, np.int64)], consts=(1,)),
    Case("Trilu_lower_int64", "Trilu", [ints(4, 3), np.array(1, np.int64)], {"upper": 0}, consts=(1,)),
    Case("Range_float_fraction", "Range", [np.array(0.1, np.float32), np.array(1.0, np.float32),
                                           np.array(0.3, np.float32)]),
]


@pytest.mark.parametrize("case", params(LAYOUT))
def test_layout(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Index
INDEX = [
    Case("Compress_axis", "Compress", [f32(3, 4), np.array([True, False, True], bool)], {"axis": 0}),
    Case("Compress_flat", "Compress", [f32(3, 4), RNG.integers(0, 2, 12).astype(bool)]),
    Case("Compress_short_condition", "Compress", [f32(4, 3), np.array([False, True], bool)], {"axis": 0}),
    Case("Compress_negative_axis", "Compress", [f32(3, 4), np.array([0, 1, 1], bool)], {"axis": -1}),
    Case("CumSum", "CumSum", [f32(3, 4), np.array(1, np.int64)]),
    Case("CumSum_exclusive_reverse", "CumSum", [f32(3, 4), np.array(0, np.int64)], {"exclusive": 1, "reverse": 1}),
    Case("CumSum_empty", "CumSum", [f32(0, 3), np.array(0, np.int64)]),
    Case("CumSum_negative_axis_int", "CumSum", [ints(3, 4), np.array(-1, np.int32)]),
    Case("CumProd", "CumProd", [f32(3, 4), np.array(1, np.int64)], opset=26),
    Case("GatherND", "GatherND", [f32(3, 4, 5), np.array([[0, 1], [2, 3]], np.int64)]),
    Case("GatherND_batch_dims", "GatherND", [f32(2, 3, 4), np.array([[1], [2]], np.int64)], {"batch_dims": 1}),
    Case("GatherND_negative", "GatherND", [f32(3, 4), np.array([[-1, -2]], np.int64)]),
    Case("NonZero", "NonZero", [np.array([[0, 1.5, 0], [2.0, 0, -1.0]], np.float32)]),
    Case("NonZero_empty", "NonZero", [f32(0, 3)]),
    Case("NonZero_none", "NonZero", [np.zeros((2, 3), np.int32)]),
    Case("OneHot", "OneHot", [i64(0, 2, -1, 1), np.array(4, np.int64), np.array([0.0, 1.0], np.float32)]),
    Case("OneHot_negative_axis", "OneHot", [i64(0, 2, 1, -3), np.array(3, np.int64), np.array([0, 1], np.int64)],
         {"axis": -2}),
    Case("OneHot_axis0", "OneHot", [i64(0, 2, 1), np.array(3, np.int64), np.array([-1, 5], np.int32)], {"axis": 0}),
    Case("ReverseSequence", "ReverseSequence", [f32(4, 3, 2), i64(1, 4, 2)], {"batch_axis": 1, "time_axis": 0}),
    Case("ScatterElements", "ScatterElements", [f32(3, 4), np.array([[1, 0, 2, 0]], np.int64), f32(1, 4)],
         {"axis": 0}),
    Case("ScatterElements_add_negative", "ScatterElements", [f32(3, 4), np.array([[-1, 0, -1]], np.int64), f32(1, 3)],
         {"axis": -1, "reduction": "add"}),
    Case("ScatterElements_max", "ScatterElements", [f32(3, 4), np.array([[0, 0], [1, 1]], np.int64), f32(2, 2)],
         {"axis": 1, "reduction": "max"}, opset=18),
    Case("ScatterND", "ScatterND", [f32(4, 3), np.array([[1], [3]], np.int64), f32(2, 3)]),
    Case("ScatterND_negative_indices", "ScatterND", [f32(4, 3), np.array([[-1], [-4]], np.int64), f32(2, 3)]),
    Case("ScatterND_mul", "ScatterND", [f32(4, 3), np.array([[1, 2], [1, 2]], np.int64), f32(2)],
         {"reduction": "mul"}),
    Case("TopK", "TopK", [f32(3, 6), i64(3)], outputs=2),
    Case("TopK_smallest_axis0", "TopK", [f32(5, 3), i64(2)], {"axis": 0, "largest": 0}, outputs=2),
    Case("TopK_negative_axis_sorted", "TopK", [f32(2, 3, 5), i64(5)], {"axis": -1}, outputs=2),
    Case("TopK_ties", "TopK", [np.array([[1, 3, 3, 2, 3]], np.float32), i64(2)], outputs=2),
    Case("TopK_k0", "TopK", [f32(3, 4), i64(0)], outputs=2),
    Case("TopK_int", "TopK", [ints(4, 5), i64(2)], outputs=2),
    Case("Unique_sorted", "Unique", [ints(10, low=0, high=5)], outputs=4),
    Case("Unique_unsorted", "Unique", [ints(10, low=0, high=5)], {"sorted": 0}, outputs=4),
    Case("TensorScatter_linear", "TensorScatter", [f32(2, 3, 6, 4), f32(2, 3, 2, 4), i64(1, 3)], opset=24),
    Case("TensorScatter_circular_axis1", "TensorScatter", [f32(2, 5, 3), f32(2, 2, 3), i64(4, 0)],
         {"mode": "circular", "axis": 1}, opset=24),
    Case("Unique_empty", "Unique", [np.zeros(0, np.float32)], outputs=4),
    Case("Unique_axis", "Unique", [np.array([[1, 2], [3, 4], [1, 2]], np.float32)], {"axis": 0}, outputs=4),
    Case("CumSum_exclusive_reverse_int32", "CumSum", [ints(2, 4, dtype=np.int32), np.array(-1, np.int32)],
         {"exclusive": 1, "reverse": 1}),
    Case("ScatterElements_min_int64", "ScatterElements", [ints(3, 4), np.array([[0, 0], [2, 2]], np.int64), ints(2, 2)],
         {"axis": 1, "reduction": "min"}, opset=18),
    Case("ScatterND_max_int64", "ScatterND", [ints(4, 3), np.array([[1], [1]], np.int64), ints(2, 3)],
         {"reduction": "max"}, opset=18),
    Case("GatherND_batch_dims_2", "GatherND", [f32(2, 3, 4, 5), ints(2, 3, 2, 1, low=0, high=4)], {"batch_dims": 2}),
    Case("ReverseSequence_batch_axis0", "ReverseSequence", [f32(3, 4, 2), i64(4, 1, 2)],
         {"batch_axis": 0, "time_axis": 1}),
]


@pytest.mark.parametrize("case", params(INDEX))
def test_index(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Spatial, Resize
def _boxes(n):
    xy = RNG.uniform(0, 5, (n, 2))
    wh = RNG.uniform(1, 4, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


SPATIAL = [
    Case("Einsum_matmul", "Einsum", [f32(3, 4), f32(4, 5)], {"equation": "ij,jk->ik"}),
    Case("Einsum_batch_transpose", "Einsum", [f32(2, 3, 4), f32(2, 5, 4)], {"equation": "bij,bkj->bik"}),
    Case("Einsum_trace_sum", "Einsum", [f32(4, 4)], {"equation": "ii->"}),
    Case("Einsum_ellipsis", "Einsum", [f32(2, 3, 4)], {"equation": "...ij->...ji"}),
    Case("GridSample_bilinear", "GridSample", [f32(1, 2, 4, 5), f32(1, 3, 3, 2, low=-1.1, high=1.1)]),
    Case("GridSample_nearest_border", "GridSample", [f32(1, 2, 4, 5), f32(1, 3, 3, 2, low=-1.2, high=1.2)],
         {"mode": "nearest", "padding_mode": "border", "align_corners": 1}),
    Case("GridSample_cubic", "GridSample", [f32(1, 1, 5, 5), f32(1, 2, 2, 2, low=-0.9, high=0.9)], {"mode": "cubic"}),
    Case("AffineGrid", "AffineGrid", [f32(2, 2, 3), i64(2, 1, 3, 4)], consts=(1,), opset=20),
    Case("AffineGrid_align", "AffineGrid", [f32(1, 2, 3), i64(1, 1, 2, 3)], {"align_corners": 1}, consts=(1,),
         opset=20),
    Case("RoiAlign", "RoiAlign", [f32(1, 2, 8, 8), _boxes(3), i64(0, 0, 0)],
         {"output_height": 2, "output_width": 2, "sampling_ratio": 2}),
    Case("RoiAlign_max", "RoiAlign", [f32(1, 2, 8, 8), _boxes(2), i64(0, 0)],
         {"output_height": 2, "output_width": 3, "sampling_ratio": 2, "mode": "max"}),
    Case("NonMaxSuppression", "NonMaxSuppression",
         [_boxes(8)[None], pos(1, 2, 8), np.array(3, np.int64), np.array(0.3, np.float32)],
         oracle="ort"),  # onnx.reference fails on the scalar max_output_boxes_per_class the spec describes
    Case("Col2Im", "Col2Im", [f32(1, 2 * 4, 9), i64(4, 4), i64(2, 2)], consts=(1, 2), opset=18),
    Case("CenterCropPad", "CenterCropPad", [f32(5, 4, 3), i64(3, 6)], {"axes": [0, 1]}, consts=(1,), opset=18),
    Case("CenterCropPad_negative_axes", "CenterCropPad", [f32(2, 5, 4), i64(6, 2)], {"axes": [-2, -1]}, consts=(1,),
         opset=18),
    Case("MaxRoiPool", "MaxRoiPool", [f32(1, 2, 6, 6), np.array([[0, 0, 0, 3, 3], [0, 1, 2, 5, 5]], np.float32)],
         {"pooled_shape": [2, 2]}, oracle="ort"),  # onnx.reference has no MaxRoiPool
    Case("DeformConv", "DeformConv", [f32(1, 2, 5, 5), f32(3, 2, 2, 2), f32(1, 8, 4, 4, low=-1, high=1), f32(3)],
         {"kernel_shape": [2, 2]}, opset=22),
    Case("DeformConv_mask_pads", "DeformConv", [f32(1, 2, 4, 4), f32(2, 2, 3, 3), f32(1, 18, 4, 4, low=-1, high=1),
                                                None, pos(1, 9, 4, 4)], {"pads": [1, 1, 1, 1]}, opset=22),
    Case("MaxUnpool", "MaxUnpool", [f32(1, 1, 2, 2), np.array([[[[0, 3], [9, 14]]]], np.int64)],
         {"kernel_shape": [2, 2], "strides": [2, 2]}),
]

RESIZE = [
    Case("Resize_nearest_scales", "Resize", [f32(1, 1, 3, 4), None, np.array([1, 1, 2, 1.5], np.float32)],
         {"mode": "nearest"}, consts=(2,)),
    Case("Resize_linear_sizes", "Resize", [f32(1, 2, 4, 4), None, None, i64(1, 2, 3, 7)], {"mode": "linear"},
         consts=(3,)),
    Case("Resize_linear_align_corners", "Resize", [f32(1, 1, 3, 3), None, np.array([1, 1, 2, 2], np.float32)],
         {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, consts=(2,)),
    Case("Resize_cubic", "Resize", [f32(1, 1, 4, 4), None, np.array([1, 1, 1.5, 2], np.float32)], {"mode": "cubic"},
         consts=(2,)),
    Case("Resize_nearest_floor_asymmetric", "Resize", [f32(1, 1, 4, 4), None, np.array([1, 1, 0.5, 0.75], np.float32)],
         {"mode": "nearest", "nearest_mode": "floor", "coordinate_transformation_mode": "asymmetric"}, consts=(2,)),
    # onnx.reference does not normalise negative `axes`
    Case("Resize_axes_negative", "Resize", [f32(1, 2, 3, 4), None, np.array([2, 0.5], np.float32)],
         {"mode": "linear", "axes": [-2, -1]}, consts=(2,), oracle="ort"),
    Case("Resize_not_larger", "Resize", [f32(1, 1, 4, 6), None, None, i64(3, 3)],
         {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"}, consts=(3,)),
    Case("Einsum_outer", "Einsum", [f32(3), f32(4)], {"equation": "i,j->ij"}),
    Case("Einsum_implicit_output", "Einsum", [f32(2, 3), f32(3, 4)], {"equation": "ij,jk"}),
    Case("Einsum_diagonal", "Einsum", [f32(3, 3)], {"equation": "ii->i"}),
    Case("Einsum_broadcast_ellipsis", "Einsum", [f32(2, 1, 3, 4), f32(5, 4, 2)], {"equation": "...ij,...jk->...ik"}),
    Case("Einsum_three_operands", "Einsum", [f32(2, 3), f32(3, 4), f32(4, 5)], {"equation": "ab,bc,cd->ad"}),
    Case("Einsum_int64", "Einsum", [ints(2, 3, low=-5, high=5), ints(3, low=-5, high=5)], {"equation": "ij,j->i"}),
    Case("GridSample_reflection", "GridSample", [f32(1, 1, 4, 5), f32(1, 3, 3, 2, low=-1.5, high=1.5)],
         {"padding_mode": "reflection"}),
    Case("GridSample_zeros_align_corners", "GridSample", [f32(1, 1, 4, 5), f32(1, 3, 3, 2, low=-1.5, high=1.5)],
         {"align_corners": 1}),
    Case("GridSample_5d", "GridSample", [f32(1, 1, 3, 4, 5), f32(1, 2, 2, 2, 3, low=-1, high=1)], opset=20),
    Case("Col2Im_strides_pads", "Col2Im", [f32(1, 2 * 4, 9), i64(5, 5), i64(2, 2)],
         {"strides": [2, 2], "pads": [1, 1, 0, 0]}, consts=(1, 2), opset=18),
    Case("Col2Im_dilations", "Col2Im", [f32(1, 4, 9), i64(5, 5), i64(2, 2)], {"dilations": [2, 2]}, consts=(1, 2),
         opset=18),
    Case("RoiAlign_output_half_pixel_scale", "RoiAlign", [f32(1, 2, 8, 8), _boxes(2), i64(0, 0)],
         {"output_height": 3, "output_width": 2, "sampling_ratio": 0, "spatial_scale": 0.5,
          "coordinate_transformation_mode": "output_half_pixel"}),
    Case("NonMaxSuppression_center_point_box", "NonMaxSuppression",
         [f32(1, 6, 4, low=0, high=5), pos(1, 1, 6), i64(2), np.array([0.2], np.float32), np.array([0.3], np.float32)],
         {"center_point_box": 1}),
    Case("Resize_nearest_round_prefer_ceil", "Resize", [f32(1, 1, 3, 4), None, np.array([1, 1, 1.7, 2.3], np.float32)],
         {"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, consts=(2,)),
    Case("Resize_nearest_ceil", "Resize", [f32(1, 1, 3, 4), None, np.array([1, 1, 0.6, 1.5], np.float32)],
         {"mode": "nearest", "nearest_mode": "ceil"}, consts=(2,)),
    Case("Resize_tf_crop_and_resize", "Resize",
         [f32(1, 1, 4, 4), np.array([0, 0, 0.2, 0.1, 1, 1, 0.8, 0.9], np.float32),
          np.array([1, 1, 1.5, 1.5], np.float32)],
         {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": -7.0},
         consts=(1, 2)),
    Case("Resize_half_pixel_symmetric", "Resize", [f32(1, 1, 4, 5), None, np.array([1, 1, 1.3, 0.7], np.float32)],
         {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, consts=(2,)),
    Case("Resize_pytorch_half_pixel", "Resize", [f32(1, 1, 4, 5), None, None, i64(1, 1, 1, 3)],
         {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, consts=(3,)),
    Case("Resize_linear_antialias", "Resize", [f32(1, 1, 8, 8), None, np.array([1, 1, 0.5, 0.4], np.float32)],
         {"mode": "linear", "antialias": 1}, consts=(2,)),
    Case("Resize_cubic_antialias", "Resize", [f32(1, 1, 8, 8), None, np.array([1, 1, 0.5, 0.5], np.float32)],
         {"mode": "cubic", "antialias": 1}, consts=(2,)),
    Case("Resize_cubic_exclude_outside", "Resize", [f32(1, 1, 4, 4), None, np.array([1, 1, 1.6, 1.6], np.float32)],
         {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5}, consts=(2,)),
    Case("Resize_not_smaller", "Resize", [f32(1, 1, 4, 6), None, None, i64(3, 3)],
         {"mode": "nearest", "axes": [2, 3], "keep_aspect_ratio_policy": "not_smaller"}, consts=(3,)),
    Case("Resize_linear_3d", "Resize", [f32(1, 1, 2, 3, 4), None, np.array([1, 1, 2, 1.5, 0.5], np.float32)],
         {"mode": "linear"}, consts=(2,)),
]


@pytest.mark.parametrize("case", params(SPATIAL + RESIZE))
def test_spatial_resize(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Recurrent
def _rnn_inputs(gates, hidden=4, inputs=3, seq=5, batch=2, dirs=1):
    return [f32(seq, batch, inputs, low=-1, high=1), f32(dirs, gates * hidden, inputs, low=-0.5, high=0.5),
            f32(dirs, gates * hidden, hidden, low=-0.5, high=0.5), f32(dirs, 2 * gates * hidden, low=-0.5, high=0.5)]


RECURRENT = [
    Case("RNN", "RNN", _rnn_inputs(1), {"hidden_size": 4}, outputs=2),
    # onnx.reference's RNN supports one direction only
    Case("RNN_bidirectional", "RNN", _rnn_inputs(1, dirs=2), {"hidden_size": 4, "direction": "bidirectional"},
         outputs=2, oracle="ort"),
    Case("GRU", "GRU", _rnn_inputs(3), {"hidden_size": 4}, outputs=2),
    Case("GRU_linear_before_reset", "GRU", _rnn_inputs(3), {"hidden_size": 4, "linear_before_reset": 1}, outputs=2),
    # onnx.reference's LSTM produces no Y_c output (and one direction only)
    Case("CausalConvWithState", "CausalConvWithState", [f32(2, 3, 6), f32(3, 1, 3), f32(3), f32(2, 3, 2)],
         outputs=2, opset=27),
    Case("CausalConvWithState_silu_no_state", "CausalConvWithState", [f32(1, 4, 5), f32(4, 1, 2)],
         {"activation": "silu"}, outputs=2, opset=27),
    Case("LinearAttention_linear", "LinearAttention", [f32(1, 3, 8), f32(1, 3, 8), f32(1, 3, 8)],
         {"q_num_heads": 2, "kv_num_heads": 2, "update_rule": "linear"}, outputs=2, opset=27),
    Case("LinearAttention_gated_delta_gqa", "LinearAttention",
         [f32(1, 3, 8), f32(1, 3, 4, low=-0.5, high=0.5), f32(1, 3, 4), f32(1, 1, 4, 4), f32(1, 3, 1, low=-1, high=0),
          f32(1, 3, 1, low=0, high=1)], {"q_num_heads": 2, "kv_num_heads": 1}, outputs=2, opset=27),
    Case("LSTM", "LSTM", _rnn_inputs(4), {"hidden_size": 4}, outputs=3, oracle="ort"),
    Case("LSTM_reverse", "LSTM", _rnn_inputs(4), {"hidden_size": 4, "direction": "reverse"}, outputs=3,
         oracle="ort"),
    # onnx.reference's GRU fails on sequence_lens with initial_h, and its RNN ignores `clip` (its outputs exceed
    # tanh(clip)); onnxruntime follows the spec
    Case("GRU_initial_h_sequence_lens", "GRU", _rnn_inputs(3) + [np.array([5, 3], np.int32), f32(1, 2, 4)],
         {"hidden_size": 4}, outputs=2, oracle="ort"),
    Case("RNN_clip", "RNN", _rnn_inputs(1), {"hidden_size": 4, "clip": 0.3}, outputs=2, oracle="ort"),
    Case("LSTM_peepholes", "LSTM", _rnn_inputs(4) + [None, None, None, f32(1, 12)], {"hidden_size": 4}, outputs=2),
]


@pytest.mark.parametrize("case", params(RECURRENT))
def test_recurrent(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Transformer
TRANSFORMER = [
    # onnx.reference sums the squares over a different channel window than the spec's
    # [c - floor((size-1)/2), c + ceil((size-1)/2)]; onnxruntime follows the spec
    Case("LRN", "LRN", [f32(1, 5, 3, 3)], {"size": 3}, oracle="ort"),
    Case("MeanVarianceNormalization", "MeanVarianceNormalization", [f32(2, 3, 4, 4)]),
    Case("MeanVarianceNormalization_axes", "MeanVarianceNormalization", [f32(2, 3, 4)], {"axes": [1, 2]}),
    Case("GroupNormalization", "GroupNormalization", [f32(2, 4, 3, 3), f32(4), f32(4)], {"num_groups": 2}),
    Case("RMSNormalization", "RMSNormalization", [f32(2, 3, 8), f32(8)], opset=23),
    Case("Shrink", "Shrink", [f32(3, 4)], {"lambd": 0.8, "bias": 0.2}),
    Case("Swish", "Swish", [f32(3, 4)], {"alpha": 1.5}, opset=24),
    Case("Attention", "Attention", [f32(2, 3, 4, 8), f32(2, 3, 6, 8), f32(2, 3, 6, 8)], opset=23),
    Case("Attention_causal_gqa", "Attention", [f32(1, 4, 5, 8), f32(1, 2, 5, 8), f32(1, 2, 5, 8)],
         {"is_causal": 1}, opset=23),
    Case("RotaryEmbedding", "RotaryEmbedding", [f32(1, 2, 3, 8), f32(4, 4), f32(4, 4), i64(0, 2, 3).reshape(1, 3)],
         opset=23),
    Case("SoftmaxCrossEntropyLoss", "SoftmaxCrossEntropyLoss", [f32(3, 5), i64(0, 4, 2)]),
    Case("SoftmaxCrossEntropyLoss_ignore_sum", "SoftmaxCrossEntropyLoss", [f32(3, 5), i64(0, 4, 2), pos(5)],
         {"reduction": "sum", "ignore_index": 4}),
    Case("NegativeLogLikelihoodLoss", "NegativeLogLikelihoodLoss", [f32(3, 5, 2), ints(3, 2, low=0, high=5)]),
    Case("NegativeLogLikelihoodLoss_none_weight", "NegativeLogLikelihoodLoss",
         [f32(3, 5), i64(1, 0, 4), pos(5)], {"reduction": "none"}),
    Case("Attention_bool_mask", "Attention",
         [f32(1, 2, 3, 4), f32(1, 2, 5, 4), f32(1, 2, 5, 4), RNG.integers(0, 2, (3, 5)).astype(bool)], opset=23),
    Case("Attention_float_mask_scale_softcap", "Attention",
         [f32(1, 2, 3, 4), f32(1, 2, 5, 4), f32(1, 2, 5, 4), f32(3, 5)], {"scale": 0.3, "softcap": 2.0}, opset=23),
    Case("Attention_3d_inputs", "Attention", [f32(2, 3, 8), f32(2, 5, 8), f32(2, 5, 8)],
         {"q_num_heads": 2, "kv_num_heads": 2}, opset=23),
    Case("Attention_past_key_value_causal", "Attention",
         [f32(1, 2, 1, 4), f32(1, 2, 1, 4), f32(1, 2, 1, 4), None, f32(1, 2, 3, 4), f32(1, 2, 3, 4)],
         {"is_causal": 1}, outputs=3, opset=23),
    Case("RotaryEmbedding_interleaved_3d", "RotaryEmbedding",
         [f32(1, 3, 8), f32(4, 2), f32(4, 2), i64(0, 1, 3).reshape(1, 3)], {"interleaved": 1, "num_heads": 2},
         opset=23),
    Case("RotaryEmbedding_partial", "RotaryEmbedding",
         [f32(1, 2, 3, 8), f32(4, 2), f32(4, 2), i64(0, 2, 3).reshape(1, 3)], {"rotary_embedding_dim": 4}, opset=23),
    Case("GroupNormalization_epsilon", "GroupNormalization", [f32(1, 6, 4), f32(6), f32(6)],
         {"num_groups": 3, "epsilon": 0.1}),
    Case("MeanVarianceNormalization_constant_input", "MeanVarianceNormalization", [np.ones((1, 2, 2, 2), np.float32)]),
    Case("SoftmaxCrossEntropyLoss_log_prob_weight", "SoftmaxCrossEntropyLoss",
         [f32(3, 5, 2), ints(3, 2, low=0, high=5), pos(5)], outputs=2),
    Case("NegativeLogLikelihoodLoss_ignore_index", "NegativeLogLikelihoodLoss", [f32(3, 5), i64(1, -1, 4), pos(5)],
         {"ignore_index": -1}),
    Case("Shrink_int32", "Shrink", [ints(6, dtype=np.int32)], {"lambd": 3.0, "bias": 1.0}),
]


@pytest.mark.parametrize("case", params(TRANSFORMER))
def test_transformer(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Quant
U8 = np.uint8
QUANT = [
    Case("QuantizeLinear_uint8", "QuantizeLinear", [f32(3, 4) * 30, np.array(0.5, np.float32), np.array(10, U8)]),
    Case("QuantizeLinear_int8_per_axis", "QuantizeLinear",
         [f32(3, 4) * 100, pos(4), np.array([0, -3, 5, 1], np.int8)], {"axis": -1}),
    Case("QuantizeLinear_saturate_ties", "QuantizeLinear",
         [np.array([-1000, 1000, 2.5, 3.5, -2.5], np.float32), np.array(1.0, np.float32), np.array(0, np.int8)]),
    Case("DequantizeLinear", "DequantizeLinear", [RNG.integers(0, 255, (3, 4)).astype(U8),
                                                  np.array(0.1, np.float32), np.array(128, U8)]),
    Case("DequantizeLinear_int32", "DequantizeLinear", [ints(5, dtype=np.int32), np.array(0.25, np.float32)]),
    Case("DynamicQuantizeLinear", "DynamicQuantizeLinear", [f32(3, 4)], outputs=3),
    Case("MatMulInteger", "MatMulInteger", [RNG.integers(0, 255, (3, 4)).astype(U8),
                                            RNG.integers(0, 255, (4, 2)).astype(U8), np.array(12, U8),
                                            np.array(130, U8)]),
    Case("QLinearMatMul", "QLinearMatMul", [RNG.integers(0, 255, (3, 4)).astype(U8), np.array(0.05, np.float32),
                                            np.array(120, U8), RNG.integers(0, 255, (4, 2)).astype(U8),
                                            np.array(0.03, np.float32), np.array(128, U8),
                                            np.array(0.1, np.float32), np.array(100, U8)]),
    Case("ConvInteger", "ConvInteger", [RNG.integers(0, 255, (1, 2, 4, 4)).astype(U8),
                                        RNG.integers(0, 255, (3, 2, 2, 2)).astype(U8), np.array(7, U8)]),
    Case("QLinearConv", "QLinearConv", [RNG.integers(0, 255, (1, 2, 4, 4)).astype(U8), np.array(0.05, np.float32),
                                        np.array(120, U8), RNG.integers(0, 255, (3, 2, 2, 2)).astype(U8),
                                        np.array(0.02, np.float32), np.array(128, U8), np.array(0.5, np.float32),
                                        np.array(100, U8)]),
    Case("BitwiseNot", "BitwiseNot", [ints(3, 4, dtype=np.int32)], opset=18),
    Case("BitwiseNot_uint8", "BitwiseNot", [RNG.integers(0, 255, (5,)).astype(U8)], opset=18),
    Case("QuantizeLinear_blocked", "QuantizeLinear", [f32(4, 6) * 10, pos(4, 3), np.zeros((4, 3), np.int8)],
         {"axis": 1, "block_size": 2}),
    Case("DequantizeLinear_blocked", "DequantizeLinear",
         [ints(4, 6, low=-100, high=100, dtype=np.int8), pos(2, 6), np.zeros((2, 6), np.int8)],
         {"axis": 0, "block_size": 2}),
    Case("QuantizeLinear_uint16", "QuantizeLinear", [f32(5) * 1000, np.array(0.1, np.float32),
                                                     np.array(30000, np.uint16)]),
    Case("QuantizeLinear_output_dtype", "QuantizeLinear", [f32(5) * 100, np.array(0.5, np.float32)],
         {"output_dtype": onnx.TensorProto.INT8}),
    Case("DequantizeLinear_per_axis_negative", "DequantizeLinear",
         [ints(3, 4, low=0, high=255, dtype=np.uint8), pos(3), np.array([1, 2, 3], np.uint8)], {"axis": -2}),
    Case("DynamicQuantizeLinear_all_positive", "DynamicQuantizeLinear", [pos(7)], outputs=3),
    Case("DynamicQuantizeLinear_zeros", "DynamicQuantizeLinear", [np.zeros(4, np.float32)], outputs=3),
]


@pytest.mark.parametrize("case", params(QUANT))
def test_quant(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Signal
SIGNAL = [
    Case("HannWindow", "HannWindow", [np.array(8, np.int64)], opset=17),
    Case("HammingWindow_symmetric", "HammingWindow", [np.array(7, np.int32)], {"periodic": 0}, opset=17),
    Case("BlackmanWindow", "BlackmanWindow", [np.array(10, np.int64)], opset=17),
    Case("DFT_real", "DFT", [f32(2, 8, 1), None, np.array(1, np.int64)], opset=20, consts=(2,)),
    Case("DFT_onesided", "DFT", [f32(2, 8, 1), None, np.array(1, np.int64)], {"onesided": 1}, opset=20, consts=(2,)),
    Case("DFT_inverse_complex", "DFT", [f32(1, 6, 2), None, np.array(-2, np.int64)], {"inverse": 1}, opset=20,
         consts=(2,)),
    Case("STFT", "STFT", [f32(1, 32, 1), np.array(8, np.int64), np.hanning(16).astype(np.float32)], opset=17,
         consts=(1,)),
    Case("MelWeightMatrix", "MelWeightMatrix", [np.array(8, np.int64), np.array(32, np.int64),
                                                np.array(16000, np.int64), np.array(20.0, np.float32),
                                                np.array(4000.0, np.float32)], opset=17),
    Case("DFT_dft_length_truncates", "DFT", [f32(2, 8, 1), np.array(5, np.int64), np.array(1, np.int64)], opset=20,
         consts=(1, 2)),
    Case("DFT_dft_length_pads", "DFT", [f32(2, 6, 2), np.array(8, np.int64), np.array(-2, np.int64)], opset=20,
         consts=(1, 2)),
    Case("STFT_complex_two_sided", "STFT", [f32(1, 16, 2), np.array(4, np.int64), None, np.array(8, np.int64)],
         {"onesided": 0}, opset=17, consts=(1, 3)),
    Case("MelWeightMatrix_double", "MelWeightMatrix",
         [np.array(6, np.int64), np.array(16, np.int64), np.array(8000, np.int64), np.array(0.0, np.float32),
          np.array(4000.0, np.float32)], {"output_datatype": onnx.TensorProto.DOUBLE}, opset=17),
]


@pytest.mark.parametrize("case", params(SIGNAL))
def test_signal(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Text, Ml, Misc
def strings(*values):
    return np.array(values, dtype=object)


TEXT_ML_MISC = [
    Case("StringConcat", "StringConcat", [strings("a", "bc", ""), strings("x", "", "yz")], opset=20),
    Case("StringNormalizer_lower_stopwords", "StringNormalizer", [strings("Hello", "the", "WORLD")],
         {"case_change_action": "LOWER", "stopwords": ["the"]}),
    Case("RegexFullMatch", "RegexFullMatch", [strings("abc123", "abc", "123")], {"pattern": "[a-z]+\\d+"}, opset=20),
    Case("StringSplit", "StringSplit", [strings("a b  c", "de", "")], {"delimiter": " "}, outputs=2, opset=20),
    Case("TfIdfVectorizer", "TfIdfVectorizer", [np.array([[1, 2, 3, 2], [3, 3, 1, 2]], np.int64)],
         {"mode": "TF", "min_gram_length": 1, "max_gram_length": 2, "max_skip_count": 0, "ngram_counts": [0, 3],
          "ngram_indexes": [0, 1, 2, 3], "pool_int64s": [1, 2, 3, 2, 3]}, opset=9),
    Case("Binarizer", "Binarizer", [f32(3, 4)], {"threshold": 0.3}, domain=ML),
    Case("LabelEncoder", "LabelEncoder", [i64(1, 2, 5)],
         {"keys_int64s": [1, 2], "values_int64s": [10, 20], "default_int64": -1}, domain=ML),
    Case("ArrayFeatureExtractor", "ArrayFeatureExtractor", [f32(3, 5), i64(0, 4)], domain=ML),
    Case("Adagrad", "Adagrad", [np.array(0.1, np.float32), np.array(3, np.int64), f32(4), f32(4), pos(4)],
         {"decay_factor": 0.1, "epsilon": 1e-6, "norm_coefficient": 0.01}, outputs=2,
         domain="ai.onnx.preview.training"),
    Case("Momentum", "Momentum", [np.array(0.1, np.float32), np.array(3, np.int64), f32(4), f32(4), f32(4)],
         {"alpha": 0.9, "beta": 0.5, "mode": "nesterov", "norm_coefficient": 0.01}, outputs=2,
         domain="ai.onnx.preview.training"),
    Case("Adam", "Adam", [np.array(0.1, np.float32), np.array(3, np.int64), f32(4), f32(4), f32(4), pos(4)],
         {"alpha": 0.9, "beta": 0.99, "epsilon": 1e-6, "norm_coefficient": 0.01}, outputs=3,
         domain="ai.onnx.preview.training", reference_dtype=np.float32),  # onnx.reference's Adam promotes to float64
    Case("Dropout_inference", "Dropout", [f32(3, 4)]),
    # two trees on two features: tree 0 splits x0 <= 0.5 (BRANCH_LEQ), tree 1 splits x1 < 0 (BRANCH_LT)
    Case("TreeEnsemble_sum", "TreeEnsemble", [f32(5, 2)], {
        "aggregate_function": 1, "n_targets": 1, "tree_roots": [0, 1],
        "nodes_featureids": [0, 1], "nodes_splits": numpy_helper.from_array(np.array([0.5, 0.0], np.float32)),
        "nodes_modes": numpy_helper.from_array(np.array([0, 1], np.uint8)),
        "nodes_truenodeids": [0, 2], "nodes_trueleafs": [1, 1], "nodes_falsenodeids": [1, 3],
        "nodes_falseleafs": [1, 1], "leaf_targetids": [0, 0, 0, 0],
        "leaf_weights": numpy_helper.from_array(np.array([1.0, 2.0, 10.0, 20.0], np.float32))}, domain=ML),
    Case("Det", "Det", [f32(2, 3, 3)]),
    Case("Det_singular", "Det", [np.array([[1, 2], [2, 4]], np.float32)]),
    Case("BitCast", "BitCast", [np.array([1.0, -2.5, np.inf], np.float32)], {"to": onnx.TensorProto.INT32},
         opset=26),
    Case("StringNormalizer_upper_case_sensitive", "StringNormalizer", [strings("Abc", "DEF", "abc")],
         {"case_change_action": "UPPER", "stopwords": ["abc"], "is_case_sensitive": 1}),
    Case("StringSplit_maxsplit", "StringSplit", [strings("a,b,,c", "x")], {"delimiter": ",", "maxsplit": 1}, outputs=2,
         opset=20),
    Case("StringSplit_whitespace", "StringSplit", [strings(" a  b c ", "")], outputs=2, opset=20),
    Case("LabelEncoder_string_to_int", "LabelEncoder", [strings("a", "b", "z")],
         {"keys_strings": ["a", "b"], "values_int64s": [1, 2]}, domain=ML),
    Case("Det_batch_4x4", "Det", [f32(3, 4, 4)]),
]


@pytest.mark.parametrize("case", params(TEXT_ML_MISC))
def test_text_ml_misc(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Sequence
SEQ = [f32(2, 3), f32(1, 3), f32(4, 3)]
SEQUENCE = [
    Case("SplitToSequence_sizes", "SplitToSequence", [f32(6, 3), i64(2, 4)], consts=(1,)),
    Case("SplitToSequence_keepdims0_negative_axis", "SplitToSequence", [f32(2, 3)], {"axis": -1, "keepdims": 0}),
    Case("SequenceConstruct", "SequenceConstruct", [f32(2), f32(3, 1)]),
    Case("ConcatFromSequence", "ConcatFromSequence", [SEQ], {"axis": 0}),
    Case("ConcatFromSequence_new_axis_negative", "ConcatFromSequence", [[f32(2, 3), f32(2, 3)]],
         {"axis": -1, "new_axis": 1}),
    Case("SequenceAt_negative", "SequenceAt", [SEQ, np.array(-1, np.int64)]),
    Case("SequenceLength", "SequenceLength", [SEQ]),
    Case("SequenceInsert", "SequenceInsert", [SEQ, f32(5, 3), np.array(1, np.int64)]),
    Case("SequenceInsert_end", "SequenceInsert", [SEQ, f32(5, 3)]),
    Case("SequenceErase_negative", "SequenceErase", [SEQ, np.array(-2, np.int64)]),
    Case("SequenceEmpty", "SequenceEmpty", [], {"dtype": onnx.TensorProto.INT64}),
]


@pytest.mark.parametrize("case", params(SEQUENCE))
def test_sequence(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Control
def _branch(op, name):
    """A subgraph without inputs that applies `op` to the outer scope's in1."""
    return helper.make_graph([helper.make_node(op, ["in1"], [name])], name, [],
                             [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)])


def _loop_body():
    """Loop body: v' = v * 2 + 1, and v' is also the scan output; the condition stays true."""
    T = onnx.TensorProto
    return helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"]),
         helper.make_node("Mul", ["v", "two"], ["v2"]), helper.make_node("Add", ["v2", "one"], ["v_out"]),
         helper.make_node("Identity", ["v_out"], ["scan_out"])],
        "body",
        [helper.make_tensor_value_info("i", T.INT64, []), helper.make_tensor_value_info("cond", T.BOOL, []),
         helper.make_tensor_value_info("v", T.FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", T.BOOL, []), helper.make_tensor_value_info("v_out", T.FLOAT, None),
         helper.make_tensor_value_info("scan_out", T.FLOAT, None)],
        [numpy_helper.from_array(np.array(2.0, np.float32), "two"),
         numpy_helper.from_array(np.array(1.0, np.float32), "one")])


def _scan_body():
    """Scan body: a running sum of the scanned rows, and each partial sum as the scan output."""
    T = onnx.TensorProto
    return helper.make_graph(
        [helper.make_node("Add", ["sum", "row"], ["sum_out"]), helper.make_node("Identity", ["sum_out"], ["partial"])],
        "body",
        [helper.make_tensor_value_info("sum", T.FLOAT, [3]), helper.make_tensor_value_info("row", T.FLOAT, [3])],
        [helper.make_tensor_value_info("sum_out", T.FLOAT, [3]),
         helper.make_tensor_value_info("partial", T.FLOAT, [3])])


CONTROL = [
    Case(f"If_{branch}", "If", [np.array(branch == "then"), f32(3, 4)],
         {"then_branch": _branch("Relu", "then_out"), "else_branch": _branch("Neg", "else_out")}, node_inputs=1)
    for branch in ("then", "else")
] + [
    Case("Loop", "Loop", [np.array(3, np.int64), np.array(True), f32(2)], {"body": _loop_body()}, outputs=2),
    # onnx.reference fails to stack the scan outputs of zero iterations
    Case("Loop_zero_trips", "Loop", [np.array(0, np.int64), np.array(True), f32(2)], {"body": _loop_body()},
         outputs=2, oracle="ort"),
    Case("Scan", "Scan", [np.zeros(3, np.float32), f32(4, 3)], {"body": _scan_body(), "num_scan_inputs": 1},
         outputs=2),
    # onnx.reference implements forward scans only
    Case("Scan_reverse", "Scan", [np.zeros(3, np.float32), f32(4, 3)],
         {"body": _scan_body(), "num_scan_inputs": 1, "scan_input_directions": [1]}, outputs=2, oracle="ort"),
]


@pytest.mark.parametrize("case", params(CONTROL))
def test_control(case):
    check(case)


# ---------------------------------------------------------------------------------------------------- Other dtypes
def f16(*shape):
    return f32(*shape).astype(np.float16)


def f64(*shape):
    return f32(*shape).astype(np.float64)


def text(*values):
    return np.array(values, dtype=object)


DTYPES = [
    Case("Add_float16_broadcast", "Add", [f16(3, 4), f16(4)]),
    Case("Mean_float16", "Mean", [f16(3), f16(3)]),
    Case("MatMul_float16", "MatMul", [f16(3, 4), f16(4, 5)]),
    Case("ReduceSum_float16", "ReduceSum", [f16(3, 4), i64(1)], consts=(1,)),
    Case("LayerNormalization_float16", "LayerNormalization", [f16(2, 8), f16(8), f16(8)]),
    Case("Cast_float_to_float16_overflow", "Cast", [np.array([70000.0, -70000.0, np.nan], np.float32)],
         {"to": onnx.TensorProto.FLOAT16}),
    Case("Exp_double", "Exp", [f64(3, 4)]),
    Case("Softmax_double", "Softmax", [f64(3, 4)]),
    Case("Conv_double", "Conv", [f64(1, 2, 5, 5), f64(3, 2, 3, 3)]),
    Case("Max_double_nan", "Max", [np.array([np.nan, 1.0]), np.array([1.0, np.nan])]),
    Case("ReduceMean_int32", "ReduceMean", [ints(3, 4, dtype=np.int32), i64(1)], consts=(1,)),
    Case("Min_int64_three", "Min", [ints(3), ints(3), ints(1)]),
    Case("Clip_int8_no_bounds", "Clip", [np.array([-128, 127, 0], np.int8)]),
    Case("BitShift_uint8_drops_high_bits", "BitShift",
         [np.array([1, 255, 129], np.uint8), np.array([7, 1, 1], np.uint8)], {"direction": "LEFT"}),
    Case("Where_string", "Where", [np.array([True, False]), text("a", "b"), text("c", "d")]),
    Case("Concat_string", "Concat", [text("a"), text("c", "d")], {"axis": 0}),
    Case("Gather_string", "Gather", [text("a", "b", "c"), i64(2, 0, -1)]),
    Case("Equal_string", "Equal", [text("a", "b"), text("a", "c")]),
    Case("Cast_string_to_float", "Cast", [text("1.5", "-2", "inf", "NaN")], {"to": FLOAT}),
    Case("Cast_int_to_string", "Cast", [i64(1, -20)], {"to": onnx.TensorProto.STRING}),
]


@pytest.mark.parametrize("case", params(DTYPES))
def test_dtypes(case):
    check(case)
