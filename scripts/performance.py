#!/usr/bin/python3
"""Measures ddbcache for docs/PERFORMANCE.md, against an AWS DynamoDB Local it starts on loopback:

  /usr/bin/python3 scripts/performance.py [--quick] [--near-cache-only] [--call-path-only [--baseline-bench PATH]]
                                          [--large-values-only [--baseline-bench PATH] [--small-values-only]]
  (after cmake --build --preset release; Debian's
  python3, which has python3-boto3 for the cachelib side and python3-matplotlib for the chart; the
  call path also needs Debian's strace, heaptrack and wrk, and node with npm for the JS SDK)

- client CPU per sequential get/set (100-byte values), median of 5 runs, beside cachelib's way
  (boto3 + pickle, tests/compat/cachelib_peer.py) on the same server in the same run;
- throughput and latency percentiles against concurrency, each beside --replay (the server's
  ceiling over the same pool), from ddbcache-bench --compare-replay --json;
- peak RSS with 10 000 operations in flight, against a run with one;
- the Google Benchmark microbenchmarks (medians of 5 repetitions), the near cache's hit among them;
- the near cache: sequential get CPU with and without it (ddbcache-bench --near-cache), and the
  HTTP server example serving one cached key to 32 connections (Debian's wrk) with and without
  --near-cache, alternated in one run.

- large values (--large-values-only): set and get of 1 MB and 10 MB values (raw codec, across
  items) sequentially and 4 in flight; 100-byte get and set (cachelib codec, raw, raw with large
  values on) beside PATH, a ddbcache-bench built from an earlier commit (--baseline-bench),
  alternated in one run; zstd's ratio and CPU per
  MiB from codec_bench. Writes docs/performance/large_values.json.

- the call path (--call-path-only, and part of the full run): sequential get and set through every
  client, alternated, medians of 5: the blocking floor (ddbcache-bench --floor: a plain blocking
  socket replaying one pre-signed request), ddbcache on one and on two io_context threads, its
  --replay (get), cachelib + boto3 (tests/compat/cachelib_peer.py) and the AWS SDK for JavaScript
  v3 (tests/compat/js_sdk_peer.cjs, installed by npm into ~/.cache/ddbcache/js-sdk on first use);
  syscalls per operation from strace -c (the difference between a 3000- and a 1000-operation run,
  so that start-up does not count); allocations per operation, every allocation function, from
  heaptrack the same way (and operator new's alone from ddbcache-bench's counter); simdjson's kernel; each of the issue's targets, met or not; with --baseline-bench PATH,
  a ddbcache-bench built from an earlier commit runs alternated beside the others. Then gets at 1, 4,
  16 and 64 in flight through every client, alternated, medians of 5: ddbcache on one and two threads,
  its --replay, Debian's wrk replaying the floor's pre-signed request (ddbcache-bench --write-request)
  from one thread, cachelib + boto3 on as many threads, the JS SDK with as many async loops. Writes
  docs/performance/call_path.json, call_path.png (sequential) and call_path_concurrency.png.

Writes docs/performance/results.json and, when matplotlib is installed (Debian's
python3-matplotlib), docs/performance/concurrency.png and docs/performance/near_cache.png.
"""
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "release"
BENCH = BUILD / "examples" / "tools" / "ddbcache-bench"
HTTP_SERVER = BUILD / "examples" / "ddbcache-http-server"
OUT = ROOT / "docs" / "performance"
QUICK = "--quick" in sys.argv
NEAR_CACHE_ONLY = "--near-cache-only" in sys.argv  # just the near cache's figures: near_cache.json and .png
RUNS = 2 if QUICK else 5
LARGE_VALUES_ONLY = "--large-values-only" in sys.argv
CALL_PATH_ONLY = "--call-path-only" in sys.argv
CACHE_DIR = pathlib.Path(os.environ.get("DDBCACHE_CACHE_DIR", os.path.expanduser("~/.cache/ddbcache")))
JS_SDK_DIR = CACHE_DIR / "js-sdk"
JS_SDK_PACKAGE = "@aws-sdk/client-dynamodb@3.1169.0"  # pinned: figures are comparable across runs
# With --large-values-only: only the small values beside the baseline, merged into large_values.json.
SMALL_VALUES_ONLY = "--small-values-only" in sys.argv
BASELINE_BENCH = sys.argv[sys.argv.index("--baseline-bench") + 1] if "--baseline-bench" in sys.argv else None


