#!/usr/bin/env bash
# Checks the installed package the way an application uses it: installs the build (cmake --install) into a
# temporary prefix, configures and builds examples/cpp (written against the ONNX Runtime C++ API) with only
# -DCMAKE_PREFIX_PATH=<prefix>, runs it on a generated model (tests/models/build_models.py's resnet_cnn) and a
# deterministic input (examples/cpp/make_input.py), and checks that its top-5 classes and scores equal those of
# `kiln run` on the same input with the same provider (scores within 1e-5). Also builds the example with kiln.pc
# (pkg-config) and checks that a call outside the compatible subset does not compile.
# Usage: scripts/check_install.sh [BUILD_DIR]   (default build, with the targets kiln_shared and kiln built)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
python=.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The component kiln: headers, libkiln.so, the CMake and pkg-config files (not the Python module).
cmake --install "$build" --prefix "$tmp/prefix" --component kiln >/dev/null
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S examples/cpp -B "$tmp/example" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/configure.log" || { cat "$tmp/configure.log" >&2; exit 1; }
cmake --build "$tmp/example" >"$tmp/build.log" || { cat "$tmp/build.log" >&2; exit 1; }

# kiln.pc gives the same build, and a call outside the compatible subset fails to compile (it is absent, not a
# stub that fails at run time).
pc=(env PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config)
c++ $("${pc[@]}" --cflags kiln) examples/cpp/classify.cc -o "$tmp/classify_pc" $("${pc[@]}" --libs kiln)
printf '#include <onnxruntime_cxx_api.h>\nint main() { Ort::SessionOptions o; o.SetExecutionMode(ORT_SEQUENTIAL); }\n' \
    >"$tmp/absent.cc"
if c++ $("${pc[@]}" --cflags kiln) -fsyntax-only "$tmp/absent.cc" 2>/dev/null; then
    echo "check_install: SetExecutionMode, outside the compatible subset, compiled" >&2
    exit 1
fi

model=$("$python" -c "import sys; sys.path.insert(0, 'tests/models'); import build_models; \
print(build_models.build('resnet_cnn', sys.argv[1]))" "$tmp/models")
"$python" examples/cpp/make_input.py "$tmp/input"
"$tmp/example/classify" "$model" "$tmp/input.raw" CPU >"$tmp/example.txt"
"$tmp/classify_pc" "$model" "$tmp/input.raw" CPU | cmp - "$tmp/example.txt"
"$build/tools/kiln/kiln" run "$model" -e openvino -i "device_type|CPU precision|FP32" \
    --input "input=$tmp/input.npy" --save-outputs "$tmp/kiln_outputs" >"$tmp/kiln.txt"

"$python" - "$tmp/example.txt" "$tmp/kiln_outputs/output_0.npy" <<'PY'
import sys

import numpy as np

lines = open(sys.argv[1]).read().split("\n")
got = [(int(f[1]), float(f[3])) for f in (line.split() for line in lines if line)]
scores = np.load(sys.argv[2]).reshape(-1)
top = np.argsort(-scores, kind="stable")[:5]
want = [(int(i), float(scores[i])) for i in top]
ok = len(got) == 5 and all(g[0] == w[0] and abs(g[1] - w[1]) <= 1e-5 for g, w in zip(got, want))
if not ok:
    sys.exit(f"check_install: the example's top-5 {got} differs from kiln run's {want}")
print(f"check_install: the installed example's top-5 equals kiln run's: {[g[0] for g in got]}")
PY
