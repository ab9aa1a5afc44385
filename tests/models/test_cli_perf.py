"""`kiln perf`: onnxruntime_perf_test's output lines, the --json results, the -p trace, -l, inputs from the model's
test_data_set_0, and the usage errors (exit 2, one line naming the flag).

Oracles: the statistics in the JSON are recomputed here from its own latencies with perf_test's rule
(sorted[int(n * p)]); the trace's node names come from `kiln ops`, which lists the optimised graph.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import run_kiln

MODEL = "resnet_cnn"
FLOAT = r"[0-9.eE+-]+"

# perf_test's lines, in its order (onnxruntime/test/perftest/performance_runner.cc and main.cc).
PERF_TEST_LINES = [
    rf"Session creation time cost: {FLOAT} s",
    r"First inference time cost: \d+ ms",
    rf"Total inference time cost: {FLOAT} s",
    r"Total inference requests: \d+",
    rf"Average inference time cost: {FLOAT} ms",
    rf"Total inference run time: {FLOAT} s",
    rf"Number of inferences per second: {FLOAT} ",
    r"Avg CPU usage: \d+ %",
    r"Peak working set size: \d+ bytes",
    r"Avg CPU usage:\d+",
    r"Peak working set size:\d+",
    r"Runs:\d+",
    rf"Min Latency: {FLOAT} s",
    rf"Max Latency: {FLOAT} s",
    rf"P50 Latency: {FLOAT} s",
    rf"P90 Latency: {FLOAT} s",
    rf"P95 Latency: {FLOAT} s",
    rf"P99 Latency: {FLOAT} s",
    rf"P999 Latency: {FLOAT} s",
]

# The keys a benchmark harness reads, with their JSON types.
SCHEMA = {
    "tool": str, "model": str, "provider": str, "provider_options": dict, "session_config": dict,
    "intra_op_threads": int, "concurrency": int, "mode": str, "runs": int, "session_creation_s": float,
    "total_s": float, "avg_ms": float, "p50_ms": float, "p90_ms": float, "p95_ms": float, "p99_ms": float,
    "p999_ms": float, "min_ms": float, "max_ms": float, "throughput_per_s": float, "peak_rss_mb": float,
    "latencies_ms": list,
}


def perf(kiln_bin, *args):
    return run_kiln(kiln_bin, "perf", *args, timeout=300)


def printed(stdout: str, label: str) -> float:
    m = re.search(rf"^{re.escape(label)}:? ?({FLOAT})", stdout, re.MULTILINE)
    assert m, f"no '{label}' line in:\n{stdout}"
    return float(m.group(1))


def check_perf_test_lines(stdout: str):
    lines = stdout.splitlines()
    at = 0
    for pattern in PERF_TEST_LINES:
        while at < len(lines) and not re.fullmatch(pattern, lines[at]):
            at += 1
        assert at < len(lines), f"no line matching '{pattern}' (in perf_test's order) in:\n{stdout}"
        at += 1


def check_schema(result: dict):
    for key, kind in SCHEMA.items():
        assert key in result, f"--json lacks '{key}'"
        value = result[key]
        if kind is float:
            assert isinstance(value, (int, float)) and not isinstance(value, bool), f"'{key}' = {value!r}"
        else:
            assert isinstance(value, kind) and not isinstance(value, bool), f"'{key}' = {value!r}"
    assert result["tool"] == "kiln perf"


def node_names(kiln_bin, model: str) -> list[str]:
    run = run_kiln(kiln_bin, "ops", model)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split()[:3] == ["node", "op", "provider"], run.stdout
    return [line.split()[0] for line in lines[1:] if line.strip() and not line.startswith("#")]


def test_perf_prints_perf_test_lines_and_json(kiln_bin, built_model, tmp_path):
    model = built_model(MODEL)
    out = str(tmp_path / "perf.json")
    run = perf(kiln_bin, "-I", "-r", "5", "-S", "1", "--json", out, model)
    assert run.returncode == 0, run.stderr
    check_perf_test_lines(run.stdout)
    assert printed(run.stdout, "Total inference requests") == 5

    with open(out) as f:
        result = json.load(f)
    check_schema(result)
    assert (result["model"], result["provider"], result["mode"]) == (model, "cpu", "times")
    assert (result["runs"], result["concurrency"], result["intra_op_threads"]) == (5, 1, 0)
    assert result["provider_options"] == {} and result["session_config"] == {}

    latencies = result["latencies_ms"]
    assert len(latencies) == 5 and all(v > 0 for v in latencies)
    s = sorted(latencies)
    for key, p in [("p50_ms", 0.5), ("p90_ms", 0.9), ("p95_ms", 0.95), ("p99_ms", 0.99), ("p999_ms", 0.999)]:
        assert result[key] == pytest.approx(s[int(len(s) * p)]), key
    assert result["min_ms"] == pytest.approx(s[0]) and result["max_ms"] == pytest.approx(s[-1])
    assert result["avg_ms"] == pytest.approx(np.mean(latencies))
    assert result["total_s"] == pytest.approx(sum(latencies) / 1000)
    assert result["throughput_per_s"] == pytest.approx(5 / result["wall_s"])

    # The printed lines say the same (perf_test prints 6 significant digits).
    assert printed(run.stdout, "P50 Latency") == pytest.approx(result["p50_ms"] / 1000, rel=1e-5)
    assert printed(run.stdout, "P999 Latency") == pytest.approx(result["p999_ms"] / 1000, rel=1e-5)
    assert printed(run.stdout, "Average inference time cost") == pytest.approx(result["avg_ms"], rel=1e-5)
    assert printed(run.stdout, "Session creation time cost") == pytest.approx(result["session_creation_s"], rel=1e-5)
    peak_bytes = printed(run.stdout, "Peak working set size")
    assert result["peak_rss_mb"] == pytest.approx(peak_bytes / 2**20)
    assert peak_bytes > 1 << 20


def test_perf_profile_trace_has_every_node(kiln_bin, built_model, tmp_path):
    model = built_model(MODEL)
    trace_path = str(tmp_path / "trace.json")
    run = perf(kiln_bin, "-I", "-r", "3", "-s", "-p", trace_path, model)
    assert run.returncode == 0, run.stderr
    assert os.listdir(tmp_path) == ["trace.json"], "the trace is renamed to -p's file, nothing else is left"
    with open(trace_path) as f:
        trace = json.load(f)
    assert isinstance(trace, list)

    nodes = node_names(kiln_bin, model)
    assert nodes
    kernel_events: dict[str, int] = {}
    for e in trace:
        assert e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0, e
        if e["cat"] == "Node":
            kernel_events[e["name"]] = kernel_events.get(e["name"], 0) + 1
    # One event per node per run: the warm-up and the 3 timed runs.
    assert kernel_events == {f"{n}_kernel_time": 4 for n in nodes}
    session_events = [e["name"] for e in trace if e["cat"] == "Session"]
    assert session_events.count("model_run") == 4
    assert {"model_loading_uri", "session_initialization"} <= set(session_events)

    # -s with -p adds the time per op type, one row per op type of the graph.
    assert "Time per op type" in run.stdout
    ops_run = run_kiln(kiln_bin, "ops", model)
    op_types = {line.split()[1] for line in ops_run.stdout.splitlines()[1:] if line.strip() and not line.startswith("#")}
    table = run.stdout.split("Time per op type", 1)[1].splitlines()[2:]
    assert {line.split()[0] for line in table if line.strip()} == op_types


def test_perf_from_memory_gives_the_same_outputs(kiln_bin, built_model, tmp_path):
    model = built_model(MODEL)
    results = {}
    for name, extra in [("path", []), ("memory", ["-l"])]:
        out, trace = str(tmp_path / f"{name}.json"), str(tmp_path / f"{name}_trace.json")
        run = perf(kiln_bin, "-I", "-r", "3", "-S", "7", "--json", out, "-p", trace, *extra, model)
        assert run.returncode == 0, run.stderr
        check_perf_test_lines(run.stdout)
        with open(out) as f:
            result = json.load(f)
        check_schema(result)
        with open(trace) as f:
            nodes = sorted(e["name"] for e in json.load(f) if e["cat"] == "Node")
        results[name] = (sorted(result), result["runs"], nodes)
    assert results["memory"] == results["path"]


@pytest.mark.parametrize(
    "args, flag",
    [
        (["-r", "0"], "-r"),
        (["-t", "x"], "-t"),
        (["-m", "fast"], "-m"),
        (["-e", "cuda"], "-e"),
        (["-c", "0"], "-c"),
        (["-o", "5"], "-o"),
        (["-i", "device_type|CPU"], "-i"),
        (["-e", "openvino", "-i", "device_type"], "-i"),
        (["-C", "nobar"], "-C"),
        (["--dim", "N"], "--dim"),
        (["-Q"], "-Q"),
    ],
)
def test_perf_bad_flag_exits_2_naming_it(kiln_bin, built_model, args, flag):
    run = perf(kiln_bin, *args, "-I", built_model(MODEL))
    assert run.returncode == 2, f"{args}: exit {run.returncode}\n{run.stderr}"
    lines = run.stderr_lines()
    assert len(lines) == 1 and f"'{flag}'" in lines[0], run.stderr
    assert run.stdout == ""


def test_perf_help(kiln_bin):
    run = perf(kiln_bin, "-h")
    assert run.returncode == 0
    for flag in ["-e", "-m", "-r", "-t", "-c", "-x", "-y", "-i", "-C", "-o", "-I", "-l", "-S", "-p", "-u", "-s", "-v",
                 "--json", "--dim"]:
        assert re.search(rf"^  {re.escape(flag)}\b", run.stdout, re.MULTILINE), f"help lacks {flag}"


def test_perf_openvino_runs_and_profiles_the_compiled_subgraph(kiln_bin, built_model, tmp_path):
    """-e openvino with -i options: the perf_test lines, the JSON names the provider and its options, and the
    trace holds the compiled subgraph's events under the OpenVINO provider."""
    out, trace = str(tmp_path / "perf.json"), str(tmp_path / "trace.json")
    run = perf(kiln_bin, "-e", "openvino", "-i", "device_type|CPU precision|FP32", "-I", "-r", "3", "-S", "1",
               "--json", out, "-p", trace, built_model(MODEL))
    assert run.returncode == 0, run.stderr
    check_perf_test_lines(run.stdout)
    with open(out) as f:
        result = json.load(f)
    check_schema(result)
    assert result["provider"] == "openvino"
    assert result["provider_options"] == {"device_type": "CPU", "precision": "FP32"}
    with open(trace) as f:
        events = json.load(f)
    providers = {e["args"].get("provider") for e in events if e.get("cat") == "Node"}
    assert "OpenVINOExecutionProvider" in providers, providers


