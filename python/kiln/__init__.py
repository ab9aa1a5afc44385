"""kiln: an ONNX runtime with onnxruntime's Python API.

A script written for onnxruntime runs on kiln with only its import changed::

    import kiln as onnxruntime
    sess = onnxruntime.InferenceSession("model.onnx", providers=["OpenVINOExecutionProvider"],
                                        provider_options=[{"device_type": "CPU"}])
    outputs = sess.run(None, {"input": x})

Provider options are handed to kiln's providers as strings, unparsed; errors are kiln.Error subclasses with
onnxruntime's class names (see kiln._errors). numpy arrays cross without copies where their layout allows;
bfloat16 and float8 need ml_dtypes, or OrtValue.ortvalue_from_numpy_with_onnx_type with raw bits (see
kiln._dtypes). The GIL is released while kiln loads, compiles and runs, and one session may run on many
threads at once.
"""

from . import _kiln
from ._errors import (  # noqa: F401 - the package's public names
    EngineError,
    EPFail,
    Error,
    Fail,
    InvalidArgument,
    InvalidGraph,
    InvalidModel,
    InvalidProtobuf,
    ModelLoaded,
    NoModel,
    NoSuchFile,
    NotImplemented,
    RuntimeException,
    Unsupported,
)
from ._options import ExecutionMode, ExecutionOrder, GraphOptimizationLevel, RunOptions, SessionOptions  # noqa: F401
from ._ortvalue import IOBinding, OrtValue  # noqa: F401
from ._session import InferenceSession, ModelMetadata, NodeArg  # noqa: F401

SessionIOBinding = IOBinding

__version__ = _kiln.version_string()
version = __version__


def get_version_string():
    return __version__


def get_available_providers():
    """The execution providers of this build in default priority order, e.g.
    ['OpenVINOExecutionProvider', 'CPUExecutionProvider']."""
    return _kiln.available_providers()


def get_all_providers():
    """Every provider kiln knows (the same as get_available_providers())."""
    return _kiln.available_providers()


def get_device():
    """onnxruntime's device string: 'CPU-OPENVINO_CPU' when the OpenVINO provider is available, else 'CPU'."""
    return "CPU-OPENVINO_CPU" if "OpenVINOExecutionProvider" in get_available_providers() else "CPU"


def get_build_info():
    return f"kiln {__version__}, providers: {', '.join(get_available_providers())}"


def set_default_logger_severity(severity):
    """kiln's process-wide log threshold: 0 verbose, 1 info, 2 warning (default), 3 error, 4 fatal."""
    _kiln.set_log_severity(int(severity))


def set_default_logger_verbosity(verbosity):
    """Accepted for compatibility; kiln has no verbosity levels below 'verbose'."""