def run_json_lines(cmd, env):
    out = subprocess.run([str(c) for c in cmd], env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def bench(endpoint, env, *args, binary=BENCH):
    return run_json_lines([binary, "--endpoint", endpoint, "--json", *args], env)


def median_of(runs, field):
    return round(statistics.median(r[field] for r in runs), 2)


def sequential_cpu(endpoint, env):
    result = {}
    for op in ("get", "set"):
        ours = [bench(endpoint, env, "--op", op, "--concurrency", "1", "--ops", "3000")[0] for _ in range(RUNS)]
        theirs = [run_json_lines(["/usr/bin/python3", ROOT / "tests/compat/cachelib_peer.py", "bench", endpoint,
                                  "ddbcache-bench", op, "1000"], env)[0] for _ in range(RUNS)]
        result[op] = {"ddbcache_cpu_us": median_of(ours, "cpu_us_per_op"),
                      "cachelib_boto3_cpu_us": median_of(theirs, "cpu_us_per_op"),
                      "ddbcache_runs": ours, "cachelib_runs": theirs}
        result[op]["ratio"] = round(result[op]["cachelib_boto3_cpu_us"] / result[op]["ddbcache_cpu_us"], 1)
    return result


def ensure_js_sdk():
    if not (JS_SDK_DIR / "node_modules" / "@aws-sdk" / "client-dynamodb").is_dir():
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", JS_SDK_DIR, JS_SDK_PACKAGE],
                       check=True)


def syscalls_per_op(endpoint, env, *args, binary=BENCH):
    """System calls per operation, by name, from strace -c -f: (3000-op run - 1000-op run) / 2000."""
    counts = []
    for ops in (1000, 3000):
        out = BUILD / "strace.txt"
        subprocess.run(["strace", "-c", "-f", "-o", out, binary, "--endpoint", endpoint, "--json", "--ops", str(ops), *args],
                       env=env, check=True, capture_output=True)
        calls = {}
        for line in out.read_text().splitlines():
            fields = line.split()
            # "% time seconds usecs/call calls [errors] syscall"
            if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                calls[fields[-1]] = int(fields[3])
        counts.append(calls)
    names = set(counts[0]) | set(counts[1])
    per_op = {n: round((counts[1].get(n, 0) - counts[0].get(n, 0)) / 2000, 2) for n in names}
    per_op = {n: v for n, v in sorted(per_op.items(), key=lambda kv: -kv[1]) if v >= 0.01}
    return {"total": round(sum(per_op.values()), 2), "by_name": per_op}


def heap_allocations_per_op(endpoint, env, *args, binary=BENCH):
    """Calls to every allocation function per operation (malloc, aligned_alloc for coroutine frames,
    operator new, OpenSSL's), from Debian's heaptrack: (3000-op run - 1000-op run) / 2000. The load
    tool's own allocations_per_op counts operator new only."""
    counts = []
    for ops in (1000, 3000):
        out = BUILD / "heaptrack-run"
        for old in BUILD.glob("heaptrack-run*"):
            old.unlink()
        subprocess.run(["heaptrack", "-o", out, binary, "--endpoint", endpoint, "--json", "--ops", str(ops), *args],
                       env=env, check=True, capture_output=True)
        summary = subprocess.run(["heaptrack_print", "-f", next(BUILD.glob("heaptrack-run*")), "--print-peaks", "0",
                                  "--print-allocators", "0", "--print-temporary", "0", "--print-leaks", "0"],
                                 check=True, capture_output=True, text=True).stdout
        counts.append(int(re.search(r"calls to allocation functions: (\d+)", summary).group(1)))
    return round((counts[1] - counts[0]) / 2000, 2)


