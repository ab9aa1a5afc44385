"""Session creation with OpenVINO: cold (no cache) against a warm cache_dir and an EPContext import, for kiln's
OpenVINO provider and onnxruntime-openvino side by side; and the peak memory of sessions that share weights.

    .venv/bin/python bench/cache_bench.py                       # resnet50, bert_base, gpt2_small; 3 rounds
    .venv/bin/python bench/cache_bench.py --models resnet50 --rounds 5 --json out.json
    .venv/bin/python bench/cache_bench.py --sharing bert_base   # peak RSS: 1 session, 2 sharing, 2 not sharing

Cases (device CPU, precision FP32, one thread pool per runtime's default):
  cold     no cache: the model is loaded, optimised, converted and compiled
  first    an empty cache_dir: the cold path plus writing the cache
  warm     cache_dir holding the model's entry (written by a session before the timed ones)
  epctx    the EPContext model (ep.context_enable=1, blobs in files beside it, written once before), imported
The third runtime, `openvino`, is OpenVINO alone through its Python API in .venv (no ONNX Runtime, no kiln): cold
is compile_model on the ONNX file; first and warm the same with OpenVINO's own CACHE_DIR (its blob memory-mapped);
the EPContext column is import_model of the compiled model's export read from a file. Its warm column is the least
any runtime on OpenVINO's CPU device does to start from a compiled blob, so kiln's cold / that figure bounds what
any cache can gain here.
Every measurement is a fresh process; the figure is that process's session creation time (kiln: `kiln perf
--json`'s session_creation_s; onnxruntime-openvino: the InferenceSession constructor, timed in bench/.venv-ov).
Each cell is the median over --rounds; the ratio columns are cold / case. Models come from bench/models/.cache
(bench/models/build.py builds the missing ones). The machine's other load makes single rounds noisy.

--sharing MODEL runs three fresh processes with kiln's Python module (build/python): one session; two sessions with
ep.share_ep_contexts=1; two sessions without. Each reports its peak RSS (VmHWM) after one run of every session.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODELS_DIR = os.path.join(HERE, "models", ".cache")
KILN = os.environ.get("KILN_BIN", os.path.join(REPO, "build", "tools", "kiln", "kiln"))
KILN_PYTHONPATH = os.environ.get("KILN_PYTHONPATH", os.path.join(REPO, "build", "python"))
OV_PYTHON = os.path.join(HERE, ".venv-ov", "bin", "python")
CASES = ("cold", "first", "warm", "epctx")
KILN_OPTIONS = "device_type|CPU precision|FP32"

# Times one onnxruntime-openvino session creation: argv = model, cache_dir ("" for none); prints seconds.
ORT_CHILD = """
import sys, time
import onnxruntime as ort
model, cache = sys.argv[1:3]
options = {"device_type": "CPU", "precision": "FP32"}
if cache:
    options["cache_dir"] = cache
so = ort.SessionOptions()
so.log_severity_level = 3
start = time.perf_counter()
ort.InferenceSession(model, so, providers=["OpenVINOExecutionProvider"], provider_options=[options])
print(time.perf_counter() - start)
"""

# Times one session of OpenVINO alone (its Python API, no ONNX Runtime, no kiln): argv = model, cache_dir ("" for
# none), blob ("" to compile the model; else import this exported blob). Prints seconds: reading the model (or the
# blob's bytes), compile_model or import_model, and one infer request, as a session's creation needs.
OV_CHILD = """
import sys, time
import openvino as ov
model, cache, blob = sys.argv[1:4]
core = ov.Core()
config = {"INFERENCE_PRECISION_HINT": "f32"}
if cache:
    config["CACHE_DIR"] = cache
start = time.perf_counter()
if blob:
    with open(blob, "rb") as f:
        compiled = core.import_model(f.read(), "CPU", config)
else:
    compiled = core.compile_model(model, "CPU", config)
compiled.create_infer_request()
print(time.perf_counter() - start)
"""

# Writes OpenVINO's export of the compiled model: argv = model, blob path.
OV_EXPORT = """
import sys
import openvino as ov
model, blob = sys.argv[1:3]
compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
with open(blob, "wb") as f:
    f.write(compiled.export_model().getvalue())
"""

# Writes onnxruntime-openvino's EPContext model: argv = model, context model path.
ORT_EXPORT = """
import sys
import onnxruntime as ort
model, ctx = sys.argv[1:3]
so = ort.SessionOptions()
so.log_severity_level = 3
so.add_session_config_entry("ep.context_enable", "1")
so.add_session_config_entry("ep.context_embed_mode", "0")
so.add_session_config_entry("ep.context_file_path", ctx)
ort.InferenceSession(model, so, providers=["OpenVINOExecutionProvider"],
                     provider_options=[{"device_type": "CPU", "precision": "FP32"}])
"""

# Peak RSS of SESSIONS kiln sessions on one model, sharing or not: argv = model, sessions, share (0/1); prints MB.
SHARING_CHILD = """
import sys
import numpy as np
import kiln
model, count, share = sys.argv[1], int(sys.argv[2]), sys.argv[3]
so = kiln.SessionOptions()
so.add_session_config_entry("ep.share_ep_contexts", share)
sessions = [kiln.InferenceSession(model, so, providers=["OpenVINOExecutionProvider"],
                                  provider_options=[{"device_type": "CPU", "precision": "FP32"}])
            for _ in range(count)]
for s in sessions:
    feeds = {}
    for i in s.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        feeds[i.name] = np.ones(shape, np.int64) if "int64" in i.type else np.zeros(shape, np.float32)
    s.run(None, feeds)
