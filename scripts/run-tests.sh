#!/usr/bin/env bash
# Command 2: install what is missing, build, start the local DynamoDB servers, run every test.
#   scripts/run-tests.sh            (DDBCACHE_PRESET=debug-asan for the sanitizer build)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
preset="${DDBCACHE_PRESET:-release}"

scripts/setup.sh
# ccache keys on paths relative to the clone, so a fresh clone reuses an older clone's objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset "$preset" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build --preset "$preset"

# The servers are started and stopped by the CTest fixture; this trap only covers a killed ctest.
# Tests reach only loopback: a client with no credentials must never try 169.254.169.254.
export AWS_EC2_METADATA_DISABLED=true
trap 'python3 tests/servers/local_servers.py stop "build/$preset/local-servers" >/dev/null 2>&1 || true' EXIT
ctest --preset "$preset" -j2
echo "run-tests: all tests passed in $(( $(date +%s) - start )) s"
