#!/usr/bin/env python3
"""Runs the examples against a local server started by the CTest fixture and checks what they do.

  check_examples.py run SERVERS_TXT SERVER EXAMPLE      the example exits 0 (it checks itself)
  check_examples.py http-server SERVERS_TXT SERVER EXAMPLE
      checks --help (usage, exit 0) and a bad argument (usage on stderr, exit 2), then starts the
      HTTP server example on a free port and checks: a miss then a hit with the same (correct)
      answer, 32 requests in flight, 400 and 404 answers, and a clean exit on SIGTERM. (Its
      /metrics and --near-cache: tests/integration/prometheus_scrape_test.py.)
  check_examples.py bench SERVERS_TXT SERVER DDBCACHE_BENCH
      a short run of every --op of the load tool, and --compare-replay, on two threads: the JSON
      has every field, no errors, no wrong values, no misses.
  check_examples.py soak SERVERS_TXT SERVER DDBCACHE_SOAK
      the soak run at CI size (20 000 operations, 256 workers, 2 threads, 16 connections, about 6 %
      of requests faulted): 0 wrong values, 0 hung workers, every counter right, every fault class
      injected, and at least 5 % of requests faulted.
"""
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def environment(servers_txt, server):
    endpoints = dict(line.split() for line in open(servers_txt) if line.strip())
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDLOCALTEST", AWS_SECRET_ACCESS_KEY="local-test-secret",
               AWS_REGION="us-east-1")
    return endpoints[server], env