def test_perf_openvino_bad_option_names_the_key(kiln_bin, built_model):
    """A bad provider option is the provider parser's error: one line naming the key, exit 1 (the flags are right)."""
    run = perf(kiln_bin, "-e", "openvino", "-i", "num_streams|many", "-I", "-r", "1", built_model(MODEL))
    assert run.returncode == 1, run.stderr
    assert len(run.stderr_lines()) == 1, run.stderr
    assert "num_streams" in run.stderr


def relu_model(directory) -> str:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
    )
    opsets = [helper.make_opsetid("", 17)]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=helper.find_min_ir_version_for(opsets))
    path = os.path.join(str(directory), "model.onnx")
    onnx.save(model, path)
    return path


def test_perf_reads_test_data_set_0_next_to_the_model(kiln_bin, tmp_path):
    model = relu_model(tmp_path)
    run = perf(kiln_bin, "-r", "2", model)
    assert run.returncode == 1
    lines = run.stderr_lines()
    assert len(lines) == 1 and "test_data_set_0" in lines[0] and "-I" in lines[0], run.stderr

    os.makedirs(tmp_path / "test_data_set_0")
    x = np.arange(6, dtype=np.float32).reshape(2, 3) - 3
    with open(tmp_path / "test_data_set_0" / "input_0.pb", "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    run = perf(kiln_bin, "-r", "2", "-v", model)
    assert run.returncode == 0, run.stderr
    assert printed(run.stdout, "Total inference requests") == 2
    assert re.search(r"^  x  float  \[2,3\]$", run.stdout, re.MULTILINE), run.stdout

    # The data must fit the model: a wrong shape is the session's error, naming the input.
    with open(tmp_path / "test_data_set_0" / "input_0.pb", "wb") as f:
        f.write(numpy_helper.from_array(np.zeros((3, 3), np.float32), "x").SerializeToString())
    run = perf(kiln_bin, "-r", "2", model)
    assert run.returncode == 1 and "'x'" in run.stderr, run.stderr


def test_perf_dim_override_shapes_generated_inputs(kiln_bin, built_model):
    run = perf(kiln_bin, "-I", "-r", "1", "-v", "--dim", "seq=16", built_model("bert_encoder"))
    assert run.returncode == 0, run.stderr
    assert re.search(r"^  \S+  int64  \[1,16\]$", run.stdout, re.MULTILINE), run.stdout


def test_perf_concurrency_makes_exactly_r_runs(kiln_bin, built_model, tmp_path):
    out = str(tmp_path / "c.json")
    run = perf(kiln_bin, "-I", "-r", "7", "-c", "3", "--json", out, built_model(MODEL))
    assert run.returncode == 0, run.stderr
    with open(out) as f:
        result = json.load(f)
    assert (result["runs"], result["concurrency"], len(result["latencies_ms"])) == (7, 3, 7)


def test_perf_duration_mode_runs_until_the_time_is_up(kiln_bin, built_model, tmp_path):
    out = str(tmp_path / "d.json")
    run = perf(kiln_bin, "-I", "-t", "1", "--json", out, built_model(MODEL))
    assert run.returncode == 0, run.stderr
    with open(out) as f:
        result = json.load(f)
    assert result["mode"] == "duration" and result["runs"] >= 1
    assert result["wall_s"] >= 1.0


def test_perf_result_file_gets_one_line_per_request(kiln_bin, built_model, tmp_path):
    result_file = str(tmp_path / "results.csv")
    run = perf(kiln_bin, "-I", "-r", "3", built_model(MODEL), result_file)
    assert run.returncode == 0, run.stderr
    assert "P50 Latency" not in run.stdout  # with a result file, statistics only with -s (perf_test)
    with open(result_file) as f:
        rows = [line.split(",") for line in f.read().splitlines()]
    assert [r[4] for r in rows] == ["0", "1", "2"] and all(len(r) == 5 and float(r[1]) > 0 for r in rows)

    run = perf(kiln_bin, "-I", "-r", "2", "-s", built_model(MODEL), result_file)
    assert run.returncode == 0, run.stderr
    assert "P50 Latency" in run.stdout
    with open(result_file) as f:
        assert f.read().count("P50 Latency") == 1


def test_perf_optimized_model_flag_is_accepted(kiln_bin, built_model, tmp_path):
    """-u only sets SessionOptions::optimized_model_filepath (the session writes the file)."""
    run = perf(kiln_bin, "-I", "-r", "1", "-v", "-u", str(tmp_path / "opt.onnx"), built_model(MODEL))
    assert run.returncode == 0, run.stderr
    assert f"optimized model: {tmp_path / 'opt.onnx'}" in run.stdout
