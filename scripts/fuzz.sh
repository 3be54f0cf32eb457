#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for SECONDS (default 30) from its
# committed seed corpus. A crash fails the run and leaves the input in build/fuzz/artifacts: copy it
# into tests/fuzz/corpus/TARGET/ (where every build replays it as a test) with the fix.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset fuzz -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build --preset fuzz
mkdir -p build/fuzz/artifacts
failed=()
for seeds in tests/fuzz/corpus/*/; do
    target=$(basename "$seeds")
    scratch="build/fuzz/corpus/$target" # what the run discovers stays out of the repository
    mkdir -p "$scratch"
    echo "fuzz: $target for $seconds s"
    if ! "build/fuzz/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$target-" "$scratch" "$seeds" \
            >"build/fuzz/$target.log" 2>&1; then
        tail -40 "build/fuzz/$target.log"
        failed+=("$target")
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added" "build/fuzz/$target.log" | tr '\n' ' '; echo
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: crashes in ${failed[*]} (inputs in build/fuzz/artifacts)"; exit 1; }
echo "fuzz: every target ran ${seconds} s without a crash"
