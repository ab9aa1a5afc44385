#!/usr/bin/env bash
# Sets kiln up on a fresh Debian 12 machine and runs it once on a real model:
#   1. Debian packages (apt-get; skipped with KILN_SKIP_APT=1),
#   2. the .venv with the PyPI packages of requirements.txt,
#   3. the CMake build in build/,
#   4. `kiln run` with the OpenVINO provider (on OpenVINO's CPU device) on PP-OCR's text-direction classifier
#      (shipped by the rapidocr-onnxruntime package) with a rendered text image, upright and upside down.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

DEBIAN_PACKAGES=(cmake ninja-build g++ pkg-config python3 python3-venv
                 libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev libbenchmark-dev
                 nlohmann-json3-dev libcli11-dev libopenblas-openmp-dev libomp-dev clang-format
                 libjpeg62-turbo-dev libpng-dev libtiff-dev libwebp-dev libopenjp2-7-dev libxxhash-dev
                 clang libclang-rt-14-dev llvm)  # clang + its sanitizer/libFuzzer runtimes, llvm-symbolizer:
                                                 # scripts/sanitize.sh and scripts/fuzz.sh
if [ "${KILN_SKIP_APT:-0}" != 1 ]; then
    missing=()
    for p in "${DEBIAN_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        step "Debian packages: ${missing[*]}"
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
    else
        step "Debian packages: all present"
    fi
fi

step "Python venv (.venv) with requirements.txt"
PYTHON=${KILN_PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -r requirements.txt

step "Build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build

step "kiln run -e openvino: PP-OCR text-direction classifier on a rendered text line"
MODELS=$(.venv/bin/python -c "import rapidocr_onnxruntime, os; print(os.path.join(os.path.dirname(rapidocr_onnxruntime.__file__), 'models'))")
.venv/bin/python scripts/demo_input.py build/demo
for image in upright upside_down; do
    build/tools/kiln/kiln run "$MODELS/ch_ppocr_mobile_v2.0_cls_infer.onnx" --input x=build/demo/$image.npy \
        -e openvino -i "device_type|CPU precision|FP32"
done
echo
echo "kiln is set up: build/tools/kiln/kiln run MODEL.onnx [-e openvino]  (output 0 above: [0,0] = text upright, [0,1] = rotated 180 degrees)"