def call_path(endpoint, env):
    """Every client of issue 18's table, sequential get and set, alternated within each round."""
    ensure_js_sdk()
    js_env = dict(env, NODE_PATH=str(JS_SDK_DIR / "node_modules"))
    seq = ["--concurrency", "1", "--connections", "1", "--ops", "3000"]
    clients = {
        "floor": lambda op: bench(endpoint, env, "--floor", "--op", op, *seq)[0],
        "ddbcache": lambda op: bench(endpoint, env, "--op", op, *seq)[0],
        "ddbcache_2_threads": lambda op: bench(endpoint, env, "--op", op, "--threads", "2", *seq)[0],
        "replay": lambda op: bench(endpoint, env, "--replay", *seq)[0],
        "cachelib_boto3": lambda op: run_json_lines(["/usr/bin/python3", ROOT / "tests/compat/cachelib_peer.py", "bench",
                                                     endpoint, "ddbcache-bench", op, "1000"], env)[0],
        "js_sdk_v3": lambda op: run_json_lines(["node", ROOT / "tests/compat/js_sdk_peer.cjs", "bench", endpoint,
                                                "ddbcache-bench", op, "1000"], js_env)[0],
    }
    if BASELINE_BENCH:  # the same load tool built from an earlier commit, for a change's before and after
        clients["ddbcache_baseline"] = lambda op: bench(endpoint, env, "--op", op, *seq, binary=BASELINE_BENCH)[0]
    result = {}
    for op in ("get", "set"):
        names = [n for n in clients if not (op == "set" and n == "replay")]
        runs = {n: [] for n in names}
        for _ in range(RUNS):
            for n in names:
                runs[n].append(clients[n](op))
        r = {n: {"cpu_us_per_op": median_of(runs[n], "cpu_us_per_op"), "ops_per_s": median_of(runs[n], "ops_per_s"),
                 "runs": runs[n]} for n in names}
        for n in ("ddbcache", "ddbcache_2_threads", "ddbcache_baseline"):
            if n in r and "allocations_per_op" in runs[n][0]:
                r[n]["allocations_per_op"] = median_of(runs[n], "allocations_per_op")
        r["ddbcache"]["heap_allocations_per_op"] = heap_allocations_per_op(endpoint, env, "--op", op, *seq[:4])
        r["syscalls_per_op"] = {"floor": syscalls_per_op(endpoint, env, "--floor", "--op", op, *seq[:4]),
                                "ddbcache": syscalls_per_op(endpoint, env, "--op", op, *seq[:4])}
        if BASELINE_BENCH:
            r["syscalls_per_op"]["ddbcache_baseline"] = syscalls_per_op(endpoint, env, "--op", op, *seq[:4],
                                                                        binary=BASELINE_BENCH)
        ours, floor = r["ddbcache"], r["floor"]
        timer_calls = sum(v for k, v in r["syscalls_per_op"]["ddbcache"]["by_name"].items() if k.startswith("timerfd"))
        r["targets"] = {
            "cpu_vs_floor (<= 1.5)": round(ours["cpu_us_per_op"] / floor["cpu_us_per_op"], 2),
            "cpu_2_threads_vs_floor (<= 1.5)": round(r["ddbcache_2_threads"]["cpu_us_per_op"] / floor["cpu_us_per_op"], 2),
            "boto3_cpu_vs_ours (>= 60)": round(r["cachelib_boto3"]["cpu_us_per_op"] / ours["cpu_us_per_op"], 1),
            "js_sdk_cpu_vs_ours (>= 60)": round(r["js_sdk_v3"]["cpu_us_per_op"] / ours["cpu_us_per_op"], 1),
            "ops_per_s_vs_floor (>= 0.9)": round(ours["ops_per_s"] / floor["ops_per_s"], 2),
            "syscalls_per_op (<= 5)": r["syscalls_per_op"]["ddbcache"]["total"],
            "timer_syscalls_per_op (0)": round(timer_calls, 2),
            "allocations_per_op (<= 4)": ours["heap_allocations_per_op"],
            "operator_new_per_op": ours["allocations_per_op"],
            "json_kernel (not fallback)": runs["ddbcache"][0]["json_kernel"],
        }
        result[op] = r
    result["concurrency"] = call_path_concurrency(endpoint, env)
    at_64 = next(p for p in result["concurrency"] if p["in_flight"] == 64)
    result["get"]["targets"]["ops_per_s_64_in_flight_vs_wrk (>= 0.95)"] = round(
        at_64["ddbcache"]["ops_per_s"] / at_64["wrk_replay"]["ops_per_s"], 2)
    return result


