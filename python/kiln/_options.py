"""SessionOptions, RunOptions and the enums, with onnxruntime's names and defaults.

Fields that kiln acts on are handed to kiln::SessionOptions when a session is created (_to_kiln); the others
(execution_mode, memory arena switches, ...) are kept so that scripts that set them run unchanged.
"""

import enum

from . import _errors, _kiln

# onnxruntime's limits on session and run config entries.
_MAX_CONFIG_KEY = 1024
_MAX_CONFIG_VALUE = 8192


class GraphOptimizationLevel(enum.IntEnum):
    ORT_DISABLE_ALL = 0
    ORT_ENABLE_BASIC = 1
    ORT_ENABLE_EXTENDED = 2
    ORT_ENABLE_LAYOUT = 3  # kiln has no separate layout level: runs as ORT_ENABLE_ALL
    ORT_ENABLE_ALL = 99


class ExecutionMode(enum.IntEnum):
    ORT_SEQUENTIAL = 0
    ORT_PARALLEL = 1


class ExecutionOrder(enum.IntEnum):
    DEFAULT = 0
    PRIORITY_BASED = 1
    MEMORY_EFFICIENT = 2


def _check_config_entry(key, value):
    if not isinstance(key, str) or not isinstance(value, str):
        raise TypeError("config entries take a str key and a str value")
    if len(key) > _MAX_CONFIG_KEY:
        raise _errors.InvalidArgument(f"config key '{key[:40]}...' is longer than {_MAX_CONFIG_KEY} characters")
    if len(value) > _MAX_CONFIG_VALUE:
        raise _errors.InvalidArgument(f"value of config key '{key}' is longer than {_MAX_CONFIG_VALUE} characters")


class SessionOptions:
    """onnxruntime.SessionOptions. Used by kiln: graph_optimization_level, intra_op_num_threads,
    inter_op_num_threads, enable_profiling, profile_file_prefix, optimized_model_filepath, log_severity_level
    (kiln's log threshold is process-wide: it applies while the session is being created),
    add_session_config_entry, add_free_dimension_override_by_name, add_external_initializers."""

    def __init__(self):
        self.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        self.intra_op_num_threads = 0
        self.inter_op_num_threads = 0
        self.execution_mode = ExecutionMode.ORT_SEQUENTIAL
        self.execution_order = ExecutionOrder.DEFAULT
        self.enable_profiling = False
        self.profile_file_prefix = "onnxruntime_profile_"
        self.optimized_model_filepath = ""
        self.enable_cpu_mem_arena = True
        self.enable_mem_pattern = True
        self.enable_mem_reuse = True
        self.use_deterministic_compute = False
        self.use_per_session_threads = True
        self.log_severity_level = -1  # -1: the process-wide level (set_default_logger_severity)
        self.log_verbosity_level = 0
        self.logid = ""
        self._config_entries = {}
        self._dim_overrides = {}
        self._external_initializers = {}  # name -> OrtValue

    def add_session_config_entry(self, key, value):
        _check_config_entry(key, value)
        self._config_entries[key] = value

    def get_session_config_entry(self, key):
        if key not in self._config_entries:
            raise RuntimeError(f"SessionOptions does not have configuration with key: {key}")
        return self._config_entries[key]

    def add_free_dimension_override_by_name(self, dim_name, dim_value):
        self._dim_overrides[str(dim_name)] = int(dim_value)

    def add_free_dimension_override_by_denotation(self, dim_denotation, dim_value):
        raise _errors.NotImplemented("kiln does not read dimension denotations; use "
                                     "add_free_dimension_override_by_name")

    def add_external_initializers(self, names, values):
        """Data for initializers the model stores as external data, by name (a list of OrtValue, shared not
        copied; each must match the initializer's type and shape)."""
        if len(names) != len(values):
            raise ValueError("add_external_initializers: names and values differ in length")
        for name, value in zip(names, values):
            if not getattr(value, "is_tensor", lambda: False)():
                raise TypeError(f"external initializer '{name}': expected a tensor OrtValue")
            self._external_initializers[str(name)] = value

    def add_initializer(self, name, value):
        raise _errors.NotImplemented("add_initializer: kiln replaces only initializers stored as external data "
                                     "(add_external_initializers); feed an overridable initializer instead")

    def register_custom_ops_library(self, library_path):
        raise _errors.NotImplemented(f"custom operator libraries are not supported by kiln ('{library_path}')")

    def _to_kiln(self):
        level = int(self.graph_optimization_level)
        options = _kiln.SessionOptions()
        options.optimization_level = 99 if level == GraphOptimizationLevel.ORT_ENABLE_LAYOUT else level
        options.intra_op_threads = int(self.intra_op_num_threads)
        options.inter_op_threads = int(self.inter_op_num_threads)
        options.enable_profiling = bool(self.enable_profiling)
        options.profile_file_prefix = str(self.profile_file_prefix)
        options.optimized_model_filepath = str(self.optimized_model_filepath)
        options.config_entries = dict(self._config_entries)
        options.dim_overrides = dict(self._dim_overrides)
        for name, value in self._external_initializers.items():
            options.add_external_initializer(name, value._value)
        return options


class RunOptions:
    """onnxruntime.RunOptions. kiln honours terminate (a run that starts with it set raises Fail); the others
    are kept for scripts that set them."""

    def __init__(self):
        self.log_severity_level = -1
        self.log_verbosity_level = 0
        self.logid = ""
        self.terminate = False
        self.only_execute_path_to_fetches = False
        self._config_entries = {}

    def add_run_config_entry(self, key, value):
        _check_config_entry(key, value)
        self._config_entries[key] = value

    def get_run_config_entry(self, key):
        if key not in self._config_entries:
            raise RuntimeError(f"RunOptions does not have configuration with key: {key}")
        return self._config_entries[key]
