#!/usr/bin/python3
"""Measures ddbcache for docs/PERFORMANCE.md, against an AWS DynamoDB Local it starts on loopback:

  /usr/bin/python3 scripts/performance.py [--quick] [--near-cache-only]
                                          [--large-values-only [--baseline-bench PATH] [--small-values-only]]
  (after cmake --build --preset release; Debian's
  python3, which has python3-boto3 for the cachelib side and python3-matplotlib for the chart)

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
# With --large-values-only: only the small values beside the baseline, merged into large_values.json.
SMALL_VALUES_ONLY = "--small-values-only" in sys.argv
BASELINE_BENCH = sys.argv[sys.argv.index("--baseline-bench") + 1] if "--baseline-bench" in sys.argv else None


def run_json_lines(cmd, env):
    out = subprocess.run([str(c) for c in cmd], env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def bench(endpoint, env, *args):
    return run_json_lines([BENCH, "--endpoint", endpoint, "--json", *args], env)


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


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"nproc": os.cpu_count(), "cpu": model}


def chart(results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (apt install python3-matplotlib): no chart")
        return
    points = results["concurrency"]
    x = [p["concurrency"] for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
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
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (apt install python3-matplotlib): no chart")
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
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
                   "near_cache": near_cache_runs(endpoint, env)}
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


if __name__ == "__main__":
    main()
