"""Measures one model on one peer runtime, inside that runtime's venv, and prints the result as JSON in exactly the
schema of `kiln perf --json` (SCHEMA below), so that bench/compare treats kiln and its peers alike.

    bench/.venv-ort/bin/python bench/peer_run.py --runtime ort-cpu --inputs DIR -x 1 -r 20 MODEL
    bench/.venv-ov/bin/python  bench/peer_run.py --runtime ort-openvino --inputs DIR -x 2 -r 20 -c 2 MODEL
    bench/.venv-ep/bin/python  bench/peer_run.py --runtime ort-ep-openvino --inputs DIR -r 0 --save-outputs OUT MODEL

Runtimes (each needs its own venv, made by bench/peers.sh):
  ort-cpu          onnxruntime's CPUExecutionProvider
  ort-openvino     onnxruntime-openvino's OpenVINOExecutionProvider: device_type CPU, num_of_threads T,
                   precision FP32 (or --precision), num_streams C when -c C > 1; with --load-config FILE, no
                   precision but load_config FILE (bf16: {"CPU": {"INFERENCE_PRECISION_HINT": "bf16"}})
  ort-ep-openvino  the onnxruntime-ep-openvino plugin, registered with register_execution_provider_library and added
                   for its OpenVINO CPU device with add_provider_for_devices; that path takes OpenVINO properties only
                   through load_config: {"CPU": {"INFERENCE_NUM_THREADS": T, "INFERENCE_PRECISION_HINT": "f32",
                   "NUM_STREAMS": C}}
Session options for all: intra_op_num_threads T, inter_op_num_threads 1, the peer's default graph optimisation.

Inputs come from --inputs DIR (NAME.npy per model input, written by bench/models/build.py) so that every runtime
gets the same data. One warm-up run (excluded, as perf_test's "first inference"), then -r N timed runs, or N runs
spread over C threads calling run() concurrently on the one session. The figures are computed as kiln perf (and
onnxruntime_perf_test) computes them: latency = one run() call; total_s = the sum of the latencies; throughput =
runs / wall time of the timed runs (wall_s); percentiles by perf_test's rule (percentile()); peak RSS = the process's
VmHWM. After SCHEMA's keys come three that kiln perf also writes: first_inference_ms, wall_s, inter_op_threads.
--save-outputs DIR writes the warm-up run's outputs as output_<i>.npy (the naming of `kiln run`).
A runtime that cannot run here exits with status 3 and one line on stderr that starts with "not available:".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time

SCHEMA = (
    "tool", "model", "provider", "provider_options", "session_config", "intra_op_threads", "concurrency", "mode",
    "runs", "session_creation_s", "total_s", "avg_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "min_ms",
    "max_ms", "throughput_per_s", "peak_rss_mb", "latencies_ms",
)
PERCENTILES = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99, "p999_ms": 0.999}
RUNTIMES = ("ort-cpu", "ort-openvino", "ort-ep-openvino")
NOT_AVAILABLE_EXIT = 3


class NotAvailable(Exception):
    """The runtime cannot run here (package, provider or device missing)."""


def percentile(sorted_ms: list[float], p: float) -> float:
    """perf_test's (and kiln perf's) percentile: the element at index floor(n * p) of the ascending latencies, a
    nearest-rank rule that rounds the rank up (for n = 10, P50 is the 6th smallest)."""
    return sorted_ms[min(int(len(sorted_ms) * p), len(sorted_ms) - 1)]


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def session_setup(runtime: str, threads: int, concurrency: int, precision: str, load_config: str | None = None):
    """(SessionOptions, provider list for InferenceSession or None, provider name, provider options as reported)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    if runtime == "ort-cpu":
        return so, ["CPUExecutionProvider"], "CPUExecutionProvider", {}
    if runtime == "ort-openvino":
        if "OpenVINOExecutionProvider" not in ort.get_available_providers():
            raise NotAvailable(f"onnxruntime {ort.__version__} here has no OpenVINOExecutionProvider")
        options = {"device_type": "CPU", "num_of_threads": str(threads)}
        if load_config:  # onnxruntime-openvino takes the JSON itself (perf_test reads a file and passes its text)
            with open(load_config) as f:
                options["load_config"] = f.read()
        else:
            options["precision"] = precision
        if concurrency > 1:
            options["num_streams"] = str(concurrency)
        providers = [("OpenVINOExecutionProvider", options), "CPUExecutionProvider"]
        return so, providers, "OpenVINOExecutionProvider", options
    try:
        import onnxruntime_ep_openvino as plugin
    except ImportError as e:
        raise NotAvailable(f"onnxruntime-ep-openvino is not installed ({e})") from e
    ort.register_execution_provider_library("openvino_plugin", plugin.get_library_path())
    devices = [d for d in ort.get_ep_devices() if d.ep_name == plugin.get_ep_name()]
    cpu = [d for d in devices if d.ep_metadata.get("ov_device") == "CPU"]
    if not cpu:
        offered = ", ".join(d.ep_metadata.get("ov_device", "?") for d in devices) or "none"
        raise NotAvailable(
            f"the onnxruntime-ep-openvino plugin offers no OpenVINO CPU device here (offered: {offered}; it lists only "
            f"devices whose vendor is Intel)"
        )
    properties = {"INFERENCE_NUM_THREADS": str(threads), "INFERENCE_PRECISION_HINT": precision.lower()}
    if concurrency > 1:
        properties["NUM_STREAMS"] = str(concurrency)
    options = {"load_config": json.dumps({"CPU": properties})}
    so.add_provider_for_devices(cpu[:1], options)
    return so, None, plugin.get_ep_name(), options


