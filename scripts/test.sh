#!/usr/bin/env bash
# Runs every kiln test: the clang-format check, the docs/ops.md staleness check, the C++ unit tests and the
# ONNX backend conformance suite (CTest), then the Python end-to-end tests against onnxruntime and
# onnx.reference, and the tests of the Python package kiln on the build's module (build/python) (pytest); then the
# C++ unit tests again under ASan + UBSan (scripts/sanitize.sh asan, clang, build-asan/) and each libFuzzer target
# for KILN_FUZZ_SECONDS (default 30) seconds (scripts/fuzz.sh, same build), and the concurrency tests (stress,
# concurrent sessions, threads) under TSan (scripts/sanitize.sh tsan, build-tsan/). KILN_SKIP_SANITIZERS=1 leaves
# those three out.
# Builds first if needed.
# Requires scripts/setup.sh to have run once (packages, .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "scripts/test.sh: no .venv; run scripts/setup.sh first" >&2; exit 1; }
[ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
status=0
scripts/check_format.sh || status=1
.venv/bin/python tools/gen/ops_doc.py --check || status=1
(cd build && ctest --output-on-failure -j2) || status=1
scripts/check_install.sh build || status=1
KILN_BIN="$PWD/build/tools/kiln/kiln" .venv/bin/python -m pytest -q tests/models || status=1
PYTHONPATH="$PWD/build/python" .venv/bin/python -m pytest -q tests/python || status=1
if [ "${KILN_SKIP_SANITIZERS:-0}" != 1 ]; then
    scripts/sanitize.sh asan || status=1
    scripts/fuzz.sh "${KILN_FUZZ_SECONDS:-30}" || status=1
    scripts/sanitize.sh tsan || status=1
fi
exit $status
