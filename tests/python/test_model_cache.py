"""kiln's model cache (provider option cache_dir) and weight sharing (session config ep.share_ep_contexts) through
the Python API: processes that create sessions on one cache folder at once all answer right and leave one valid
cache file, which the next process imports; a damaged file is warned about and replaced; sessions that share
contexts run one compiled model."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import kiln
from conftest import OPENVINO, matmul_model, matmul_reference

TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}

# One session on MODEL with cache_dir CACHE; its output for a seeded input goes to OUT (.npy).
CHILD = """
import sys
import numpy as np
import kiln
model, cache, out = sys.argv[1:4]
sess = kiln.InferenceSession(model, providers=["OpenVINOExecutionProvider"],
                             provider_options=[{"device_type": "CPU", "cache_dir": cache}])
x = np.random.default_rng(5).standard_normal((3, 128)).astype(np.float32)
np.save(out, sess.run(None, {"x": x})[0])
"""


def start_child(model: str, cache: str, out: str, log_level: str = "2") -> subprocess.Popen:
    env = dict(os.environ, KILN_LOG_LEVEL=log_level, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen([sys.executable, "-c", CHILD, model, cache, out], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(child: subprocess.Popen) -> str:
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    return err


def test_concurrent_processes_on_one_cache_dir_leave_one_valid_file(model_path, tmp_path):
    model = matmul_model(size=128, seed=3)
    path = model_path(model)
    cache = str(tmp_path / "cache")
    x = np.random.default_rng(5).standard_normal((3, 128)).astype(np.float32)
    want = matmul_reference(model, x)
    children = [start_child(path, cache, str(tmp_path / f"out{i}.npy")) for i in range(4)]
    for i, child in enumerate(children):
        err = finish(child)
        assert "warning" not in err, err
        np.testing.assert_allclose(np.load(tmp_path / f"out{i}.npy"), want, **TOLERANCE)
    files = sorted(os.listdir(cache))
    assert len(files) == 1 and files[0].startswith("kiln_ov_") and files[0].endswith(".blob"), files
    err = finish(start_child(path, cache, str(tmp_path / "hit.npy"), log_level="1"))
    assert "imported from the model cache file" in err, err
    assert "warning" not in err, err
    np.testing.assert_allclose(np.load(tmp_path / "hit.npy"), want, **TOLERANCE)

    # A damaged file: a warning naming it, the right answer, and a valid file again.
    blob = os.path.join(cache, files[0])
    data = bytearray(open(blob, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(blob, "wb").write(bytes(data))
    err = finish(start_child(path, cache, str(tmp_path / "damaged.npy")))
    assert "warning" in err and blob in err and "checksum" in err, err
    np.testing.assert_allclose(np.load(tmp_path / "damaged.npy"), want, **TOLERANCE)
    err = finish(start_child(path, cache, str(tmp_path / "again.npy"), log_level="1"))
    assert "imported from the model cache file" in err and "warning" not in err, err


def test_sessions_sharing_contexts_run_one_compiled_model(capfd):
    model = matmul_model(size=96, seed=4)
    so = kiln.SessionOptions()
    so.add_session_config_entry("ep.share_ep_contexts", "1")
    kiln.set_default_logger_severity(1)
    try:
        first = kiln.InferenceSession(model.SerializeToString(), so, providers=[OPENVINO])
        second = kiln.InferenceSession(model.SerializeToString(), so, providers=[OPENVINO])
    finally:
        kiln.set_default_logger_severity(2)
    err = capfd.readouterr().err
    assert err.count("shared with another session") == 1, err
    x = np.random.default_rng(6).standard_normal((2, 96)).astype(np.float32)
    for sess in (first, second):
        np.testing.assert_allclose(sess.run(None, {"x": x})[0], matmul_reference(model, x), **TOLERANCE)
