#!/usr/bin/env bash
# Command 1: install what is missing, build, and run the main example against AWS DynamoDB Local,
# which it starts on a free loopback port and stops afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build --preset release --target ddbcache-demo

state="build/release/example-server"
trap 'python3 tests/servers/local_servers.py stop "$state" >/dev/null 2>&1 || true' EXIT
python3 tests/servers/local_servers.py start "$state" --only dynamodb-local
endpoint=$(awk '$1 == "dynamodb-local" {print $2}' "$state/servers.txt")

# DynamoDB Local accepts any credentials; real ones in the environment are left alone.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIDLOCALDEMO}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local-demo-secret}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
build/release/examples/ddbcache-demo "$endpoint"
