#!/usr/bin/python3
"""Where the client CPU of a sequential get (or set) goes: perf samples of ddbcache-bench, and of
its --floor beside it, grouped by what the code is, for docs/PERFORMANCE.md.

  /usr/bin/python3 scripts/profile_call_path.py [--op get|set] [--ops N] [--symbols]
  (after cmake --build --preset release; needs Debian's linux-perf, and perf_event_paranoid <= 2)

Starts DynamoDB Local on loopback, records `perf record -F 4999` of the load tool with one
operation in flight on one connection, then prints each group's share of the samples, and that
share of the load tool's own CPU per operation, for ddbcache and for the floor.
Groups by the sampled function itself (self time), not by its callers. The kernel's time is split
by the system call on the stack. --symbols adds each group's three most sampled functions.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "release"
BENCH = BUILD / "examples" / "tools" / "ddbcache-bench"
FREQUENCY = 4999
OP = sys.argv[sys.argv.index("--op") + 1] if "--op" in sys.argv else "get"
OPS = int(sys.argv[sys.argv.index("--ops") + 1]) if "--ops" in sys.argv else 20000

# (group, test on "dso symbol"), first match wins.
GROUPS = [
    ("kernel: send (loopback TCP: the server's receive side is charged here)", lambda s: s == "[k] send"),
    ("kernel: receive (where the floor's blocking recv sleeps)", lambda s: s == "[k] receive"),
    ("kernel: epoll_wait (where ddbcache sleeps)", lambda s: s == "[k] epoll_wait"),
    ("kernel: other", lambda s: "[k]" in s),
    ("malloc and free", lambda s: re.search(r"\b(malloc|_int_malloc|_int_free|cfree|free|aligned_alloc|"
                                            r"_mid_memalign|operator new|operator delete|tcache)", s)),
    ("memcpy, memcmp, memchr", lambda s: re.search(r"__mem|__str", s)),
    ("SHA-256 (libcrypto)", lambda s: "libcrypto" in s),
    ("CRC-32 (zlib)", lambda s: "libz" in s),
    ("JSON parse (simdjson)", lambda s: "simdjson" in s and "ddbcache" not in s),
    ("SigV4 (sigv4::)", lambda s: "sigv4::" in s),
    ("HTTP parse (Beast)", lambda s: "boost::beast" in s),
    ("ddbcache: http (pool, connection, watchdog)", lambda s: "ddbcache::http" in s),
    ("ddbcache: dynamodb (client, JSON in and out)", lambda s: "ddbcache::dynamodb" in s or "ddbcache::client" in s),
    ("ddbcache: completion glue (ddbcache::detail)", lambda s: "ddbcache::detail" in s),
    ("ddbcache: cache", lambda s: "ddbcache::" in s),
    ("Asio: coroutines, executors, reactor", lambda s: "boost::asio" in s or "co_spawn" in s),
    ("libstdc++ (strings, vectors)", lambda s: "std::" in s or "libstdc++" in s),
]


def start_server():
    state = BUILD / "profile-server"
    subprocess.run([sys.executable, ROOT / "tests/servers/local_servers.py", "start", state, "--only", "dynamodb-local"],
                   check=True, stdout=subprocess.DEVNULL)
    endpoint = dict(line.split() for line in open(state / "servers.txt"))["dynamodb-local"]
    return state, endpoint


def samples_by_group(endpoint, env, *extra):
    """perf's samples of one run, counted by group: the sampled function decides, and for the
    kernel, the system call on its stack."""
    data = BUILD / "perf.data"
    run = subprocess.run(["perf", "record", "-q", "-g", "-F", str(FREQUENCY), "-o", data, BENCH, "--endpoint", endpoint,
                          "--json", "--op", OP, "--concurrency", "1", "--connections", "1", "--keys", "10", "--ops",
                          str(OPS), *extra], env=env, check=True, capture_output=True, text=True)
    measured = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("{")))
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], check=True, capture_output=True,
                            text=True).stdout
    counts = {name: 0 for name, _ in GROUPS}
    counts["other"] = 0
    symbols = {}
    for sample in script.split("\n\n"):
        frames = [line.strip() for line in sample.strip().splitlines() if line.strip()]
        if not frames:
            continue
        # "ffffffff8a0c1d2e finish_task_switch.isra.0 ([kernel.kallsyms])"
        inner = frames[0].split(" ", 1)[1] if " " in frames[0] else frames[0]
        kernel = "[kernel.kallsyms]" in inner
        if kernel:
            calls = {"sendmsg": "send", "sendto": "send", "recvmsg": "receive", "recvfrom": "receive",
                     "epoll_wait": "epoll_wait"}
            call = next((calls[c] for f in frames for c in calls if c in f), "")
            described = f"[k] {call}"
        else:
            described = f"[.] {inner}"
        group = next((n for n, test in GROUPS if test(described)), "other")
        counts[group] += 1
        key = (group, re.sub(r"^\S+ ", "", described)[:90])
        symbols[key] = symbols.get(key, 0) + 1
    return counts, measured["cpu_us_per_op"], symbols


def main():
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDLOCALBENCH", AWS_SECRET_ACCESS_KEY="local-bench-secret",
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    state, endpoint = start_server()
    try:
        subprocess.run([BENCH, "--endpoint", endpoint, "--ops", "20000"], env=env, check=True, capture_output=True)
        for name, extra in (("ddbcache", ()), ("floor", ("--floor",))):
            counts, cpu_us, symbols = samples_by_group(endpoint, env, *extra)
            total = sum(counts.values())
            # The samples include start-up and perf's own cost; the load tool's getrusage figure
            # covers the measured operations only, so the shares are applied to it.
            print(f"{name}: {cpu_us:.1f} µs of CPU per {OP} (the load tool's figure, under perf), {total} samples")
            for group, n in sorted(counts.items(), key=lambda kv: -kv[1]):
                if n * 200 >= total:  # 0.5 % and more
                    print(f"  {100 * n / total:5.1f} %  {cpu_us * n / total:5.1f} µs  {group}")
                    if "--symbols" in sys.argv:  # the group's three most sampled functions
                        top = sorted(((c, sym) for (g, sym), c in symbols.items() if g == group), reverse=True)[:3]
                        for c, sym in top:
                            print(f"          {100 * c / total:4.1f} %  {sym}")
    finally:
        subprocess.run([sys.executable, ROOT / "tests/servers/local_servers.py", "stop", state], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
