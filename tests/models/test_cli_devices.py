"""`kiln devices`: every device OpenVINO's own Python API sees, with its FULL_DEVICE_NAME, its optimisation
capabilities and the precision option's values for it; one line per device, its properties indented below."""

from __future__ import annotations

import openvino as ov
import pytest

from conftest import run_kiln


def device_blocks(stdout: str) -> dict[str, tuple[str, dict[str, str]]]:
    """device -> (full name, {property: value}) from `kiln devices`' output."""
    blocks: dict[str, tuple[str, dict[str, str]]] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith("meta devices:"):
            current = None
        elif line.startswith("    ") and current is not None:
            key, _, value = line.strip().partition(":")
            blocks[current][1][key] = value.strip()
        elif line and not line.startswith(" "):
            name, _, full_name = line.partition("  ")
            current = name
            blocks[name] = (full_name.strip(), {})
    return blocks


@pytest.fixture(scope="module")
def openvino_core() -> ov.Core:
    return ov.Core()


def test_lists_every_device_openvino_sees(kiln_bin, openvino_core):
    run = run_kiln(kiln_bin, "devices")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    blocks = device_blocks(run.stdout)
    assert list(blocks) == openvino_core.available_devices
    assert "CPU" in blocks
    for device, (full_name, properties) in blocks.items():
        assert full_name == openvino_core.get_property(device, "FULL_DEVICE_NAME")
        capabilities = openvino_core.get_property(device, "OPTIMIZATION_CAPABILITIES")
        assert properties["OPTIMIZATION_CAPABILITIES"] == " ".join(capabilities)
        assert "precision option" in properties


def test_cpu_streams_and_precisions(kiln_bin, openvino_core):
    _, cpu = device_blocks(run_kiln(kiln_bin, "devices").stdout)["CPU"]
    low, high = openvino_core.get_property("CPU", "RANGE_FOR_STREAMS")
    assert cpu["RANGE_FOR_STREAMS"] == f"{low} {high}"
    assert cpu["precision option"] == "FP32 (default), ACCURACY"
    assert cpu["PERFORMANCE_HINT"] == str(openvino_core.get_property("CPU", "PERFORMANCE_HINT")).split(".")[-1]


def test_takes_no_argument(kiln_bin):
    run = run_kiln(kiln_bin, "devices", "--all")
    assert run.returncode == 2
    assert "'--all'" in run.stderr


def test_usage_lists_devices(kiln_bin):
    run = run_kiln(kiln_bin, "--help")
    assert run.returncode == 0
    assert "  devices\n" in run.stdout