def primes_below(n):
    sieve = bytearray([1]) * n
    sieve[0:2] = b"\0\0"
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytes(len(range(i * i, n, i)))
    return sum(sieve)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("X-Cache"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, None, e.read().decode()


def check(condition, message):
    if not condition:
        sys.exit("FAILED: " + message)


def check_http_server_usage(example):
    usage = "usage: ddbcache-http-server [--near-cache] [PORT [ENDPOINT]]\n"
    out = subprocess.run([example, "--help"], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and out.stdout.startswith(usage) and "--near-cache" in out.stdout[len(usage):],
          f"--help: exit status {out.returncode}, {out.stdout!r}")
    for bad in (["--near-cash"], ["80x"], ["0", "http://127.0.0.1:1", "extra"]):
        out = subprocess.run([example, *bad], capture_output=True, text=True, timeout=30)
        check(out.returncode == 2 and out.stderr.startswith(usage) and out.stdout == "",
              f"{bad}: exit status {out.returncode}, stderr {out.stderr!r}")


def check_http_server(endpoint, env, example):
    check_http_server_usage(example)
    server = subprocess.Popen([example, "0", endpoint], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        check(line.startswith("listening on "), f"unexpected first line {line!r}")
        base = line.split()[-1]
        n = 1_000_000 + time.time_ns() % 1_000_000  # a key no earlier run cached
        expected = f"{primes_below(n)}\n"
        first, second = get(f"{base}/primes/{n}"), get(f"{base}/primes/{n}")
        check(first == (200, "miss", expected), f"first request: {first}, expected (200, 'miss', {expected!r})")
        check(second == (200, "hit", expected), f"second request: {second}")
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            answers = list(pool.map(get, [f"{base}/primes/{k}" for k in range(1000, 1032)] * 2))
        check(all(a[0] == 200 and a[2] == f"{primes_below(1000 + i % 32)}\n" for i, a in enumerate(answers)),
              "a concurrent request got a wrong answer")
        check(get(f"{base}/primes/ten")[0] == 400, "a bad N is not a 400")
        check(get(f"{base}/nothing")[0] == 404, "an unknown path is not a 404")
        key = f"greeting-{n}"
        put = urllib.request.Request(f"{base}/values/{key}", data=b"hello", method="PUT")
        with urllib.request.urlopen(put, timeout=30) as r:
            check(r.status == 204, f"PUT /values/{key}: {r.status}")
        check(get(f"{base}/values/{key}")[::2] == (200, "hello"), f"GET /values/{key} after PUT")
        check(get(f"{base}/values/absent-{n}")[0] == 404, "GET of an absent key is not a 404")
        check(get(f"{base}/values/")[0] == 400, "GET of an empty key is not a 400")
        server.send_signal(signal.SIGTERM)
        check(server.wait(timeout=10) == 0, f"exit status {server.returncode} after SIGTERM")
        print(f"http server: miss then hit for N={n}, 64 concurrent answers right, PUT then GET of a value, clean exit")
    finally:
        if server.poll() is None:
            server.kill()


BENCH_FIELDS = {"ops_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "cpu_us_per_op", "peak_rss_kb", "errors",
                "retries", "wrong_values", "misses", "requests_per_op", "near_cache_hits", "allocations_per_op",
                "json_kernel"}
# simdjson 3.0's implementations (the load tool reports the one its DOM parser chose for this CPU).
SIMDJSON_KERNELS = {"icelake", "haswell", "westmere", "arm64", "ppc64", "fallback"}
# DynamoDB requests one operation makes, without retries: a get_or_set hit costs what a get does (or
# less: concurrent callers of one key share a read), a miss what a get and a set do.
BENCH_REQUESTS = {"get": 1, "set": 1, "add": 1, "mixed": 1, "get_many": 1, "get_or_set": 1, "get_or_set_miss": 2,
                  "get_set_miss": 2}


def check_bench(endpoint, env, bench):
    for op in BENCH_REQUESTS:
        out = subprocess.run([bench, "--endpoint", endpoint, "--table", "ddbcache-bench-check", "--op", op,
                              "--ops", "600", "--concurrency", "16", "--connections", "8", "--threads", "2",
                              "--keys", "100", "--json", "--compare-replay"],
                             env=env, capture_output=True, text=True, timeout=120)
        check(out.returncode == 0, f"--op {op}: exit status {out.returncode}: {out.stderr}")
        lines = [json.loads(line) for line in out.stdout.splitlines()]
        check(len(lines) == 2, f"--op {op}: expected the run and the replay, got {out.stdout!r}")
        for result in lines:
            check(set(result) == BENCH_FIELDS, f"--op {op}: fields {sorted(result)}")
            check(result["ops_per_s"] > 0 and result["p50_us"] > 0, f"--op {op}: {result}")
            check(result["json_kernel"] in SIMDJSON_KERNELS, f"--op {op}: {result}")
            check(result["errors"] == 0 and result["wrong_values"] == 0 and result["misses"] == 0,
                  f"--op {op}: {result}")
        run = lines[0]
        shared = op == "get_or_set"
        check(run["retries"] > 0 or abs(run["requests_per_op"] - BENCH_REQUESTS[op]) < 0.01
              or (shared and 0 < run["requests_per_op"] <= BENCH_REQUESTS[op]),
              f"--op {op}: {run['requests_per_op']} DynamoDB requests per operation, expected {BENCH_REQUESTS[op]}")
    print("bench: every --op ran with no errors, wrong values or misses, and --compare-replay")
    check_bench_request(endpoint, env, bench)
    check_bench_failures(endpoint, env, bench)


def check_bench_request(endpoint, env, bench):
    """--write-request writes a whole signed request that the server answers when it is replayed
    as it is (wrk replays it in scripts/performance.py)."""
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ddbcache-bench-request-{os.getpid()}.txt")
    out = subprocess.run([bench, "--endpoint", endpoint, "--table", "ddbcache-bench-check", "--op", "get", "--keys", "10",
                          "--write-request", path], env=env, capture_output=True, text=True, timeout=120)
    check(out.returncode == 0, f"--write-request: exit status {out.returncode}: {out.stderr}")
    with open(path, "rb") as f:
        raw = f.read()
    os.unlink(path)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    check(lines[0] == "POST / HTTP/1.1", f"--write-request: request line {lines[0]!r}")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    check(fields.get("X-Amz-Target") == "DynamoDB_20120810.GetItem" and
          fields.get("Authorization", "").startswith("AWS4-HMAC-SHA256 Credential=") and
          int(fields.get("Content-Length", "-1")) == len(body), f"--write-request: head {fields}")
    host, port = urllib.parse.urlsplit(endpoint).hostname, urllib.parse.urlsplit(endpoint).port
    with socket.create_connection((host, port), timeout=30) as s:
        s.sendall(raw)
        answer = s.recv(65536)
    check(answer.startswith(b"HTTP/1.1 200"), f"--write-request: the replayed request got {answer[:200]!r}")
    print("bench: --write-request wrote a signed GetItem the server answers with 200 when replayed as it is")


def create_table_keyed_by(endpoint, table, key):
    """CreateTable with another hash key than the bench's (neither local server checks signatures)."""
    body = json.dumps({"TableName": table, "BillingMode": "PAY_PER_REQUEST",
                       "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                       "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}]}).encode()
    request = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.CreateTable",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=0",
    })
    with urllib.request.urlopen(request, timeout=30) as response:
        check(response.status == 200, f"CreateTable {table}: status {response.status}")


