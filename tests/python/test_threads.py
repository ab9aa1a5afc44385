"""One session used from many Python threads, and the GIL released while kiln runs."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest
from conftest import CPU, OPENVINO, matmul_model, matmul_reference, opset_model
from onnx import TensorProto, helper, numpy_helper

import kiln


@pytest.mark.parametrize("provider", [CPU, OPENVINO])
def test_one_session_many_threads_match_numpy(provider):
    model = matmul_model(size=128)
    sess = kiln.InferenceSession(model.SerializeToString(), providers=[provider])
    rng = np.random.default_rng(11)
    inputs = [rng.standard_normal((1 + i % 4, 128)).astype(np.float32) for i in range(16)]
    results = [None] * len(inputs)
    errors = []
    start = threading.Barrier(8)

    def worker(first):
        try:
            start.wait()
            for i in range(first, len(inputs), 8):
                for _ in range(5):
                    (results[i],) = sess.run(None, {"x": inputs[i]})
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for x, y in zip(inputs, results):
        np.testing.assert_allclose(y, matmul_reference(model, x), rtol=1e-4, atol=1e-4)


def heavy_model():
    """Eight chained 384x384 MatMuls with tanh, long enough that a run spans several of the main thread's naps."""
    rng = np.random.default_rng(5)
    nodes, inits, x = [], [], "x"
    for i in range(8):
        inits.append(numpy_helper.from_array((rng.standard_normal((384, 384)) / 20).astype(np.float32), f"w{i}"))
        nodes += [helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]), helper.make_node("Tanh", [f"m{i}"], [f"t{i}"])]
        x = f"t{i}"
    nodes.append(helper.make_node("Identity", [x], ["y"]))
    return opset_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [384, 384])],
                       [helper.make_tensor_value_info("y", TensorProto.FLOAT, [384, 384])], inits)


def test_gil_is_released_during_run():
    # With a switch interval of minutes the interpreter never takes the GIL from a thread that holds it, so the main
    # thread can only see `running` set while the worker sits inside kiln's run with the GIL released.
    sess = kiln.InferenceSession(heavy_model().SerializeToString(), providers=[CPU])
    x = np.ones((384, 384), np.float32)
    state = {"running": False, "seen": 0, "runs": 0}

    def worker():
        for _ in range(20):
            state["running"] = True
            sess.run(None, {"x": x})
            state["running"] = False
            state["runs"] += 1
            if state["seen"]:
                return

    previous = sys.getswitchinterval()
    sys.setswitchinterval(300)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        while thread.is_alive():
            if state["running"]:
                state["seen"] += 1
            time.sleep(0.0005)  # releases the GIL so the worker can start and return
        thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert state["seen"] > 0, f"the main thread never ran during any of {state['runs']} runs"
