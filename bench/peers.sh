#!/usr/bin/env bash
# Creates the Python environments of the peer runtimes that bench/compare measures kiln against. Each peer installs
# a Python module named `onnxruntime`, so each lives in its own venv under bench/:
#
#   bench/.venv-ort   onnxruntime (CPU provider), numpy, and matplotlib: bench/compare draws its chart with this
#                     venv's python, so the project's .venv needs nothing beyond requirements.txt
#   bench/.venv-ov    onnxruntime-openvino (the OpenVINO provider built into onnxruntime), numpy; a plain
#                     onnxruntime package installed beside it would shadow its module, so it is removed
#   bench/.venv-ep    onnxruntime + onnxruntime-ep-openvino (the same provider as a plugin library, registered with
#                     onnxruntime.register_execution_provider_library), numpy
#
# Idempotent: a venv whose packages are already at the wanted versions is left alone. Prints what it does.
#   ORT_VERSION=1.32.0 OV_VERSION=1.24.1 EP_VERSION=1.8.1 bench/peers.sh   # other releases (defaults below)
#   KILN_PYTHON=python3.11 bench/peers.sh                                  # the interpreter the venvs are made with
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${KILN_PYTHON:-python3}
ORT_VERSION=${ORT_VERSION:-1.32.0}
OV_VERSION=${OV_VERSION:-1.24.1}
EP_VERSION=${EP_VERSION:-1.8.1}

say() { printf 'bench/%s\n' "$*"; }

# shellcheck source=../scripts/venv_lib.sh
source ../scripts/venv_lib.sh

# Prints the venv's onnxruntime version and providers; fails unless provider $2 is among them.
check_provider() {
    local venv=$1 want=$2 providers
    providers=$("$venv/bin/python" -c 'import onnxruntime as o; print(o.__version__, o.get_available_providers())')
    say "$venv: onnxruntime $providers"
    case $providers in
        *"$want"*) ;;
        *) say "$venv: $want is not available" >&2; exit 1 ;;
    esac
}

make_venv .venv-ort "onnxruntime==$ORT_VERSION" numpy matplotlib
check_provider .venv-ort CPUExecutionProvider

make_venv .venv-ov "onnxruntime-openvino==$OV_VERSION" numpy
if .venv-ov/bin/python -m pip show onnxruntime >/dev/null 2>&1; then
    say ".venv-ov: removing the plain onnxruntime package that shadows onnxruntime-openvino"
    .venv-ov/bin/python -m pip uninstall -q -y onnxruntime
    .venv-ov/bin/python -m pip install -q --force-reinstall --no-deps "onnxruntime-openvino==$OV_VERSION"
fi
check_provider .venv-ov OpenVINOExecutionProvider

make_venv .venv-ep "onnxruntime==$ORT_VERSION" "onnxruntime-ep-openvino==$EP_VERSION" numpy
# The plugin is not a built-in provider: check that it registers, and say which OpenVINO devices it offers.
devices=$(.venv-ep/bin/python - <<'EOF'
import onnxruntime as ort
import onnxruntime_ep_openvino as plugin
ort.register_execution_provider_library("openvino_plugin", plugin.get_library_path())
print(" ".join(d.ep_metadata.get("ov_device", "?") for d in ort.get_ep_devices() if d.ep_name == plugin.get_ep_name()))
EOF
)
say ".venv-ep: onnxruntime $(.venv-ep/bin/python -c 'import onnxruntime as o; print(o.__version__)') with the" \
    "onnxruntime-ep-openvino plugin; OpenVINO devices: ${devices:-none}"
case " $devices " in
    *" CPU "*) ;;
    *) say ".venv-ep: note: the plugin offers no OpenVINO CPU device on this machine (it lists only devices whose" \
           "vendor is Intel; this CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))," \
           "so bench/compare shows this runtime as n/a here" ;;
esac