with open("/proc/self/status") as f:
    print(next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024)
"""


class Failed(Exception):
    """A measured command failed; str() is the last line of its stderr."""


def run(cmd: list[str], env: dict | None = None) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise Failed(lines[-1][:300])
    return done.stdout


def kiln_creation(model: str, cache: str, work: str) -> float:
    options = KILN_OPTIONS + (f" cache_dir|{cache}" if cache else "")
    out = os.path.join(work, "perf.json")
    run([KILN, "perf", "-e", "openvino", "-i", options, "-I", "-m", "times", "-r", "1", "--json", out, model])
    with open(out) as f:
        return float(json.load(f)["session_creation_s"])


def ort_creation(model: str, cache: str) -> float:
    return float(run([OV_PYTHON, "-c", ORT_CHILD, model, cache]).strip().splitlines()[-1])


def ov_creation(model: str, cache: str, blob: str = "") -> float:
    return float(run([sys.executable, "-c", OV_CHILD, model, cache, blob]).strip().splitlines()[-1])


def measure(runtime: str, model: str, rounds: int, work: str) -> dict:
    """Median session creation seconds per case (None where the case failed), and the failures under "errors"."""
    folder = os.path.join(work, os.path.basename(os.path.dirname(model)), runtime)
    os.makedirs(folder, exist_ok=True)
    ctx = os.path.join(folder, "model.blob" if runtime == "openvino" else "model_ctx.onnx")
    creation = {"kiln": lambda m, c: kiln_creation(m, c, work), "ort-openvino": ort_creation,
                "openvino": lambda m, c: ov_creation(model, c, m if m == ctx else "")}[runtime]
    times: dict[str, list[float]] = {c: [] for c in CASES}
    errors: dict[str, str] = {}
    try:
        if runtime == "kiln":
            run([KILN, "compile", model, "-o", ctx, "-i", KILN_OPTIONS])
        elif runtime == "openvino":
            run([sys.executable, "-c", OV_EXPORT, model, ctx])
        else:
            run([OV_PYTHON, "-c", ORT_EXPORT, model, ctx])
    except Failed as e:
        errors["epctx"] = f"export: {e}"
    warm = os.path.join(folder, "warm_cache")
    creation(model, warm)  # fills the cache
    for r in range(rounds):
        first = os.path.join(folder, f"first_{r}")
        for case, path, cache in (("cold", model, ""), ("first", model, first), ("warm", model, warm),
                                  ("epctx", ctx, "")):
            if case in errors:
                continue
            try:
                times[case].append(creation(path, cache))
            except Failed as e:
                errors[case] = str(e)
        shutil.rmtree(first, ignore_errors=True)
    result = {c: (statistics.median(v) if v else None) for c, v in times.items()}
    result["errors"] = errors
    return result


def table(results: dict) -> str:
    lines = ["| model | runtime | cold s | first (writes cache) s | warm cache_dir s | EPContext import s | "
             "cold/warm | cold/EPContext |", "|---|---|---|---|---|---|---|---|"]
    notes = []
    for model, by_runtime in results.items():
        for runtime, t in by_runtime.items():
            cell = {c: ("failed" if t[c] is None else f"{t[c]:.3f}") for c in CASES}
            ratio = {c: ("-" if t[c] is None or t["cold"] is None else f"{t['cold'] / t[c]:.1f}x")
                     for c in ("warm", "epctx")}
            lines.append(f"| {model} | {runtime} | {cell['cold']} | {cell['first']} | {cell['warm']} | "
                         f"{cell['epctx']} | {ratio['warm']} | {ratio['epctx']} |")
            notes += [f"- {model} / {runtime} / {case}: {error}" for case, error in t["errors"].items()]
    return "\n".join(lines + ([""] + ["Failures:"] + notes if notes else []))


def sharing(model_name: str) -> str:
    model = model_path(model_name)
    env = dict(os.environ, PYTHONPATH=KILN_PYTHONPATH)
    rss = {}
    for label, count, share in (("one session", 1, "0"), ("two sessions sharing", 2, "1"),
                                ("two sessions not sharing", 2, "0")):
        rss[label] = float(run([sys.executable, "-c", SHARING_CHILD, model, str(count), share], env).strip())
    one = rss["one session"]
    lines = [f"| {model_name} | peak RSS MB | / one session |", "|---|---|---|"]
    lines += [f"| {label} | {mb:.0f} | {mb / one:.2f} |" for label, mb in rss.items()]
    return "\n".join(lines)


def model_path(name: str) -> str:
    path = os.path.join(MODELS_DIR, name, "model.onnx")
    if not os.path.exists(path):
        run([sys.executable, os.path.join(HERE, "models", "build.py"), "--only", name])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet50,bert_base,gpt2_small")
    parser.add_argument("--runtimes", default="kiln,ort-openvino,openvino",
                        help="kiln, ort-openvino, and openvino: OpenVINO alone (the floor, see above)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the medians to this file")
    parser.add_argument("--sharing", metavar="MODEL", help="measure the peak RSS of sessions sharing weights instead")
    args = parser.parse_args()
    if args.sharing:
        print(sharing(args.sharing))
        return
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="kiln_cache_bench_") as work:
        for name in args.models.split(","):
            model = model_path(name)
            for runtime in args.runtimes.split(","):
                print(f"{name} / {runtime} ...", file=sys.stderr, flush=True)
                results.setdefault(name, {})[runtime] = measure(runtime, model, args.rounds, work)
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