def wrk_replay(endpoint, env, connections, seconds):
    """Debian's wrk replaying the floor's pre-signed GetItem on `connections` connections from one
    thread: the server's ceiling seen by a client that does no work per request. Its CPU (user + sys)
    comes from wait4."""
    request = BUILD / "wrk-request.txt"
    subprocess.run([BENCH, "--endpoint", endpoint, "--op", "get", "--write-request", request], env=env, check=True)
    head, body = request.read_bytes().decode().split("\r\n\r\n", 1)
    headers = [line.split(": ", 1) for line in head.split("\r\n")[1:] if not line.lower().startswith("content-length:")]
    script = BUILD / "wrk-replay.lua"
    script.write_text('wrk.method = "POST"\nwrk.body = [==[' + body + ']==]\n' +
                      "".join(f'wrk.headers["{name}"] = [==[{value}]==]\n' for name, value in headers))
    proc = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), endpoint], env=env,
                            stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk failed or saw errors:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"ops_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "cpu_us_per_op": round((usage.ru_utime + usage.ru_stime) * 1e6 / requests, 2), "requests": requests}


IN_FLIGHT = (1, 4, 16, 64)


def call_path_concurrency(endpoint, env):
    """Gets against operations in flight, for every client, alternated within each round: ddbcache (1
    and 2 io_context threads, one connection per operation in flight), its --replay, wrk's replay,
    cachelib + boto3 (a thread and a boto3 session per operation in flight) and the JS SDK (as many
    async loops and sockets). The blocking floor has one point, at 1."""
    js_env = dict(env, NODE_PATH=str(JS_SDK_DIR / "node_modules"))
    seconds = "2"
    clients = {
        "ddbcache": lambda n: bench(endpoint, env, "--op", "get", "--concurrency", n, "--connections", n,
                                    "--seconds", seconds)[0],
        "ddbcache_2_threads": lambda n: bench(endpoint, env, "--op", "get", "--threads", "2", "--concurrency", n,
                                              "--connections", n, "--seconds", seconds)[0],
        "replay": lambda n: bench(endpoint, env, "--replay", "--concurrency", n, "--connections", n,
                                  "--seconds", seconds)[0],
        "wrk_replay": lambda n: wrk_replay(endpoint, env, n, seconds),
        "cachelib_boto3": lambda n: run_json_lines(["/usr/bin/python3", ROOT / "tests/compat/cachelib_peer.py", "bench",
                                                    endpoint, "ddbcache-bench", "get", "1000", n], env)[0],
        "js_sdk_v3": lambda n: run_json_lines(["node", ROOT / "tests/compat/js_sdk_peer.cjs", "bench", endpoint,
                                               "ddbcache-bench", "get", "2000", n], js_env)[0],
    }
    runs = {n: {c: [] for c in clients} for n in IN_FLIGHT}
    for _ in range(RUNS):
        for n in IN_FLIGHT:
            for name, client in clients.items():
                runs[n][name].append(client(str(n)))
    return [{"in_flight": n, **{name: {"cpu_us_per_op": median_of(r, "cpu_us_per_op"), "ops_per_s": median_of(r, "ops_per_s"),
                                       "runs": r} for name, r in runs[n].items()}} for n in IN_FLIGHT]


