#!/usr/bin/python3
"""Measures ddbcache for docs/PERFORMANCE.md, against an AWS DynamoDB Local it starts on loopback:

  /usr/bin/python3 scripts/performance.py [--quick]   (after cmake --build --preset release; Debian's
  python3, which has python3-boto3 for the cachelib side and python3-matplotlib for the chart)

- client CPU per sequential get/set (100-byte values), median of 5 runs, beside cachelib's way
  (boto3 + pickle, tests/compat/cachelib_peer.py) on the same server in the same run;
- throughput and latency percentiles against concurrency, each beside --replay (the server's
  ceiling over the same pool), from ddbcache-bench --compare-replay --json;
- peak RSS with 10 000 operations in flight, against a run with one;
- the Google Benchmark microbenchmarks (medians of 5 repetitions).

Writes docs/performance/results.json and, when matplotlib is installed (Debian's
python3-matplotlib), docs/performance/concurrency.png.
"""
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "release"
BENCH = BUILD / "examples" / "tools" / "ddbcache-bench"
OUT = ROOT / "docs" / "performance"
QUICK = "--quick" in sys.argv
RUNS = 2 if QUICK else 5


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


def microbenchmarks():
    medians = {}
    for name in ("sigv4_bench", "codec_bench"):
        out = subprocess.run([str(BUILD / "tests" / "bench" / name), f"--benchmark_repetitions={RUNS}",
                              "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                             check=True, capture_output=True, text=True).stdout
        for b in json.loads(out)["benchmarks"]:
            if b.get("aggregate_name") == "median":
                medians[b["run_name"]] = {"cpu_ns": round(b["cpu_time"], 1),
                                          "bytes_per_second": b.get("bytes_per_second"),
                                          "allocs_per_op": b.get("allocs_per_op")}
    return medians


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


def main():
    state = BUILD / "performance-server"
    subprocess.run([sys.executable, ROOT / "tests/servers/local_servers.py", "start", state, "--only", "dynamodb-local"],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        endpoint = dict(line.split() for line in open(state / "servers.txt"))["dynamodb-local"]
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDLOCALBENCH", AWS_SECRET_ACCESS_KEY="local-bench-secret",
                   AWS_REGION="us-east-1")
        bench(endpoint, env, "--ops", "20000")  # warms the server's JIT and creates the table
        results = {"machine": machine(), "sequential_cpu": sequential_cpu(endpoint, env),
                   "concurrency": concurrency_sweep(endpoint, env), "memory": memory_in_flight(endpoint, env)}
    finally:
        subprocess.run([sys.executable, ROOT / "tests/servers/local_servers.py", "stop", state], stdout=subprocess.DEVNULL)
    results["microbenchmarks"] = microbenchmarks()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({"sequential_cpu": {op: {k: v for k, v in r.items() if not k.endswith("runs")}
                                         for op, r in results["sequential_cpu"].items()},
                      "throughput_ratios": {p["concurrency"]: p["throughput_ratio"] for p in results["concurrency"]},
                      "rss_growth_kb_10000_in_flight": results["memory"]["rss_growth_kb"]}, indent=1))
    chart(results)


if __name__ == "__main__":
    main()
