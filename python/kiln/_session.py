"""InferenceSession, NodeArg and ModelMetadata with onnxruntime's names and rules, over kiln's C++ Session."""

import collections.abc
import os
import threading
import warnings

import numpy as np

from . import _dtypes, _errors, _kiln
from ._options import RunOptions, SessionOptions
from ._ortvalue import IOBinding, OrtValue

CPU_PROVIDER = "CPUExecutionProvider"
# onnxruntime's session config key for the folder of external data of a model given as bytes.
_EXTERNAL_DATA_FOLDER_KEY = "session.model_external_initializers_file_folder_path"


class NodeArg:
    """A graph input or output: name, type string ('tensor(float)') and shape (int, str for a symbolic dimension,
    None for an unknown one; [] when the rank is unknown)."""

    def __init__(self, name, element_type, kind, shape):
        self.name = name
        self.type = _dtypes.type_string(element_type, kind)
        self.shape = [] if shape is None else list(shape)
        self._element_type = element_type
        self._kind = kind

    def __str__(self):
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape!r})"

    __repr__ = __str__


class ModelMetadata:
    def __init__(self, fields):
        self.producer_name = fields["producer_name"]
        self.graph_name = fields["graph_name"]
        self.domain = fields["domain"]
        self.description = fields["description"]
        self.graph_description = fields["graph_description"]
        self.version = fields["version"]
        self.custom_metadata_map = dict(fields["custom_metadata_map"])


def _normalize_providers(providers, provider_options):
    """onnxruntime's rules: names or (name, dict) tuples in priority order, or names with a same-length list of
    option dicts; keys and values become str. None means every available provider. Unknown names are dropped with
    a warning, duplicates ignored with one. Returns (names, option dicts)."""
    available = _kiln.available_providers()
    if providers is None:
        return list(available), [{} for _ in available]
    if not isinstance(providers, collections.abc.Sequence) or isinstance(providers, str):
        raise ValueError("'providers' should be a sequence.")
    pairs = []
    if provider_options is not None:
        if not isinstance(provider_options, collections.abc.Sequence):
            raise ValueError("'provider_options' should be a sequence.")
        if len(providers) != len(provider_options):
            raise ValueError("'providers' and 'provider_options' should be the same length if both are given.")
        if not all(isinstance(p, str) for p in providers):
            raise ValueError("Only string values for 'providers' are supported if 'provider_options' is given.")
        if not all(isinstance(o, dict) for o in provider_options):
            raise ValueError("'provider_options' values must be dicts.")
        pairs = list(zip(providers, provider_options))
    else:
        for p in providers:
            if isinstance(p, str):
                pairs.append((p, {}))
            elif isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], dict):
                pairs.append(p)
            else:
                raise ValueError("'providers' values must be either strings or (string, dict) tuples.")
    chosen = {}
    for name, options in pairs:
        if name not in available:
            warnings.warn(f"Specified provider '{name}' is not in available provider names."
                          f"Available providers: '{', '.join(available)}'")
            continue
        if name in chosen:
            warnings.warn(f"Duplicate provider '{name}' encountered, ignoring.")
            continue
        chosen[name] = {str(k): str(v) for k, v in options.items()}
    return list(chosen), list(chosen.values())


