#!/usr/bin/env bash
# Generates, with the openssl CLI, a throwaway CA and the certificates the TLS tests serve:
#   ca.pem                         the CA the tests trust
#   server.{pem,key}               signed by the CA for IP 127.0.0.1 and DNS localhost
#   wrong-host.{pem,key}           signed by the CA, but for DNS wrong.example only
#   untrusted.{pem,key}            self-signed for IP 127.0.0.1
set -euo pipefail
dir=${1:?usage: make_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 7 -subj "/CN=ddbcache test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

issue() { # name subjectAltName
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 7 \
    -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "IP:127.0.0.1,DNS:localhost"
issue wrong-host "DNS:wrong.example"

key untrusted.key
openssl req -x509 -new -key untrusted.key -out untrusted.pem -days 7 -subj "/CN=untrusted" \
  -addext "subjectAltName=IP:127.0.0.1"
echo "test certificates in $dir"
