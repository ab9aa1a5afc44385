#!/usr/bin/env bash
# Installs kiln the way a user does, `pip install .` into a fresh venv (build isolation: pip fetches
# scikit-build-core, nanobind, onnx and openvino; the CMake build goes to build-pip/, kept for the next run), then
# imports it from outside the repository and runs tests/python against the installed package instead of the
# build tree's. Run by CI (.ci/run) after scripts/test.sh; needs scripts/setup.sh's Debian packages.
#   KILN_WHEEL_VENV=DIR   the venv to create (default build-wheel-venv, replaced on each run)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
VENV=${KILN_WHEEL_VENV:-build-wheel-venv}
PYTHON=${KILN_PYTHON:-python3}
step() { printf '\n== %s\n' "$*"; }

step "fresh venv $VENV, pip install ."
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q .

step "import kiln from outside the repository"
(cd / && "$REPO/$VENV/bin/python" -c "import kiln; print(kiln.__file__); print(kiln.get_available_providers())")

step "tests/python on the installed package"
ONNX_PIN=$(grep -E '^onnx==' requirements.txt | head -n 1)
"$VENV/bin/python" -m pip install -q pytest "$ONNX_PIN" onnxruntime
env -u PYTHONPATH "$VENV/bin/python" -m pytest -q tests/python