class InferenceSession:
    """onnxruntime.InferenceSession on kiln.

    InferenceSession(path_or_bytes, sess_options=None, providers=None, provider_options=None, **kwargs): a model
    file path (str or os.PathLike) or the model's bytes; providers in priority order, by default every available
    one (kiln.get_available_providers()); the CPU provider always runs what the others leave. A model given as
    bytes finds external data in the folder named by the session config entry
    'session.model_external_initializers_file_folder_path', or takes it from add_external_initializers.
    """

    def __init__(self, path_or_bytes, sess_options=None, providers=None, provider_options=None, **kwargs):
        if isinstance(path_or_bytes, (str, os.PathLike)):
            self._model_path = os.fspath(path_or_bytes)
            self._model_bytes = None
        elif isinstance(path_or_bytes, bytes):
            self._model_path = None
            self._model_bytes = path_or_bytes
        else:
            raise TypeError(f"Unable to load from type '{type(path_or_bytes)}'")
        self._sess_options = sess_options if sess_options is not None else SessionOptions()
        self._enable_fallback = int(kwargs.get("enable_fallback", 1)) == 1
        self._create(providers, provider_options)

    def _create(self, providers, provider_options):
        names, options = _normalize_providers(providers, provider_options)
        kiln_options = self._sess_options._to_kiln()
        for name, opts in zip(names, options):
            kiln_options.append_provider(name, opts)
        level = int(self._sess_options.log_severity_level)
        previous = _kiln.log_severity()
        if level >= 0:
            _kiln.set_log_severity(level)
        try:
            if self._model_path is not None:
                sess = _kiln.Session(self._model_path, kiln_options)
            else:
                base_dir = self._sess_options._config_entries.get(_EXTERNAL_DATA_FOLDER_KEY, "")
                sess = _kiln.Session.from_bytes(self._model_bytes, kiln_options, base_dir)
        finally:
            if level >= 0:
                _kiln.set_log_severity(previous)
        self._sess = sess
        self._providers = names + ([CPU_PROVIDER] if CPU_PROVIDER not in names else [])
        self._provider_options = {name: dict(opts) for name, opts in zip(names, options)}
        self._provider_options.setdefault(CPU_PROVIDER, {})
        self._inputs_meta = [NodeArg(*info) for info in sess.inputs()]
        self._outputs_meta = [NodeArg(*info) for info in sess.outputs()]
        self._overridable_initializers = [NodeArg(*info) for info in sess.overridable_initializers()]
        self._feed_meta = {arg.name: arg for arg in self._inputs_meta + self._overridable_initializers}
        self._model_meta = ModelMetadata(sess.metadata())

    # --- metadata

    def get_inputs(self):
        return list(self._inputs_meta)

    def get_outputs(self):
        return list(self._outputs_meta)

    def get_overridable_initializers(self):
        return list(self._overridable_initializers)

    def get_modelmeta(self):
        return self._model_meta

    def get_providers(self):
        return list(self._providers)

    def get_provider_options(self):
        return {name: dict(opts) for name, opts in self._provider_options.items()}

    def get_session_options(self):
        return self._sess_options

    def set_providers(self, providers=None, provider_options=None):
        """Re-creates the session with these providers (same rules as the constructor)."""
        self._create(providers, provider_options)

    def disable_fallback(self):
        self._enable_fallback = False

    def enable_fallback(self):
        self._enable_fallback = True

    def end_profiling(self):
        """Writes the profile (SessionOptions.enable_profiling) and returns its file name; '' when not profiling."""
        return self._sess.end_profiling()

    def io_binding(self):
        return IOBinding(self)

    # --- runs

    def _feed(self, name, value):
        """A feed value in the form _kiln.Session.run takes (a _kiln.Tensor, a list of them, or None)."""
        if isinstance(value, OrtValue):
            return value._value
        if value is None:
            return None
        arg = self._feed_meta.get(name)
        if arg is not None and arg._kind in ("sequence", "optional(sequence)") and isinstance(value, (list, tuple)):
            return [v._value if isinstance(v, OrtValue) else _dtypes.tensor_from_numpy(v) for v in value]
        if isinstance(value, (np.ndarray, np.generic)):
            return _dtypes.tensor_from_numpy(value)
        if isinstance(value, list):
            # As onnxruntime: a list becomes an array of the input's declared type.
            dtype = None
            if arg is not None and arg._element_type not in (0, _dtypes.STRING):
                dtype = _dtypes.numpy_dtype_of(arg._element_type)
            return _dtypes.tensor_from_numpy(np.asarray(value, dtype=dtype))
        raise RuntimeError(f"Input must be a list of dictionaries or a single numpy array for input '{name}'.")

    def _validate_input(self, feed_names):
        missing = [arg.name for arg in self._inputs_meta if arg.name not in feed_names and
                   not arg.type.startswith("optional")]
        if missing:
            raise ValueError(f"Required inputs ({missing}) are missing from input feed ({feed_names}).")

    def _run_values(self, output_names, input_feed, run_options):
        """Runs on a dict of feeds; returns kiln's values (tensors, lists of them, None)."""
        if run_options is not None and run_options.terminate:
            raise _errors.Fail("Exiting due to terminate flag being set to true.")
        self._validate_input(list(input_feed.keys()))
        feeds = [(name, self._feed(name, value)) for name, value in input_feed.items()]
        # An optional input left out is an empty optional.
        feeds += [(arg.name, None) for arg in self._inputs_meta
                  if arg.type.startswith("optional") and arg.name not in input_feed]
        names = list(output_names) if output_names else []
        try:
            return self._sess.run(feeds, names)
        except _errors.EPFail as err:
            if not self._enable_fallback or self._providers == [CPU_PROVIDER]:
                raise
            print(f"EP Error: {err!s} using {self._providers}")
            print(f"Falling back to ['{CPU_PROVIDER}'] and retrying.")
            self.set_providers([CPU_PROVIDER])
            self.disable_fallback()
            return self._sess.run(feeds, names)

    def run(self, output_names, input_feed, run_options=None):
        """Runs the model: output_names None or [] for all outputs; input_feed {name: numpy array, list, OrtValue,
        or None for an empty optional}. Returns numpy arrays (lists of them for sequences, None for an empty
        optional). The GIL is released while kiln runs; one session serves many threads at once."""
        return [_to_python(v) for v in self._run_values(output_names, input_feed, run_options)]

    def run_with_ort_values(self, output_names, input_dict_ort_values, run_options=None):
        return [OrtValue(v) for v in self._run_values(output_names, input_dict_ort_values, run_options)]

    def run_with_iobinding(self, iobinding, run_options=None):
        names = list(iobinding._outputs) or [arg.name for arg in self._outputs_meta]
        values = self._run_values(names, iobinding._inputs, run_options)
        iobinding._store(names, [OrtValue(v) for v in values])

    def run_async(self, output_names, input_feed, callback, user_data, run_options=None):
        """Runs on another thread, then calls callback(outputs, user_data, error_message) ('' when it worked)."""

        def work():
            try:
                outputs = self.run(output_names, input_feed, run_options)
            except Exception as err:  # reported to the callback, as onnxruntime does
                callback([], user_data, str(err))
                return
            callback(outputs, user_data, "")

        threading.Thread(target=work, daemon=True).start()

    # --- kiln's own

    def node_assignments(self):
        """kiln: (node name, op type, provider, why a preferred provider did not take it) for each node of the
        optimised graph."""
        return self._sess.node_assignments()


def _to_python(value):
    if value is None:
        return None
    if isinstance(value, list):
        return [_dtypes.numpy_from_tensor(t) for t in value]
    return _dtypes.numpy_from_tensor(value)


__all__ = ["InferenceSession", "NodeArg", "ModelMetadata", "RunOptions", "SessionOptions"]
