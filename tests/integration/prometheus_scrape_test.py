#!/usr/bin/env python3
"""The HTTP server example's GET /metrics, scraped by the real Prometheus server (Debian's).

  prometheus_scrape_test.py SERVERS_TXT SERVER HTTP_SERVER PROMETHEUS [--near-cache]

Starts HTTP_SERVER (ddbcache-http-server, built with ddbcache::prometheus) on a free loopback port
against the local DynamoDB server SERVER, makes a known number of requests, then starts PROMETHEUS
with a scrape job on the server's /metrics every second and polls its query API until the scraped
values arrive: the get_or_set count must equal the requests made, and the client's GetItem calls
must be above zero (with --near-cache, the near cache's lookups must add up to the requests).
Waits are bounded generously (60 s) and no verdict depends on speed. A missing Prometheus, or a
server built without prometheus-cpp, fails the test naming the Debian package to install.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

REQUESTS = 25
WAIT_SECONDS = 60
PR_SET_PDEATHSIG = 1


def fail(message):
    sys.exit("FAILED: " + message)


def die_with_parent():
    """In the child: killed when this script dies, even by SIGKILL (a CTest timeout)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start(args, **kwargs):
    return subprocess.Popen(args, preexec_fn=die_with_parent, **kwargs)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def query(prometheus_base, promql):
    """The value of an instant query's single sample, or None while there is none."""
    url = f"{prometheus_base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            answer = json.load(r)
    except (urllib.error.URLError, ConnectionError):
        return None  # not listening yet
    if answer.get("status") != "success" or not answer["data"]["result"]:
        return None
    return float(answer["data"]["result"][0]["value"][1])


def wait_for(prometheus_base, promql, prometheus):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if prometheus.poll() is not None:
            fail(f"prometheus exited with status {prometheus.returncode} (its log is above)")
        value = query(prometheus_base, promql)
        if value is not None:
            return value
        time.sleep(0.5)
    fail(f"no value for {promql} after {WAIT_SECONDS} s")


def start_http_server(example, endpoint, near_cache):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDLOCALTEST", AWS_SECRET_ACCESS_KEY="local-test-secret",
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    args = [example, *(["--near-cache"] if near_cache else []), "0", endpoint]
    server = start(args, env=env, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line.startswith("listening on http://127.0.0.1:"):
        fail(f"ddbcache-http-server's first line: {line!r}")
    return server, line.split()[-1]


def start_prometheus(prometheus_binary, workdir, target):
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: ddbcache\n    metrics_path: /metrics\n"
                f"    static_configs:\n      - targets: ['{target}']\n")
    port = free_port()
    prometheus = start([prometheus_binary, f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
                        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
    return prometheus, f"http://127.0.0.1:{port}"


def main():
    servers_txt, server_name, example, prometheus_binary = sys.argv[1:5]
    near_cache = "--near-cache" in sys.argv[5:]
    if not prometheus_binary or not os.access(prometheus_binary, os.X_OK):
        fail(f"no Prometheus server at {prometheus_binary!r}: install Debian's package 'prometheus' "
             "(scripts/setup.sh does)")
    endpoints = dict(line.split() for line in open(servers_txt) if line.strip())
    server = prometheus = None
    workdir = tempfile.mkdtemp(prefix="ddbcache-prometheus-")
    try:
        server, base = start_http_server(example, endpoints[server_name], near_cache)
        status, content_type, body = get(f"{base}/metrics")  # a 404 raises HTTPError, caught below
        if content_type != "text/plain; version=0.0.4":
            fail(f"GET /metrics: Content-Type {content_type!r}")
        for _ in range(REQUESTS):
            status, _, body = get(f"{base}/primes/1000")
            if (status, body) != (200, "168\n"):
                fail(f"GET /primes/1000: {status} {body!r}")
        prometheus, prometheus_base = start_prometheus(prometheus_binary, workdir, base.split("//")[1])
        up = wait_for(prometheus_base, 'up{job="ddbcache"} == 1', prometheus)
        operations = wait_for(prometheus_base, 'sum(ddbcache_operations_total{operation="get_or_set"})', prometheus)
        if operations != REQUESTS:
            fail(f"Prometheus scraped {operations} get_or_set operations; the server answered {REQUESTS}")
        get_items = wait_for(prometheus_base, 'ddbcache_dynamodb_calls_total{operation="GetItem"}', prometheus)
        if get_items <= 0:
            fail(f"Prometheus scraped {get_items} GetItem calls")
        lookups = wait_for(prometheus_base, "ddbcache_near_cache_hits_total + ddbcache_near_cache_misses_total",
                           prometheus)
        if lookups != (REQUESTS if near_cache else 0):
            fail(f"{lookups} near-cache lookups with the near cache {'on' if near_cache else 'off'}")
        print(f"Prometheus scraped /metrics (up {up:g}): {operations:g} get_or_set operations, "
              f"{get_items:g} GetItem calls, {lookups:g} near-cache lookups")
    except urllib.error.HTTPError as e:
        detail = e.read().decode().strip()
        fail(f"{e.url}: HTTP {e.code}: {detail}" + (
            " (install it: scripts/setup.sh does; then configure and build again)" if e.code == 404 else ""))
    finally:
        for process in (prometheus, server):
            if process:
                stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAILED: terminated"))
    main()