def load_feeds(session, inputs_dir: str) -> dict:
    import numpy as np

    feeds = {}
    for i in session.get_inputs():
        path = os.path.join(inputs_dir, f"{i.name}.npy")
        if not os.path.exists(path):
            raise FileNotFoundError(f"input '{i.name}' of the model has no file {path}")
        feeds[i.name] = np.load(path)
    return feeds


def timed_runs(session, feeds: dict, runs: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies (ms) of `runs` run() calls made by `concurrency` threads, and the wall time (s) of them all."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [runs]

    def worker() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            start = time.perf_counter()
            session.run(None, feeds)
            ms = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(ms)

    start = time.perf_counter()
    if concurrency == 1:
        worker()
    else:
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return latencies, time.perf_counter() - start


def measure(args) -> dict:
    import numpy as np
    import onnxruntime as ort

    so, providers, provider, options = session_setup(args.runtime, args.threads, args.concurrency, args.precision,
                                                     args.load_config)
    start = time.perf_counter()
    session = ort.InferenceSession(args.model, so, providers=providers)
    creation_s = time.perf_counter() - start
    if provider not in session.get_providers():
        raise NotAvailable(f"{provider} was not applied (session providers: {session.get_providers()})")
    feeds = load_feeds(session, args.inputs)
    start = time.perf_counter()
    outputs = session.run(None, feeds)  # warm-up
    first_ms = (time.perf_counter() - start) * 1000
    if args.save_outputs:
        os.makedirs(args.save_outputs, exist_ok=True)
        for i, value in enumerate(outputs):
            np.save(os.path.join(args.save_outputs, f"output_{i}.npy"), value)
    latencies, wall_s = timed_runs(session, feeds, args.runs, args.concurrency)
    ordered = sorted(latencies)
    tool = f"onnxruntime {ort.__version__}"
    if args.runtime == "ort-ep-openvino":
        from importlib.metadata import version

        tool += f" + onnxruntime-ep-openvino {version('onnxruntime-ep-openvino')}"
    result = {
        "tool": tool,
        "model": args.model,
        "provider": provider,
        "provider_options": options,
        "session_config": {},
        "intra_op_threads": args.threads,
        "concurrency": args.concurrency,
        "mode": "times",
        "runs": len(latencies),
        "session_creation_s": creation_s,
        "total_s": sum(latencies) / 1000,
        "avg_ms": sum(latencies) / len(latencies) if latencies else 0.0,
        **{key: percentile(ordered, p) if ordered else 0.0 for key, p in PERCENTILES.items()},
        "min_ms": ordered[0] if ordered else 0.0,
        "max_ms": ordered[-1] if ordered else 0.0,
        "throughput_per_s": len(latencies) / wall_s if wall_s > 0 else 0.0,
        "peak_rss_mb": peak_rss_mb(),
        "latencies_ms": latencies,
        "first_inference_ms": first_ms,
        "wall_s": wall_s,
        "inter_op_threads": 1,
    }
    assert tuple(result)[: len(SCHEMA)] == SCHEMA
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--runtime", choices=RUNTIMES, required=True)
    parser.add_argument("--inputs", required=True, help="folder with NAME.npy for each model input")
    parser.add_argument("-x", "--threads", type=int, default=1, help="intra-op threads (default 1)")
    parser.add_argument("-r", "--runs", type=int, default=20, help="timed runs after the warm-up (default 20)")
    parser.add_argument("-c", "--concurrency", type=int, default=1, help="threads calling run() (default 1)")
    parser.add_argument("--precision", default="FP32", help="OpenVINO precision (default FP32)")
    parser.add_argument("--load-config", help="ort-openvino: a load_config JSON file, its text given instead of precision")
    parser.add_argument("--save-outputs", help="folder for the warm-up run's outputs (output_<i>.npy)")
    parser.add_argument("--json", help="also write the JSON to this file")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.runs < 0 or args.concurrency < 1:
        parser.error("-x and -c must be at least 1, -r at least 0")
    try:
        result = measure(args)
    except NotAvailable as e:
        print(f"not available: {e}", file=sys.stderr)
        return NOT_AVAILABLE_EXIT
    text = json.dumps(result)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
