"""The names scripts import from onnxruntime.capi.onnxruntime_pybind11_state: the exception classes, and the
session and value classes."""

from .._errors import *  # noqa: F401,F403 - every exception class
from .._options import ExecutionMode, ExecutionOrder, GraphOptimizationLevel, RunOptions, SessionOptions  # noqa
from .._ortvalue import OrtValue  # noqa: F401
from .._session import ModelMetadata, NodeArg  # noqa: F401
