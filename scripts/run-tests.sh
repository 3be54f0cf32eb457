#!/usr/bin/env bash
# Command 2: install what is missing, build, start the local DynamoDB servers, run every test:
#   1. release build, the whole suite;
#   2. the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer (leak checks on);
#   3. the concurrency tests under ThreadSanitizer;
#   4. every fuzz target for DDBCACHE_FUZZ_SECONDS (default 30) from its seed corpus;
#   5. clang-tidy on src/, sigv4/ and include/.
# `scripts/run-tests.sh --quick` runs stage 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
quick=false
[ "${1:-}" = "--quick" ] && quick=true

scripts/setup.sh
# ccache keys on paths relative to the clone, so a fresh clone reuses an older clone's objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
# Tests reach only loopback: a client with no credentials must never try 169.254.169.254.
export AWS_EC2_METADATA_DISABLED=true
# The servers are started and stopped by the CTest fixture; this trap only covers a killed ctest.
trap 'for d in build/*/local-servers; do python3 tests/servers/local_servers.py stop "$d" >/dev/null 2>&1 || true; done' EXIT

stage() { echo "run-tests: $1 ($(( $(date +%s) - start )) s so far)"; }

run_preset() { # PRESET [BUILD TARGET]
    cmake --preset "$1" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
    cmake --build --preset "$1" ${2:+--target "$2"}
    ctest --preset "$1" -j2
}

stage "release build and the whole suite"
run_preset release
if ! $quick; then
    stage "the whole suite under ASan+UBSan"
    run_preset debug-asan
    stage "the concurrency tests under TSan"
    run_preset tsan concurrency_tests
    stage "fuzzing"
    scripts/fuzz.sh "${DDBCACHE_FUZZ_SECONDS:-30}"
    stage "clang-tidy"
    scripts/clang-tidy.sh
fi
echo "run-tests: all tests passed in $(( $(date +%s) - start )) s"
