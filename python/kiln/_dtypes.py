"""numpy <-> kiln tensors: the one table of element types, and the conversions that share memory.

Numeric arrays go to kiln without a copy when they are C-contiguous, aligned and in native byte order (else a
contiguous copy is made first); kiln's outputs come back as numpy arrays over kiln's own buffer. Strings are
copied both ways (kiln holds std::string objects).

bfloat16 and the float8 types have no numpy dtype of their own. With the ml_dtypes package installed, arrays of
ml_dtypes.bfloat16 / float8_* go in and come out like any other dtype. Without it, outputs of those types come out
as uint16 (bfloat16) or uint8 (float8) arrays holding the raw bits, and inputs are given as such arrays through
OrtValue.ortvalue_from_numpy_with_onnx_type(bits, element_type), as in onnxruntime. The 4- and 2-bit types (int4,
uint4, float4e2m1, int2, uint2) are not exchanged with numpy.
"""

import numpy as np

from . import _errors, _kiln

try:
    import ml_dtypes
except ImportError:  # optional: bfloat16 and float8 then travel as raw bits
    ml_dtypes = None

STRING = 8

# ONNX element type -> numpy dtype; the types numpy lacks come from ml_dtypes when it is installed.
_NUMPY_OF_ELEMENT = {
    1: np.dtype(np.float32),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int8),
    4: np.dtype(np.uint16),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    9: np.dtype(np.bool_),
    10: np.dtype(np.float16),
    11: np.dtype(np.float64),
    12: np.dtype(np.uint32),
    13: np.dtype(np.uint64),
    14: np.dtype(np.complex64),
    15: np.dtype(np.complex128),
}
# Element types whose numpy form is an ml_dtypes dtype, else these raw-bits integers.
_RAW_BITS = {16: np.dtype(np.uint16), 17: np.dtype(np.uint8), 18: np.dtype(np.uint8), 19: np.dtype(np.uint8),
             20: np.dtype(np.uint8), 24: np.dtype(np.uint8)}
if ml_dtypes is not None:
    for _element, _name in ((16, "bfloat16"), (17, "float8_e4m3fn"), (18, "float8_e4m3fnuz"), (19, "float8_e5m2"),
                            (20, "float8_e5m2fnuz"), (24, "float8_e8m0fnu")):
        if hasattr(ml_dtypes, _name):
            _NUMPY_OF_ELEMENT[_element] = np.dtype(getattr(ml_dtypes, _name))
_ELEMENT_OF_NUMPY = {dtype: element for element, dtype in _NUMPY_OF_ELEMENT.items()}
# Unsigned integers by item size: the view under which arrays of non-builtin dtypes (ml_dtypes) cross to C++.
_BITS_VIEW = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def element_type_of(dtype):
    """The ONNX element type of a numpy dtype; TypeError when kiln has none for it."""
    dtype = np.dtype(dtype)
    if dtype.kind in "OUS":
        return STRING
    element = _ELEMENT_OF_NUMPY.get(dtype if dtype.isnative else dtype.newbyteorder("="))
    if element is None:
        raise TypeError(f"numpy dtype {dtype} has no ONNX element type in kiln")
    return element


def numpy_dtype_of(element_type):
    """The numpy dtype that kiln returns for an ONNX element type (raw-bits integers for bfloat16/float8 without
    ml_dtypes); kiln.NotImplemented for the 4- and 2-bit types."""
    dtype = _NUMPY_OF_ELEMENT.get(element_type) or _RAW_BITS.get(element_type)
    if dtype is None:
        if element_type == STRING:
            return np.dtype(object)
        raise _errors.NotImplemented(
            f"element type {_kiln.element_type_name(element_type)} has no numpy form in kiln's Python API")
    return dtype


def type_string(element_type, kind="tensor"):
    """onnxruntime's type string: 'tensor(float)', 'seq(tensor(int64))', 'optional(tensor(float))', ..."""
    tensor = f"tensor({_kiln.element_type_name(element_type)})"
    return {
        "tensor": tensor,
        "sequence": f"seq({tensor})",
        "optional(tensor)": f"optional({tensor})",
        "optional(sequence)": f"optional(seq({tensor}))",
    }[kind]


def tensor_from_numpy(array, element_type=None):
    """A _kiln.Tensor over `array`'s memory (a copy only when it is not C-contiguous, aligned and native-endian).
    `element_type` reinterprets the bytes (raw bfloat16 bits in a uint16 array, ...); the item size must fit."""
    array = np.asarray(array)
    if element_type is None:
        element_type = element_type_of(array.dtype)
    if element_type == STRING:
        if array.dtype.kind not in "OUS":
            raise TypeError(f"a string tensor needs str or bytes items, got a {array.dtype} array")
        return _kiln.Tensor.from_strings(array.ravel().tolist(), list(array.shape))
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    array = np.require(array, requirements=("C", "A"))
    if not array.dtype.isbuiltin:  # ml_dtypes: cross as unsigned integers of the same size
        array = array.view(_BITS_VIEW[array.dtype.itemsize])
    return _kiln.Tensor.borrow(array, element_type, list(array.shape))


def numpy_from_tensor(tensor):
    """The tensor as a numpy array sharing kiln's buffer (strings: a new object array of str)."""
    element_type = tensor.element_type
    shape = tuple(tensor.shape)
    if element_type == STRING:
        return np.array(tensor.strings(), dtype=object).reshape(shape)
    return tensor.buffer().view(numpy_dtype_of(element_type)).reshape(shape)
