"""kiln's exceptions: one class per kiln error code, all under kiln.Error.

The classes carry onnxruntime's names (onnxruntime.capi.onnxruntime_pybind11_state) where a kiln code corresponds
to one, so that ``except InvalidArgument`` written for onnxruntime catches kiln's error too:

    kiln code        class raised       also an instance of
    InvalidModel     InvalidModel       InvalidGraph, InvalidProtobuf (onnxruntime splits what kiln calls one code)
    InvalidArgument  InvalidArgument
    NotFound         NoSuchFile
    NotImplemented   NotImplemented
    Unsupported      Unsupported        NotImplemented
    DeviceError      EPFail
    Internal         RuntimeException

Fail, NoModel, EngineError and ModelLoaded exist for scripts that name them; kiln raises Fail for a run stopped by
RunOptions.terminate. The message is the C++ kiln::Error's message, unchanged.
"""

from . import _kiln


class Error(RuntimeError):
    """Base class of every error kiln raises for a kiln::Error."""


class Fail(Error):
    pass


class InvalidArgument(Error):
    pass


class NoSuchFile(Error):
    pass


class NoModel(Error):
    pass


class EngineError(Error):
    pass


class RuntimeException(Error):
    pass


class InvalidProtobuf(Error):
    pass


class ModelLoaded(Error):
    pass


class NotImplemented(Error):  # noqa: A001 - onnxruntime's name
    pass


class InvalidGraph(Error):
    pass


class EPFail(Error):
    pass


class InvalidModel(InvalidGraph, InvalidProtobuf):
    """A malformed model file or graph (onnxruntime raises InvalidProtobuf or InvalidGraph for these)."""


class Unsupported(NotImplemented):
    """A valid request that the chosen provider or device cannot serve."""


# kiln error code name (kiln::error_code_name) -> class; "" is the class for a code this table does not know.
CLASS_OF_CODE = {
    "InvalidModel": InvalidModel,
    "InvalidArgument": InvalidArgument,
    "NotFound": NoSuchFile,
    "NotImplemented": NotImplemented,
    "Unsupported": Unsupported,
    "DeviceError": EPFail,
    "Internal": RuntimeException,
    "": Error,
}

# The names onnxruntime.capi.onnxruntime_pybind11_state exports, plus kiln's own.
__all__ = [
    "Error",
    "Fail",
    "InvalidArgument",
    "NoSuchFile",
    "NoModel",
    "EngineError",
    "RuntimeException",
    "InvalidProtobuf",
    "ModelLoaded",
    "NotImplemented",
    "InvalidGraph",
    "EPFail",
    "InvalidModel",
    "Unsupported",
]

_kiln.register_error_classes(CLASS_OF_CODE)
