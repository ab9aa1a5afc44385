"""Side-by-side latency of kiln (`kiln run --repeat`) and onnxruntime's CPU provider on the same models, in one run.

    .venv/bin/python bench/latency.py [--threads 1 2] [--repeat 20] [MODEL_NAME ...]

Models come from tests/models/build_models.py (built into tests/models/.cache/ when missing). Prints kiln's and
onnxruntime's average latency per run after one warm-up run, and their ratio (kiln / onnxruntime; below 1 means kiln
is faster). OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from kiln's environment when set, since they pin
OpenBLAS to a slower kernel on this machine (set for old numpy builds, see the environment notes).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
import build_models  # noqa: E402

DIMS = {"bert_encoder": {"seq": 128}}


def feeds_for(session: ort.InferenceSession, dims: dict) -> dict:
    rng = np.random.default_rng(0)
    feeds = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else dims.get(d, 1) for d in i.shape]
        if "float" in i.type:
            feeds[i.name] = rng.random(shape, dtype=np.float32)
        else:
            feeds[i.name] = rng.integers(0, 4, shape).astype(np.int64)
    return feeds


def ort_latency(path: str, feeds: dict, threads: int, repeat: int) -> float:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    session.run(None, feeds)
    start = time.perf_counter()
    for _ in range(repeat):
        session.run(None, feeds)
    return (time.perf_counter() - start) / repeat * 1000


def kiln_latency(kiln: str, path: str, feeds: dict, threads: int, repeat: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    with tempfile.TemporaryDirectory() as tmp:
        args = [kiln, "run", path, "--threads", str(threads), "--repeat", str(repeat + 1)]
        for name, value in feeds.items():
            file = os.path.join(tmp, f"{len(args)}.npy")
            np.save(file, value)
            args += ["--input", f"{name}={file}"]
        out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    first, average = map(float, re.search(r"run: first ([\d.]+) ms, average ([\d.]+) ms", out).groups())
    return (average * (repeat + 1) - first) / repeat  # the warm-up run left out, as for onnxruntime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["resnet_cnn", "resnet50", "bert_encoder"])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--kiln", default=os.path.join(ROOT, "build", "tools", "kiln", "kiln"))
    args = parser.parse_args()
    print(f"{'model':<16} {'threads':>7} {'kiln ms':>9} {'onnxruntime ms':>15} {'kiln/ort':>9}")
    for name in args.models:
        path = build_models.build(name)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        feeds = feeds_for(session, DIMS.get(name, {}))
        for threads in args.threads:
            k = kiln_latency(args.kiln, path, feeds, threads, args.repeat)
            o = ort_latency(path, feeds, threads, args.repeat)
            print(f"{name:<16} {threads:>7} {k:>9.2f} {o:>15.2f} {k / o:>9.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
