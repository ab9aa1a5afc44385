"""OrtValue and IOBinding, as in onnxruntime, on CPU memory.

An OrtValue holds a kiln tensor (or a sequence of them, or nothing for an empty optional). One made from numpy
shares the array's memory, as in onnxruntime; one returned by a run shares kiln's output buffer.
"""

import numpy as np

from . import _dtypes, _errors, _kiln


def _check_cpu(device_type, device_id=0):
    if str(device_type).lower() != "cpu" or int(device_id) != 0:
        raise _errors.Unsupported(f"device '{device_type}' (id {device_id}): kiln's Python values live in CPU memory "
                                  "only")


def _element_type(element_type):
    """An ONNX element type from an int or anything numpy.dtype() takes."""
    if isinstance(element_type, (int, np.integer)) and not isinstance(element_type, bool):
        return int(element_type)
    return _dtypes.element_type_of(element_type)


class OrtValue:
    def __init__(self, value):
        """Wraps a _kiln.Tensor, a list of them (a sequence) or None (an empty optional); use the factories."""
        self._value = value

    @staticmethod
    def ortvalue_from_numpy(numpy_obj, device_type="cpu", device_id=0, vendor_id=-1):
        """An OrtValue over the array's memory (copied first only when not C-contiguous and aligned)."""
        _check_cpu(device_type, device_id)
        array = np.asarray(numpy_obj)
        if _dtypes.element_type_of(array.dtype) == _dtypes.STRING:
            raise RuntimeError("Creation of OrtValues is currently only supported from non-string numpy arrays")
        return OrtValue(_dtypes.tensor_from_numpy(array))

    @staticmethod
    def ortvalue_from_numpy_with_onnx_type(data, onnx_element_type):
        """An OrtValue of ONNX element type `onnx_element_type` over the bytes of `data`: the route for bfloat16 and
        float8 without ml_dtypes (raw bits in a uint16 / uint8 array)."""
        return OrtValue(_dtypes.tensor_from_numpy(np.asarray(data), int(onnx_element_type)))

    @staticmethod
    def ortvalue_from_shape_and_type(shape, element_type, device_type="cpu", device_id=0, vendor_id=-1):
        """A new zero-filled tensor; element_type is a numpy type or an ONNX element type number."""
        _check_cpu(device_type, device_id)
        return OrtValue(_kiln.Tensor.zeros(_element_type(element_type), [int(d) for d in shape]))

    def _tensor(self):
        if not isinstance(self._value, _kiln.Tensor):
            raise _errors.InvalidArgument("the OrtValue does not hold a tensor")
        return self._value

    def numpy(self):
        """The tensor as a numpy array sharing its memory (a list of arrays for a sequence, None when empty)."""
        if self._value is None:
            return None
        if isinstance(self._value, list):
            return [_dtypes.numpy_from_tensor(t) for t in self._value]
        return _dtypes.numpy_from_tensor(self._value)

    def shape(self):
        return list(self._tensor().shape)

    def element_type(self):
        return self._tensor().element_type

    def data_type(self):
        if isinstance(self._value, list):
            element = self._value[0].element_type if self._value else 0
            return _dtypes.type_string(element, "sequence")
        return _dtypes.type_string(self._tensor().element_type)

    def device_name(self):
        return "cpu"

    def is_tensor(self):
        return isinstance(self._value, _kiln.Tensor)

    def is_tensor_sequence(self):
        return isinstance(self._value, list)

    def is_sparse_tensor(self):
        return False

    def has_value(self):
        return self._value is not None

    def data_ptr(self):
        return self._tensor().address

    def tensor_size_in_bytes(self):
        return self._tensor().byte_size

    def update_inplace(self, np_arr):
        """Copies `np_arr` (same element count and type) into the tensor's memory."""
        target = self.numpy()
        source = np.asarray(np_arr)
        if source.size != target.size or _dtypes.element_type_of(source.dtype) != self.element_type():
            raise _errors.InvalidArgument(f"update_inplace: got {source.dtype} {list(source.shape)}, the value is "
                                          f"{self.data_type()} {self.shape()}")
        target.reshape(-1)[...] = source.reshape(-1)


class IOBinding:
    """onnxruntime's IOBinding on CPU memory. Inputs are lent to kiln without copies; outputs are kiln's buffers,
    copied into the memory of outputs bound with a buffer (bind_output(..., buffer_ptr)) or an OrtValue
    (bind_ortvalue_output) after each run."""

    def __init__(self, session):
        self._session = session
        self._inputs = {}  # name -> OrtValue
        self._outputs = {}  # name -> None (kiln allocates) or the OrtValue to copy into
        self._results = []

    def bind_cpu_input(self, name, arr_on_cpu):
        self._inputs[name] = OrtValue.ortvalue_from_numpy(arr_on_cpu)

    def bind_input(self, name, device_type, device_id, element_type, shape, buffer_ptr):
        _check_cpu(device_type, device_id)
        self._inputs[name] = OrtValue(
            _kiln.Tensor.from_address(int(buffer_ptr), _element_type(element_type), [int(d) for d in shape]))

    def bind_ortvalue_input(self, name, ortvalue):
        self._inputs[name] = ortvalue

    def bind_output(self, name, device_type="cpu", device_id=0, element_type=None, shape=None, buffer_ptr=None):
        _check_cpu(device_type, device_id)
        if buffer_ptr is None:
            self._outputs[name] = None
            return
        if element_type is None or shape is None:
            raise ValueError(f"bind_output('{name}'): a buffer_ptr needs its element_type and shape")
        self._outputs[name] = OrtValue(
            _kiln.Tensor.from_address(int(buffer_ptr), _element_type(element_type), [int(d) for d in shape]))

    def bind_ortvalue_output(self, name, ortvalue):
        self._outputs[name] = ortvalue

    def synchronize_inputs(self):
        pass

    def synchronize_outputs(self):
        pass

    def get_outputs(self):
        return list(self._results)

    def copy_outputs_to_cpu(self):
        return [np.array(v.numpy(), copy=True) if v.is_tensor() else v.numpy() for v in self._results]

    def clear_binding_inputs(self):
        self._inputs = {}

    def clear_binding_outputs(self):
        self._outputs = {}
        self._results = []

    def _store(self, names, values):
        """Keeps a run's results, copying each into its bound memory where there is one."""
        results = []
        for name, value in zip(names, values):
            target = self._outputs.get(name)
            if target is None:
                results.append(value)
                continue
            if value.shape() != target.shape() or value.element_type() != target.element_type():
                raise _errors.InvalidArgument(
                    f"output '{name}' is {value.data_type()} {value.shape()}, the bound buffer is "
                    f"{target.data_type()} {target.shape()}")
            target.numpy()[...] = value.numpy()
            results.append(target)
        self._results = results
