"""Shared fixtures for the end-to-end model tests: the kiln binary, running it, and the built models.

The kiln binary comes from $KILN_BIN (default /work/main/build/tools/kiln/kiln, i.e. <repo>/build/tools/kiln/kiln).
When it is missing every test that needs it fails (never skips) with a message that says how to build it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import build_models  # noqa: E402

DEFAULT_KILN_BIN = os.path.join(REPO, "build", "tools", "kiln", "kiln")
RAPIDOCR_MODELS = os.path.join(
    REPO, ".venv", "lib", f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages",
    "rapidocr_onnxruntime", "models",
)
KILN_TIMEOUT_S = 600


def executable(env_var: str, default: str, how_to_build: str) -> str:
    """The path in `env_var` (else `default`) when it is an executable file; otherwise the test run fails saying how
    to build it."""
    path = os.environ.get(env_var, default)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"'{path}' is not an executable file: {how_to_build} or point {env_var} at it", pytrace=False)
    return path


def assert_outputs_close(actual: np.ndarray, expected: np.ndarray, what: str, rtol: float, atol_of_peak: float,
                         atol_floor: float = 0.0) -> None:
    """Same dtype and shape; integers and bools equal; floats within rtol and an absolute tolerance of
    atol_of_peak times the expected output's largest magnitude (at least atol_floor)."""
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, expected {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    if not np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=max(atol_of_peak * scale, atol_floor), err_msg=what)


@pytest.fixture(scope="session")
def kiln_bin() -> str:
    return executable("KILN_BIN", DEFAULT_KILN_BIN, "build it (cmake -S . -B build -G Ninja && ninja -C build kiln)")


@dataclass
class KilnRun:
    returncode: int
    stdout: str
    stderr: str

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_kiln(kiln_bin: str, *args: str, timeout: float = KILN_TIMEOUT_S) -> KilnRun:
    proc = subprocess.run(
        [kiln_bin, *args], capture_output=True, text=True, timeout=timeout, errors="replace", check=False
    )
    return KilnRun(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class PrintedOutput:
    name: str
    dtype: str
    shape: list[int]
    top: list[tuple[list[int], float]]  # (index, value) of the top-k values, as printed


_OUTPUT_LINE = re.compile(r"^  (\S+)  (\S+)  \[([0-9,]*)\]\s*$")
_TOP_ENTRY = re.compile(r"\[([0-9,]*)\]=(\S+)")


def parse_printed_outputs(stdout: str) -> list[PrintedOutput]:
    """The `outputs:` section of `kiln run`: per output a line `  NAME  DTYPE  [d0,d1,...]`, then (indented
    further) statistics and a `top-k:  [i,j]=v ...` line."""
    lines = stdout.splitlines()
    assert "outputs:" in lines, f"kiln run printed no 'outputs:' section:\n{stdout}"
    outputs: list[PrintedOutput] = []
    for line in lines[lines.index("outputs:") + 1 :]:
        if not line.startswith("  "):
            break
        m = _OUTPUT_LINE.match(line)
        if m:
            shape = [int(d) for d in m.group(3).split(",") if d]
            outputs.append(PrintedOutput(m.group(1), m.group(2), shape, []))
        elif outputs and line.strip().startswith("top-"):
            outputs[-1].top = [
                ([int(d) for d in idx.split(",") if d], float(v)) for idx, v in _TOP_ENTRY.findall(line)
            ]
    return outputs


@pytest.fixture(scope="session")
def built_model():
    """built_model(name) -> path of tests/models/.cache/<name>.onnx, built on first use."""
    return lambda name: build_models.build(name)


def save_npy(directory, name: str, array: np.ndarray) -> str:
    path = os.path.join(str(directory), f"{name.replace('/', '_').replace(':', '_')}.npy")
    np.save(path, array)
    return path
