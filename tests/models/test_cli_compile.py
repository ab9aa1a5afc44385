"""`kiln compile`: the EPContext model it writes (blobs in files, or embedded with --embed) gives, under `kiln run`,
exactly the outputs of the original model on the OpenVINO provider; the files it lists are the ones on disk; an
existing output is refused. The written model passes onnx.checker. Oracle: `kiln run -e openvino` on the original model, on the same saved inputs."""

from __future__ import annotations

import os
import re

import numpy as np
import onnx
import pytest

from conftest import run_kiln


def run_outputs(kiln_bin, model: str, out_dir: str, *flags: str) -> list[np.ndarray]:
    run = run_kiln(kiln_bin, "run", model, "-e", "openvino", "--save-outputs", out_dir, *flags, timeout=300)
    assert run.returncode == 0, run.stderr
    files = sorted(f for f in os.listdir(out_dir) if f.startswith("output_"))
    assert files, run.stdout
    return [np.load(os.path.join(out_dir, f)) for f in files]


@pytest.mark.parametrize("embed", [False, True], ids=["blob-files", "embedded"])
@pytest.mark.parametrize("name", ["resnet_cnn", "bert_encoder"])
def test_compiled_model_runs_like_the_original(kiln_bin, built_model, tmp_path, name, embed):
    model = built_model(name)
    ctx = str(tmp_path / "compiled.onnx")
    run = run_kiln(kiln_bin, "compile", model, "-o", ctx, *(["--embed"] if embed else []), timeout=300)
    assert run.returncode == 0, run.stderr
    blobs = sorted(f for f in os.listdir(tmp_path) if f.endswith(".blob"))
    proto = onnx.load(ctx)
    nodes = [n for n in proto.graph.node if n.op_type == "EPContext"]
    assert nodes and all(n.domain == "com.microsoft" for n in nodes)
    onnx.checker.check_model(proto, full_check=True)  # com.microsoft ops are not checked, the rest of the model is
    if embed:
        assert blobs == []
    else:
        assert blobs == sorted(f"compiled_{n.name}.blob" for n in nodes)
    # Every file it wrote is listed with its size.
    listed = dict(re.findall(r"^  (\S+)  (\d+) bytes", run.stdout, re.M))
    assert {os.path.basename(p): int(s) for p, s in listed.items()} == {
        os.path.basename(p): os.path.getsize(p) for p in [ctx, *(str(tmp_path / b) for b in blobs)]
    }
    want = run_outputs(kiln_bin, model, str(tmp_path / "want"))
    got = run_outputs(kiln_bin, ctx, str(tmp_path / "got"))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_existing_output_is_refused(kiln_bin, built_model, tmp_path):
    out = tmp_path / "compiled.onnx"
    out.write_bytes(b"keep")
    run = run_kiln(kiln_bin, "compile", built_model("resnet_cnn"), "-o", str(out))
    assert run.returncode == 1
    assert "exists already" in run.stderr and str(out) in run.stderr
    assert out.read_bytes() == b"keep"


def test_usage_errors(kiln_bin, built_model):
    for args, needle in [((), "no model given"), ((built_model("resnet_cnn"),), "no output given"),
                         ((built_model("resnet_cnn"), "-o", "x.onnx", "-e", "cpu"), "OpenVINO provider")]:
        run = run_kiln(kiln_bin, "compile", *args)
        assert run.returncode == 2, run.stderr
        assert needle in run.stderr