def check_bench_failures(endpoint, env, bench):
    """A failure names its cause: a bad table name before any request, DynamoDB's refusal by its
    AWS type and message (issue 14: it was "ValidationException [ddbcache.dynamodb:3]" alone)."""
    common = ["--endpoint", endpoint, "--ops", "10", "--keys", "10", "--concurrency", "2", "--connections", "2"]
    out = subprocess.run([bench, *common, "--table", "t1"], env=env, capture_output=True, text=True, timeout=120)
    check(out.returncode == 2, f"--table t1: exit status {out.returncode}: {out.stderr}")
    check(out.stderr == "ddbcache-bench: ddbcache: cache_options::table_name: table name 't1' is 2 characters long; "
                       "DynamoDB table names are 3 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'\n",
          f"--table t1: {out.stderr!r}")
    table = f"ddbcache-bench-other-key-{os.getpid()}"
    create_table_keyed_by(endpoint, table, "other_key")
    out = subprocess.run([bench, *common, "--table", table], env=env, capture_output=True, text=True, timeout=120)
    check(out.returncode == 2, f"a table keyed by another attribute: exit status {out.returncode}: {out.stderr}")
    refusal = "ValidationException: "
    check(refusal in out.stderr and out.stderr.split(refusal, 1)[1].strip() and "[ddbcache" not in out.stderr,
          f"a table keyed by another attribute: the AWS message is missing: {out.stderr!r}")
    print("bench: a bad table name and DynamoDB's refusal are named, with the AWS type and message")


def check_soak(endpoint, env, soak):
    out = subprocess.run([soak, "--endpoint", endpoint, "--ops", "20000", "--workers", "256", "--threads", "2",
                          "--connections", "16", "--fault-rate", "0.06", "--json"],
                         env=env, capture_output=True, text=True, timeout=600)
    sys.stderr.write(out.stderr)
    check(out.stdout.strip() != "", f"no report; exit status {out.returncode}")
    r = json.loads(out.stdout)
    print(json.dumps(r, indent=1))
    check(r["wrong_values"] == 0 and r["hung_workers"] == 0 and r["counters_off"] == 0, "the run was not clean")
    check(r["counters_checked"] == r["workers"], "a counter could not be read at the end")
    check(r["faults_injected"] >= 0.05 * r["requests"], "fewer than 5 % of requests were faulted")
    check(all(n > 0 for n in r["faults"].values()), "a fault class was never injected")
    check(out.returncode == 0, f"exit status {out.returncode}")


def main():
    mode, servers_txt, server, example = sys.argv[1:5]
    endpoint, env = environment(servers_txt, server)
    if mode == "run":
        sys.exit(subprocess.run([example, endpoint], env=env, timeout=60).returncode)
    if mode == "bench":
        return check_bench(endpoint, env, example)
    if mode == "soak":
        return check_soak(endpoint, env, example)
    check_http_server(endpoint, env, example)


if __name__ == "__main__":
    main()
