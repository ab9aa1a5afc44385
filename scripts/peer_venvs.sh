#!/usr/bin/env bash
# Creates the Python environments of the peer runtimes that tests/conformance/compare runs the ONNX backend tests
# on, next to kiln. Each peer lives in its own venv because each installs a Python module named `onnxruntime`:
#
#   onnxruntime (CPU provider)    the project's .venv (requirements.txt installs it): nothing to do here
#   onnxruntime-openvino          .venv-ov: onnxruntime-openvino, numpy, onnx (the same pin as requirements.txt)
#
# Idempotent: a venv whose packages are already at the wanted versions is left alone. Prints what it does.
#   OV_VERSION=1.24.1 scripts/peer_venvs.sh      # another onnxruntime-openvino release (default below)
#   KILN_PYTHON=python3.11 scripts/peer_venvs.sh  # the interpreter the venvs are made with (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${KILN_PYTHON:-python3}
OV_VERSION=${OV_VERSION:-1.24.1}
ONNX_PIN=$(grep -E '^onnx==' requirements.txt | head -n 1)
ONNX_PIN=${ONNX_PIN:-onnx==1.22.0}

say() { printf '%s\n' "$*"; }

# shellcheck source=../scripts/venv_lib.sh
source scripts/venv_lib.sh

# onnxruntime CPU: the project's venv.
if [ -x .venv/bin/python ] && .venv/bin/python -c 'import onnxruntime' 2>/dev/null; then
    say ".venv: onnxruntime $(.venv/bin/python -c 'import onnxruntime; print(onnxruntime.__version__)') (CPU) present, reused"
else
    say ".venv: no onnxruntime; run scripts/setup.sh (or .venv/bin/pip install -r requirements.txt) first" >&2
fi

# onnxruntime-openvino: its own venv.
make_venv .venv-ov "onnxruntime-openvino==$OV_VERSION" "$ONNX_PIN" numpy
# A plain `onnxruntime` installed into the same venv would shadow the OpenVINO build's module.
if .venv-ov/bin/python -m pip show onnxruntime >/dev/null 2>&1; then
    say ".venv-ov: removing the plain onnxruntime package that shadows onnxruntime-openvino"
    .venv-ov/bin/python -m pip uninstall -q -y onnxruntime
    .venv-ov/bin/python -m pip install -q --force-reinstall --no-deps "onnxruntime-openvino==$OV_VERSION"
fi
providers=$(.venv-ov/bin/python -c 'import onnxruntime as o; print(o.__version__, o.get_available_providers())')
say ".venv-ov: onnxruntime $providers"
case $providers in
    *OpenVINOExecutionProvider*) ;;
    *) say ".venv-ov: OpenVINOExecutionProvider is not available" >&2; exit 1 ;;
esac
