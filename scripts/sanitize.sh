#!/usr/bin/env bash
# Builds and runs kiln's unit tests under sanitizers, with clang, in a build folder of their own:
#   scripts/sanitize.sh asan   ASan + UBSan (build-asan/, CMakePresets.json "asan"): every test of kiln_unit_tests
#                              (op, error, session, loader, OpenVINO provider tests).
#   scripts/sanitize.sh tsan   TSan (build-tsan/, preset "tsan"): the multi-threaded tests, by name (KILN_TSAN_FILTER,
#                              default *Stress*:*Concurrent*:*Thread*:*Parallel*).
# Extra arguments go to the test binary (e.g. --gtest_filter=...). Fails on any test failure or sanitizer report.
# The suppression files for third-party code that the sanitizers cannot see into are in tools/sanitizers/.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-asan}
shift || true
case "$kind" in
    asan | tsan) ;;
    *) echo "scripts/sanitize.sh: unknown sanitizer '$kind' (asan or tsan)" >&2; exit 2 ;;
esac
dir=build-$kind
[ -f "$dir/build.ninja" ] || cmake --preset "$kind" >/dev/null
cmake --build "$dir" --target kiln_unit_tests
source tools/sanitizers/env.sh
if [ "$kind" = asan ]; then
    exec "$dir/tests/kiln_unit_tests" --gtest_brief=1 "$@"
else
    exec "$dir/tests/kiln_unit_tests" --gtest_brief=1 \
        "--gtest_filter=${KILN_TSAN_FILTER:-*Stress*:*Concurrent*:*Thread*:*Parallel*}" "$@"
fi