def call_path_concurrency_chart(path):
    panels = two_panels((12, 4.6))
    if not panels:
        return
    fig, (left, right) = panels
    points = path["concurrency"]
    x = [p["in_flight"] for p in points]
    for name in ("ddbcache", "ddbcache_2_threads", "replay", "wrk_replay", "cachelib_boto3", "js_sdk_v3"):
        style = {"linestyle": "--"} if name in ("replay", "wrk_replay") else {}
        left.plot(x, [p[name]["cpu_us_per_op"] for p in points], marker="o", label=name, **style)
        right.plot(x, [p[name]["ops_per_s"] for p in points], marker="o", label=name, **style)
    floor = path["get"]["floor"]
    left.plot([1], [floor["cpu_us_per_op"]], marker="*", markersize=12, linestyle="none", color="black", label="floor")
    right.plot([1], [floor["ops_per_s"]], marker="*", markersize=12, linestyle="none", color="black", label="floor")
    left.set(xscale="log", yscale="log", xlabel="gets in flight", ylabel="client CPU per get (µs, log)",
             title="Client CPU per get")
    right.set(xscale="log", xlabel="gets in flight", ylabel="gets / s", title="Throughput")
    for ax in (left, right):
        ax.set_xticks(x, [str(v) for v in x])
        ax.legend(fontsize="small")
    fig.suptitle("One DynamoDB Local on loopback, 100-byte values, medians of alternated runs")
    fig.tight_layout()
    fig.savefig(OUT / "call_path_concurrency.png", dpi=110)
    print(f"wrote {OUT / 'call_path_concurrency.png'}")


def call_path_chart(path):
    panels = two_panels((12, 4.4))
    if not panels:
        return
    fig, (left, right) = panels
    names = [n for n in ("floor", "ddbcache", "ddbcache_2_threads", "ddbcache_baseline", "replay", "cachelib_boto3",
                         "js_sdk_v3") if n in path["get"]]
    width = 0.4
    for i, op in enumerate(("get", "set")):
        present = [n for n in names if n in path[op]]
        xs = [names.index(n) + (i - 0.5) * width for n in present]
        left.bar(xs, [path[op][n]["cpu_us_per_op"] for n in present], width=width, label=op)
        right.bar(xs, [path[op][n]["ops_per_s"] for n in present], width=width, label=op)
    for ax, title, label in ((left, "Client CPU per sequential operation", "µs (log)"),
                             (right, "Sequential operations per second", "operations / s")):
        ax.set_xticks(range(len(names)), [n.replace("_", "\n") for n in names])
        ax.set(title=title, ylabel=label)
        ax.legend()
    left.set_yscale("log")
    fig.suptitle("One DynamoDB Local on loopback, 100-byte values, medians of alternated runs")
    fig.tight_layout()
    fig.savefig(OUT / "call_path.png", dpi=110)
    print(f"wrote {OUT / 'call_path.png'}")


def concurrency_sweep(endpoint, env):
    points = []
    for concurrency in (1, 4, 16, 64, 256):
        connections = str(min(concurrency, 64))
        real, replay = bench(endpoint, env, "--op", "get", "--concurrency", str(concurrency), "--connections",
                             connections, "--seconds", "2" if QUICK else "4", "--compare-replay")
        points.append({"concurrency": concurrency, "connections": int(connections), "get": real, "replay": replay,
                       "throughput_ratio": round(real["ops_per_s"] / replay["ops_per_s"], 3)})
    return points


def memory_in_flight(endpoint, env):
    one = bench(endpoint, env, "--op", "get", "--concurrency", "1", "--ops", "2000")[0]
    many = bench(endpoint, env, "--op", "get", "--concurrency", "10000", "--connections", "64", "--ops", "200000")[0]
    return {"one_in_flight": one, "ten_thousand_in_flight": many,
            "rss_growth_kb": many["peak_rss_kb"] - one["peak_rss_kb"]}


