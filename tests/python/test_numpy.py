"""numpy in and out: every dtype with an ONNX type, strings, bfloat16/float8 with and without ml_dtypes,
sequences and optionals, and the zero-copy rules (inputs lent, outputs over kiln's buffer)."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import ml_dtypes
import numpy as np
import pytest
from conftest import CPU, add_relu_model, opset_model
from onnx import TensorProto, helper

import kiln
from kiln import _dtypes, _kiln

NUMERIC = [np.float32, np.float64, np.float16, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
           np.uint32, np.uint64, np.bool_, np.complex64, np.complex128]


def identity_model(element_type, shape=("N", 2)):
    return opset_model([helper.make_node("Identity", ["x"], ["y"])],
                       [helper.make_tensor_value_info("x", element_type, list(shape))],
                       [helper.make_tensor_value_info("y", element_type, list(shape))], opset=21)


def identity_session(element_type, shape=("N", 2)):
    model = identity_model(element_type, shape)
    return kiln.InferenceSession(model.SerializeToString(), providers=[CPU])


def sample(dtype, shape=(3, 2), seed=1):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if np.issubdtype(dtype, np.complexfloating):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
def test_numeric_dtypes_round_trip(dtype):
    element_type = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    sess = identity_session(element_type)
    x = sample(dtype)
    (y,) = sess.run(None, {"x": x})
    assert y.dtype == np.dtype(dtype)
    assert y.shape == x.shape
    np.testing.assert_array_equal(y, x)


def test_type_strings_match_onnxruntime_spelling():
    assert identity_session(TensorProto.FLOAT).get_inputs()[0].type == "tensor(float)"
    assert identity_session(TensorProto.DOUBLE).get_inputs()[0].type == "tensor(double)"
    assert identity_session(TensorProto.BOOL).get_inputs()[0].type == "tensor(bool)"
    assert identity_session(TensorProto.STRING).get_inputs()[0].type == "tensor(string)"
    assert identity_session(TensorProto.FLOAT16).get_inputs()[0].type == "tensor(float16)"
    assert identity_session(TensorProto.BFLOAT16).get_inputs()[0].type == "tensor(bfloat16)"


def test_strings_round_trip_as_str():
    sess = identity_session(TensorProto.STRING)
    x = np.array([["a", "bé"], ["", "日本"], ["x" * 100, "z"]], dtype=object)
    (y,) = sess.run(None, {"x": x})
    assert y.dtype == object and y.shape == (3, 2)
    assert y.tolist() == x.tolist()
    (y,) = sess.run(None, {"x": np.array([["u", "v"]])})  # numpy's fixed-width str arrays too
    assert y.tolist() == [["u", "v"]]


def test_scalars_empty_tensors_and_lists():
    sess = identity_session(TensorProto.FLOAT, shape=())
    (y,) = sess.run(None, {"x": np.float32(2.5)})
    assert y.shape == () and y == 2.5
    sess = identity_session(TensorProto.FLOAT)
    (y,) = sess.run(None, {"x": np.zeros((0, 2), np.float32)})
    assert y.shape == (0, 2)
    # A list becomes an array of the declared type, as in onnxruntime.
    (y,) = sess.run(None, {"x": [[1, 2], [3, 4]]})
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[1, 2], [3, 4]])


def test_non_contiguous_misaligned_and_big_endian_inputs_give_right_answers():
    sess = identity_session(TensorProto.FLOAT)
    base = np.arange(24, dtype=np.float32).reshape(3, 8)
    strided = base[:, ::4]
    np.testing.assert_array_equal(sess.run(None, {"x": strided})[0], strided)
    fortran = np.asfortranarray(base[:, :2])
    np.testing.assert_array_equal(sess.run(None, {"x": fortran})[0], fortran)
    big = base[:, :2].astype(">f4")
    np.testing.assert_array_equal(sess.run(None, {"x": big})[0], base[:, :2])
    raw = np.zeros(3 * 2 * 4 + 1, np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(3, 2)
    misaligned[...] = base[:, :2]
    np.testing.assert_array_equal(sess.run(None, {"x": misaligned})[0], base[:, :2])


def test_inputs_are_lent_without_copy():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    t = _dtypes.tensor_from_numpy(x)
    assert t.address == x.ctypes.data  # kiln's tensor is the array's memory
    # Kept alive by the tensor, not by the caller's name.
    address = x.ctypes.data
    del x
    gc.collect()
    assert t.address == address
    np.testing.assert_array_equal(_dtypes.numpy_from_tensor(t), np.arange(6, dtype=np.float32).reshape(3, 2))
    strided = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]
    assert _dtypes.tensor_from_numpy(strided).address != strided.ctypes.data  # copied once, contiguous
    with pytest.raises(kiln.InvalidArgument, match="needs 12"):
        _kiln.Tensor.borrow(np.zeros(2, np.float32), 1, [3])
    # Raw addresses (IOBinding.bind_input): never for strings, never null.
    with pytest.raises(kiln.InvalidArgument, match="string"):
        _kiln.Tensor.from_address(t.address, TensorProto.STRING, [6])
    with pytest.raises(kiln.InvalidArgument, match="null"):
        _kiln.Tensor.from_address(0, TensorProto.FLOAT, [6])
    assert _kiln.Tensor.from_address(t.address, TensorProto.FLOAT, [6]).address == t.address


def test_outputs_share_kilns_buffer_and_outlive_the_session():
    sess = identity_session(TensorProto.FLOAT)
    (value,) = sess.run_with_ort_values(None, {"x": np.ones((2, 2), np.float32)})
    array = value.numpy()
    assert array.ctypes.data == value.data_ptr()  # numpy over kiln's output buffer, no copy
    (y,) = sess.run(None, {"x": np.full((4, 2), 3, np.float32)})
    del sess, value
    gc.collect()
    np.testing.assert_array_equal(y, np.full((4, 2), 3, np.float32))
    y += 1  # writable, and not shared with anything the session keeps
    np.testing.assert_array_equal(y, np.full((4, 2), 4, np.float32))


def test_bfloat16_and_float8_with_ml_dtypes():
    x = np.array([[1.5, -2.25], [3.0e10, 0.1]], np.float32)
    for element_type, np_type in [(TensorProto.BFLOAT16, ml_dtypes.bfloat16),
                                  (TensorProto.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn),
                                  (TensorProto.FLOAT8E5M2, ml_dtypes.float8_e5m2)]:
        sess = identity_session(element_type)
        typed = x.astype(np_type)
        (y,) = sess.run(None, {"x": typed})
        assert y.dtype == np.dtype(np_type)
        np.testing.assert_array_equal(y.view(np.uint8), typed.view(np.uint8))
    # Cast float -> bfloat16 computed by kiln, against ml_dtypes' rounding.
    model = opset_model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.BFLOAT16)],
                        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                        [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2, 2])])
    (y,) = kiln.InferenceSession(model.SerializeToString(), providers=[CPU]).run(None, {"x": x})
    np.testing.assert_array_equal(y.view(np.uint16), x.astype(ml_dtypes.bfloat16).view(np.uint16))


def test_bfloat16_without_ml_dtypes_uses_raw_bits(tmp_path):
    # A fresh interpreter in which ml_dtypes cannot be imported (nor onnx, which needs it: the models are files).
    cast = opset_model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)],
                       [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [3])],
                       [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    (tmp_path / "cast.onnx").write_bytes(cast.SerializeToString())
    (tmp_path / "identity.onnx").write_bytes(identity_model(TensorProto.BFLOAT16, [3]).SerializeToString())
    script = textwrap.dedent(f"""
        import sys
        sys.modules["ml_dtypes"] = None
        import numpy as np
        import kiln

        sess = kiln.InferenceSession({str(tmp_path / "cast.onnx")!r}, providers=["CPUExecutionProvider"])
        bits = np.array([0x3FC0, 0xC010, 0x4B80], np.uint16)   # bfloat16 1.5, -2.25, 16777216
        x = kiln.OrtValue.ortvalue_from_numpy_with_onnx_type(bits, 16)
        assert x.data_type() == "tensor(bfloat16)", x.data_type()
        (y,) = sess.run(None, {{"x": x}})
        expected = (bits.astype(np.uint32) << 16).view(np.float32)  # bfloat16 is float32's top half
        assert y.tolist() == expected.tolist() == [1.5, -2.25, 16777216.0], (y, expected)
        same = kiln.InferenceSession({str(tmp_path / "identity.onnx")!r}, providers=["CPUExecutionProvider"])
        (out,) = same.run(None, {{"x": x}})
        assert out.dtype == np.uint16 and out.tolist() == bits.tolist(), out
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_four_bit_types_are_refused_clearly():
    with pytest.raises(kiln.NotImplemented, match="int4"):
        _dtypes.numpy_dtype_of(TensorProto.INT4)
    with pytest.raises(TypeError, match="datetime64"):
        _dtypes.element_type_of(np.dtype("datetime64[s]"))


