"""`kiln run` on bad input: one line on stderr that names the culprit, and a non-zero exit (not a crash).

Table-driven: each case makes its files in tmp_path and says which name the error line must contain.
"""

from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import run_kiln

INPUT = "pixels"  # the tiny model's input: float [2, 3, 4]


def tiny_model(path: str) -> str:
    graph = helper.make_graph(
        [helper.make_node("Relu", [INPUT], ["out"], name="relu")],
        "tiny",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 3, 4])],
    )
    opsets = [helper.make_opsetid("", 17)]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def npy(tmp_path, name: str, array: np.ndarray) -> str:
    path = os.path.join(str(tmp_path), name)
    np.save(path, array)
    return path


def good(shape=(2, 3, 4), dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(0).random(shape).astype(dtype)


def case_missing_model(tmp_path):
    path = os.path.join(str(tmp_path), "no_such_model.onnx")
    return [path], "no_such_model.onnx"


def case_not_protobuf(tmp_path):
    path = os.path.join(str(tmp_path), "garbage.onnx")
    with open(path, "wb") as f:
        f.write(b"\xff\xff\xff\xff\x0f this is not a protobuf \x00\x07")
    return [path], "garbage.onnx"


def case_empty_file(tmp_path):
    path = os.path.join(str(tmp_path), "empty.onnx")
    open(path, "wb").close()
    return [path], "empty.onnx"


def case_wrong_input_name(tmp_path):
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    return [model, "--input", f"no_such_input={npy(tmp_path, 'x.npy', good())}"], "no_such_input"


def case_wrong_dtype(tmp_path):
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    return [model, "--input", f"{INPUT}={npy(tmp_path, 'x.npy', good(dtype=np.float64))}"], INPUT


def case_int_for_float(tmp_path):
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    return [model, "--input", f"{INPUT}={npy(tmp_path, 'x.npy', good(dtype=np.int64))}"], INPUT


def case_wrong_rank(tmp_path):
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    return [model, "--input", f"{INPUT}={npy(tmp_path, 'x.npy', good(shape=(3, 4)))}"], INPUT


def case_wrong_static_dim(tmp_path):
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    return [model, "--input", f"{INPUT}={npy(tmp_path, 'x.npy', good(shape=(2, 3, 5)))}"], INPUT


def case_missing_npy(tmp_path):
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    return [model, "--input", f"{INPUT}={os.path.join(str(tmp_path), 'absent.npy')}"], "absent.npy"


def case_not_npy(tmp_path):
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    path = os.path.join(str(tmp_path), "text.npy")
    with open(path, "w") as f:
        f.write("1 2 3\n")
    return [model, "--input", f"{INPUT}={path}"], "text.npy"


CASES = [
    case_missing_model,
    case_not_protobuf,
    case_empty_file,
    case_wrong_input_name,
    case_wrong_dtype,
    case_int_for_float,
    case_wrong_rank,
    case_wrong_static_dim,
    case_missing_npy,
    case_not_npy,
]


@pytest.mark.parametrize("make_case", CASES, ids=[c.__name__.removeprefix("case_") for c in CASES])
def test_error_is_one_line_naming_the_culprit(kiln_bin, tmp_path, make_case):
    args, culprit = make_case(tmp_path)
    run = run_kiln(kiln_bin, "run", *args, timeout=60)
    assert run.returncode > 0, f"expected a failing exit code, got {run.returncode} (negative: killed by a signal)"
    lines = run.stderr_lines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}:\n{run.stderr}"
    assert culprit in lines[0], f"the error line does not name '{culprit}': {lines[0]}"


def test_good_input_runs(kiln_bin, tmp_path):
    """The control case for the table above: the same model and a right .npy run cleanly."""
    model = tiny_model(os.path.join(str(tmp_path), "tiny.onnx"))
    x = good() - 0.5
    out_dir = os.path.join(str(tmp_path), "out")
    run = run_kiln(kiln_bin, "run", model, "--input", f"{INPUT}={npy(tmp_path, 'x.npy', x)}", "--save-outputs", out_dir)
    assert run.returncode == 0, run.stderr
    assert run.stderr_lines() == [], run.stderr
    np.testing.assert_array_equal(np.load(os.path.join(out_dir, "output_0.npy")), np.maximum(x, 0))


@pytest.mark.parametrize("args", [[], ["run"], ["run", "model.onnx", "--no-such-flag"], ["no-such-command"]])
def test_usage_errors_exit_2(kiln_bin, args):
    run = run_kiln(kiln_bin, *args, timeout=60)
    assert run.returncode == 2, f"bad command line {args}: exit {run.returncode}, expected 2\n{run.stderr}"
    assert run.stderr.strip(), "a usage error must say something on stderr"
