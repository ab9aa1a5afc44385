#!/usr/bin/env bash
# Builds kiln's libFuzzer targets (fuzz/) with clang, ASan and UBSan (-fsanitize=fuzzer,address,undefined; the
# CMakePresets.json "asan" build in build-asan/, which scripts/sanitize.sh asan shares) and runs each for a bounded
# time. Fails on any crash, uncaught exception, timeout (> 10 s for one input), leak, out-of-memory or sanitizer
# report; the input that caused it is saved under build-asan/fuzz/artifacts/. Prints the executions per target and in
# total.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 30)
#   KILN_FUZZ_TARGETS="model_loader ..."      a subset of the targets
#   KILN_FUZZ_SEEDS_EVERY=N                   one ONNX node test in N as a seed (default 4; 1 for a long run)
#   KILN_FUZZ_SEED=N                          libFuzzer's random seed (default 1, so that a CI run from a fresh clone
#                                             mutates the same way each time; 0: a new seed each run, for long runs)
# First the committed regression inputs (fuzz/regressions/<target>/, crashes found earlier) are run once each, and
# model_loader replays the operator sweep of fuzz/sweep_models.py (every operator on edge shapes, input values,
# omitted inputs and attribute values, about 40,000 small models, in build-asan/fuzz/sweep/) once.
# Seeds are made at run time by fuzz/make_seeds.py into build-asan/fuzz/corpus/seeds/; what the fuzzers find is kept
# in build-asan/fuzz/corpus/<target>/ for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
targets=${KILN_FUZZ_TARGETS:-model_loader external_data openvino_options ep_context}
dir=build-asan
[ -f "$dir/build.ninja" ] || cmake --preset asan >/dev/null
cmake --build "$dir" --target kiln_fuzz_targets

work="$PWD/$dir/fuzz"
seeds="$work/corpus/seeds"
every=${KILN_FUZZ_SEEDS_EVERY:-4}
scripts_hash=$(cat fuzz/make_seeds.py fuzz/sweep_models.py | sha1sum | cut -c1-12)  # remade when they change
stamp="$seeds/.every_${every}_$scripts_hash"
if [ ! -f "$stamp" ]; then
    rm -rf "$seeds"
    .venv/bin/python fuzz/make_seeds.py "$seeds" --every "$every"
    touch "$stamp"
fi
sweep="$work/sweep"
if [ ! -f "$sweep/.made_$scripts_hash" ]; then
    rm -rf "$sweep"
    echo "operator sweep: $(.venv/bin/python fuzz/sweep_models.py "$sweep") models"
    touch "$sweep/.made_$scripts_hash"
fi
mkdir -p "$work/artifacts" "$work/logs"

source tools/sanitizers/env.sh
export KILN_LOG_LEVEL=${KILN_LOG_LEVEL:-3}  # errors only: the targets provoke warnings by the thousand

status=0
total=0
summary=()
for t in $targets; do
    bin="$dir/fuzz/${t}_fuzz"
    [ -x "$bin" ] || { echo "scripts/fuzz.sh: no fuzz target '$t'" >&2; exit 2; }
    regressions=(fuzz/regressions/$t/*)
    if [ -e "${regressions[0]}" ]; then
        if ! "$bin" "${regressions[@]}" >"$work/logs/$t.regressions.log" 2>&1; then
            echo "FAIL $t: a regression input crashes again (log: $work/logs/$t.regressions.log)"
            tail -30 "$work/logs/$t.regressions.log"
            status=1
            continue
        fi
    fi
    if [ "$t" = model_loader ]; then
        # The operator sweep, each model once (deterministic); on a failure, the model that caused it is named.
        rm -f "$work/artifacts/sweep-"*
        if ! "$bin" "$sweep" -runs=0 -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$work/artifacts/sweep-" \
            >"$work/logs/sweep.log" 2>&1; then
            culprit="(not found)"
            for found in "$work/artifacts/sweep-"*; do
                [ -f "$found" ] || continue
                want=$(sha1sum <"$found")
                for f in "$sweep"/*.onnx; do
                    if [ "$(sha1sum <"$f")" = "$want" ]; then culprit=$f; break; fi
                done
            done
            echo "FAIL $t: operator sweep model $culprit (log: $work/logs/sweep.log)"
            grep -E "^==[0-9]+==ERROR|runtime error|SUMMARY|deadly signal|timeout" "$work/logs/sweep.log" | head -10
            status=1
            continue
        fi
        summary+=("$(printf '%-18s %10s models replayed once' "operator sweep" "$(ls "$sweep" | wc -l)")")
    fi
    corpus="$work/corpus/$t"
    mkdir -p "$corpus" "$seeds/$t"
    log="$work/logs/$t.log"
    rc=0
    KILN_FUZZ_SEED_DIR="$seeds/$t" "$bin" "$corpus" "$seeds/$t" -max_total_time="$seconds" -timeout=10 \
        -seed="${KILN_FUZZ_SEED:-1}" \
        -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    execs=${execs:-0}
    total=$((total + execs))
    if [ "$rc" != 0 ]; then
        echo "FAIL $t: exit $rc after $execs executions (log: $log; input saved under $work/artifacts/)"
        grep -E "^==[0-9]+==ERROR|runtime error|SUMMARY|Test unit written|deadly signal|timeout" "$log" | head -20
        status=1
    fi
    summary+=("$(printf '%-18s %10s executions in %ss' "$t" "$execs" "$seconds")")
done
echo "fuzz executions:"
for line in "${summary[@]}"; do echo "  $line"; done
echo "  total              $(printf '%10s' "$total")"
exit $status