def test_sequences_and_optionals():
    seq = opset_model([helper.make_node("SequenceConstruct", ["a", "b"], ["s"]),
                       helper.make_node("SequenceAt", ["s", "i"], ["y"])],
                      [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2]),
                       helper.make_tensor_value_info("b", TensorProto.FLOAT, [2]),
                       helper.make_tensor_value_info("i", TensorProto.INT64, [])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2]),
                       helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, [2])])
    sess = kiln.InferenceSession(seq.SerializeToString(), providers=[CPU])
    assert sess.get_outputs()[1].type == "seq(tensor(float))"
    a, b = np.array([1, 2], np.float32), np.array([3, 4], np.float32)
    y, s = sess.run(None, {"a": a, "b": b, "i": np.array(1, np.int64)})
    np.testing.assert_array_equal(y, b)
    assert isinstance(s, list) and len(s) == 2
    np.testing.assert_array_equal(s[0], a)

    length = opset_model([helper.make_node("SequenceLength", ["s"], ["n"])],
                         [helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)],
                         [helper.make_tensor_value_info("n", TensorProto.INT64, [])])
    sess = kiln.InferenceSession(length.SerializeToString(), providers=[CPU])
    assert sess.get_inputs()[0].type == "seq(tensor(float))"
    (n,) = sess.run(None, {"s": [a, b, a]})
    assert n == 3

    optional_type = helper.make_optional_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, [2]))
    has = opset_model([helper.make_node("OptionalHasElement", ["o"], ["h"])],
                      [helper.make_value_info("o", optional_type)],
                      [helper.make_tensor_value_info("h", TensorProto.BOOL, [])], opset=18)
    sess = kiln.InferenceSession(has.SerializeToString(), providers=[CPU])
    assert sess.get_inputs()[0].type == "optional(tensor(float))"
    assert bool(sess.run(None, {"o": a})[0]) is True
    assert bool(sess.run(None, {"o": None})[0]) is False
    assert bool(sess.run(None, {})[0]) is False  # optional inputs may be left out


def test_run_accepts_ortvalues_and_overridable_initializers():
    sess = kiln.InferenceSession(add_relu_model().SerializeToString(), providers=[CPU])
    x = kiln.OrtValue.ortvalue_from_numpy(np.array([[1, -5, 2]], np.float32))
    y, z = sess.run(None, {"x": x, "b": np.array([1, 1, 1], np.float32)})
    np.testing.assert_array_equal(y, [[2, 0, 3]])
    np.testing.assert_array_equal(z, [[2, -10, 4]])