def microbenchmarks(names=("sigv4_bench", "codec_bench", "near_cache_bench")):
    medians = {}
    for name in names:
        out = subprocess.run([str(BUILD / "tests" / "bench" / name), f"--benchmark_repetitions={RUNS}",
                              "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                             check=True, capture_output=True, text=True).stdout
        for b in json.loads(out)["benchmarks"]:
            if b.get("aggregate_name") == "median":
                medians[b["run_name"]] = {"cpu_ns": round(b["cpu_time"], 1),
                                          "real_ns": round(b["real_time"], 1),
                                          "bytes_per_second": b.get("bytes_per_second"),
                                          "allocs_per_op": b.get("allocs_per_op", b.get("allocations_per_hit")),
                                          "hit_ratio": b.get("hit_ratio"), "ratio": b.get("ratio")}
    return medians


def http_server_requests_per_s(endpoint, env, near_cache, route):
    """The HTTP server example serving one cached key to 32 connections for 5 s (wrk -t1 -c32):
    route "get" is GET /values/KEY (async_get), "get_or_set" is GET /primes/1000 (async_get_or_set,
    whose single-flight already shares one DynamoDB read among the requests in flight)."""
    args = [str(HTTP_SERVER)] + (["--near-cache"] if near_cache else []) + ["0", endpoint]
    server = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    try:
        base = re.search(r"http://\S+", server.stdout.readline()).group(0)
        if route == "get":
            url = base + "/values/bench"
            urllib.request.urlopen(urllib.request.Request(url, data=b"x" * 100, method="PUT"), timeout=30).read()
        else:
            url = base + "/primes/1000"
        urllib.request.urlopen(url, timeout=30).read()  # computes and stores, or reads, the value
        out = subprocess.run(["wrk", "-t1", "-c32", "-d5s", url], check=True, capture_output=True, text=True).stdout
        return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)


def near_cache_runs(endpoint, env):
    """Sequential gets with and without the near cache, and the HTTP example under wrk, alternated."""
    common = ["--op", "get", "--concurrency", "1", "--connections", "1", "--seconds", "3", "--table", "bench-near"]
    plain, near = [], []
    http = {route: {"without": [], "with": []} for route in ("get", "get_or_set")}
    for _ in range(RUNS):
        plain.append(bench(endpoint, env, *common)[0])
        near.append(bench(endpoint, env, *common, "--near-cache")[0])
        for route, runs in http.items():
            runs["without"].append(http_server_requests_per_s(endpoint, env, False, route))
            runs["with"].append(http_server_requests_per_s(endpoint, env, True, route))
    med = lambda runs, field: statistics.median(r[field] for r in runs)
    results = {
        "sequential_get": {
            "without": {"cpu_us_per_op": med(plain, "cpu_us_per_op"), "ops_per_s": med(plain, "ops_per_s")},
            "with": {"cpu_us_per_op": med(near, "cpu_us_per_op"), "ops_per_s": med(near, "ops_per_s"),
                     "near_cache_hits": med(near, "near_cache_hits")},
            "runs": {"without": plain, "with": near}},
    }
    for route, runs in http.items():
        results[f"http_server_wrk_32_{route}"] = {
            "without_rps": statistics.median(runs["without"]), "with_rps": statistics.median(runs["with"]),
            "ratio": statistics.median(runs["with"]) / statistics.median(runs["without"]), "runs": runs}
    return results


def large_value_runs(endpoint, env):
    """Throughput of values stored across items, and the small-value path beside a baseline build."""
    result = {"large": []}
    for size, ops in () if SMALL_VALUES_ONLY else ((1_000_000, 40 if QUICK else 100), (10_000_000, 6 if QUICK else 20)):
        for op in ("set", "get"):
            for concurrency in (1, 4):
                runs = [bench(endpoint, env, "--op", op, "--table", "ddbcache-bench-large", "--codec", "raw",
                              "--max-value-size", "16000000",
                              "--value-size", str(size), "--keys", "8", "--concurrency", str(concurrency),
                              "--connections", str(concurrency * 8), "--ops", str(ops))[0] for _ in range(RUNS)]
                ops_per_s = median_of(runs, "ops_per_s")
                result["large"].append({"value_bytes": size, "op": op, "concurrency": concurrency,
                                        "ops_per_s": ops_per_s, "mb_per_s": round(ops_per_s * size / 1e6, 1),
                                        "p50_us": median_of(runs, "p50_us"), "cpu_us_per_op": median_of(runs, "cpu_us_per_op"),
                                        "runs": runs})
    if BASELINE_BENCH:
        small = {}
        for op in ("get", "set"):
            columns = {"baseline": [], "cachelib": [], "raw": [], "raw_large_values_on": []}
            for _ in range(RUNS):  # alternated, so that all meet the same server state
                args = ["--json", "--endpoint", endpoint, "--op", op, "--concurrency", "1", "--ops", "3000"]
                # The baseline tool has only the cachelib codec: "cachelib" is the same path, measured beside it.
                columns["baseline"] += run_json_lines([BASELINE_BENCH, *args, "--table", "ddbcache-bench-small"], env)
                columns["cachelib"] += run_json_lines([BENCH, *args, "--table", "ddbcache-bench-small"], env)
                columns["raw"] += run_json_lines([BENCH, *args, "--table", "ddbcache-bench-raw", "--codec", "raw"], env)
                columns["raw_large_values_on"] += run_json_lines(
                    [BENCH, *args, "--table", "ddbcache-bench-raw", "--codec", "raw", "--max-value-size", "16000000"], env)
            small[op] = {name: {"cpu_us_per_op": median_of(runs, "cpu_us_per_op"), "ops_per_s": median_of(runs, "ops_per_s"),
                                "runs": runs} for name, runs in columns.items()}
        result["small_values_beside_baseline"] = small
    return result


def pyplot():
    """matplotlib's pyplot drawing to files, or None (with a word) when it is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (apt install python3-matplotlib): no chart")
        return None
    return plt


def two_panels(size):
    """A figure of two charts side by side (figure, (left, right)), or None without matplotlib."""
    plt = pyplot()
    return plt.subplots(1, 2, figsize=size) if plt else None


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"nproc": os.cpu_count(), "cpu": model}


def chart(results):
    panels = two_panels((11, 4.2))
    if not panels:
        return
    fig, (left, right) = panels
    points = results["concurrency"]
    x = [p["concurrency"] for p in points]
    for field, label in (("p50_us", "p50"), ("p90_us", "p90"), ("p99_us", "p99")):
        left.plot(x, [p["get"][field] / 1000 for p in points], marker="o", label=f"get {label}")
    left.plot(x, [p["replay"]["p50_us"] / 1000 for p in points], linestyle="--", color="gray", label="replay p50")
    left.set(xscale="log", yscale="log", xlabel="operations in flight", ylabel="latency (ms)",
             title="Latency of a cached get")
    left.legend()
    right.plot(x, [p["get"]["ops_per_s"] for p in points], marker="o", label="ddbcache get")
    right.plot(x, [p["replay"]["ops_per_s"] for p in points], marker="s", linestyle="--", color="gray",
               label="replay (server's ceiling)")
    right.set(xscale="log", xlabel="operations in flight", ylabel="operations / s",
              title="Throughput against DynamoDB Local")
    right.legend()
    fig.suptitle(f"ddbcache-bench, 100-byte values, {results['machine']['nproc']} cores, loopback DynamoDB Local")
    fig.tight_layout()
    fig.savefig(OUT / "concurrency.png", dpi=110)
    print(f"wrote {OUT / 'concurrency.png'}")



def near_cache_chart(near):
    panels = two_panels((10, 4))
    if not panels:
        return
    fig, (left, right) = panels
    seq = near["sequential_get"]
    left.bar(["without", "with near cache"], [seq["without"]["cpu_us_per_op"], seq["with"]["cpu_us_per_op"]],
             color=["gray", "tab:blue"])
    left.set(yscale="log", ylabel="client CPU per get (µs)", title="Sequential get: CPU per operation")
    labels, without, with_near = [], [], []
    for route, name in (("get", "GET /values/KEY\n(async_get)"), ("get_or_set", "GET /primes/1000\n(async_get_or_set)")):
        r = near[f"http_server_wrk_32_{route}"]
        labels.append(f"{name}\n×{r['ratio']:.1f}")
        without.append(r["without_rps"])
        with_near.append(r["with_rps"])
    x = range(len(labels))
    right.bar([i - 0.2 for i in x], without, width=0.4, color="gray", label="without")
    right.bar([i + 0.2 for i in x], with_near, width=0.4, color="tab:blue", label="with --near-cache")
    right.set_xticks(list(x), labels)
    right.set(ylabel="requests / s", title="HTTP example, one key, 32 connections (wrk)")
    right.legend(loc="upper left")
    fig.suptitle("The near cache, beside plain DynamoDB reads, in one run (medians)")
    fig.tight_layout()
    fig.savefig(OUT / "near_cache.png", dpi=110)
    print(f"wrote {OUT / 'near_cache.png'}")


def main():
    state = BUILD / "performance-server"
    subprocess.run([sys.executable, ROOT / "tests/servers/local_servers.py", "start", state, "--only", "dynamodb-local"],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        endpoint = dict(line.split() for line in open(state / "servers.txt"))["dynamodb-local"]
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDLOCALBENCH", AWS_SECRET_ACCESS_KEY="local-bench-secret",
                   AWS_REGION="us-east-1")
        bench(endpoint, env, "--ops", "20000")  # warms the server's JIT and creates the table
        if LARGE_VALUES_ONLY and SMALL_VALUES_ONLY:
            large = json.loads((OUT / "large_values.json").read_text())
            large["small_values_beside_baseline"] = large_value_runs(endpoint, env)["small_values_beside_baseline"]
            large["small_values_machine"] = {**machine(), "loadavg": open("/proc/loadavg").read().split()[:3]}
            large.pop("small_raw_values_beside_baseline", None)
            (OUT / "large_values.json").write_text(json.dumps(large, indent=1) + "\n")
            for op, r in large["small_values_beside_baseline"].items():
                print(op, {name: {k: v for k, v in c.items() if k != "runs"} for name, c in r.items()})
            return
        if LARGE_VALUES_ONLY:
            large = {"machine": machine(), "baseline_bench": BASELINE_BENCH, **large_value_runs(endpoint, env),
                     "microbenchmarks": {k: v for k, v in microbenchmarks(("codec_bench",)).items()
                                         if "Zstd" in k or "Crc32" in k}}
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "large_values.json").write_text(json.dumps(large, indent=1) + "\n")
            print(json.dumps({k: [{kk: vv for kk, vv in p.items() if kk != "runs"} for p in v] if k == "large" else v
                              for k, v in large.items() if k != "small_values_beside_baseline"}, indent=1))
            for op, r in large.get("small_values_beside_baseline", {}).items():
                print(op, {name: {k: v for k, v in c.items() if k != "runs"} for name, c in r.items()})
            return
        if CALL_PATH_ONLY:
            path = {"machine": {**machine(), "loadavg": open("/proc/loadavg").read().split()[:3]},
                    **call_path(endpoint, env)}
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "call_path.json").write_text(json.dumps(path, indent=1) + "\n")
            for op in ("get", "set"):
                print(op, json.dumps({n: ({k: v for k, v in c.items() if k != "runs"} if isinstance(c, dict) else c)
                                      for n, c in path[op].items()}, indent=1))
            print("in flight", json.dumps([{k: (v if k == "in_flight" else {"cpu_us_per_op": v["cpu_us_per_op"],
                                                                            "ops_per_s": v["ops_per_s"]})
                                            for k, v in p.items()} for p in path["concurrency"]], indent=1))
            call_path_chart(path)
            call_path_concurrency_chart(path)
            return
        if NEAR_CACHE_ONLY:
            near = {"machine": machine(), **near_cache_runs(endpoint, env),
                    "microbenchmarks": microbenchmarks(("near_cache_bench",))}
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "near_cache.json").write_text(json.dumps(near, indent=1) + "\n")
            print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "runs"} if isinstance(v, dict) else v
                              for k, v in near.items()}, indent=1))
            near_cache_chart(near)
            return
        results = {"machine": machine(), "sequential_cpu": sequential_cpu(endpoint, env),
                   "concurrency": concurrency_sweep(endpoint, env), "memory": memory_in_flight(endpoint, env),
                   "near_cache": near_cache_runs(endpoint, env), "call_path": call_path(endpoint, env)}
    finally:
        subprocess.run([sys.executable, ROOT / "tests/servers/local_servers.py", "stop", state], stdout=subprocess.DEVNULL)
    results["microbenchmarks"] = microbenchmarks()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({"sequential_cpu": {op: {k: v for k, v in r.items() if not k.endswith("runs")}
                                         for op, r in results["sequential_cpu"].items()},
                      "throughput_ratios": {p["concurrency"]: p["throughput_ratio"] for p in results["concurrency"]},
                      "rss_growth_kb_10000_in_flight": results["memory"]["rss_growth_kb"],
                      "near_cache": {k: {kk: vv for kk, vv in v.items() if kk != "runs"}
                                     for k, v in results["near_cache"].items()}}, indent=1))
    chart(results)
    near_cache_chart(results["near_cache"])
    call_path_chart(results["call_path"])
    call_path_concurrency_chart(results["call_path"])


if __name__ == "__main__":
    main()
