#!/usr/bin/python3
"""The Python side of the cachelib compatibility test: writes items the way cachelib's
DynamoDbCache does (boto3, the standard pickle module) and reads the items ddbcache wrote the way
cachelib reads them. Needs Debian's python3-boto3 (run with /usr/bin/python3).

  cachelib_peer.py write ENDPOINT TABLE    store the py-* entries
  cachelib_peer.py check ENDPOINT TABLE    read the cpp-* entries; exit 1 with a message on a mismatch
  cachelib_peer.py bench ENDPOINT TABLE get|set N [CONCURRENCY]
      N gets or sets of 100-byte values, as cachelib does them, one at a time or from CONCURRENCY
      threads (each with its own boto3 session: boto3's resources are not thread-safe); prints one
      JSON object with the client CPU per operation (user + sys, getrusage) and ops/s, for
      docs/PERFORMANCE.md
"""
import datetime
import itertools
import json
import pickle
import resource
import sys
import threading
import time

import boto3

KEY_FIELD, EXPIRATION_FIELD = "cache_key", "expiration_time"


def table(endpoint, name):
    dynamo = boto3.session.Session().resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                                              aws_access_key_id="AKIDLOCALTEST",
                                              aws_secret_access_key="local-test-secret")
    return dynamo.Table(name)


def dumps(value):
    # cachelib's RedisSerializer.dumps, which DynamoDbSerializer inherits.
    return b"!" + pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def loads(binary):
    # cachelib's DynamoDbSerializer.loads: '!' + pickle, else an int, else the bytes as they are.
    value = binary.value
    if value.startswith(b"!"):
        return pickle.loads(value[1:])
    try:
        return int(value)
    except ValueError:
        return value


def put_like_cachelib(t, key, value, timeout=300):
    now = datetime.datetime.now(datetime.timezone.utc)
    item = {KEY_FIELD: key, "created_at": now.isoformat(), "response": dumps(value)}
    if timeout > 0:
        item[EXPIRATION_FIELD] = int((now + datetime.timedelta(seconds=timeout)).timestamp())
    t.put_item(Item=item)


class Unsupported:
    pass


PY_VALUES = {
    "py-str": "h\u00e9llo \u20ac",
    "py-bytes": b"\x00\xff\xfe raw",
    "py-empty-bytes": b"",
    "py-int": -42,
    "py-big-int": 2**70,
    "py-float": 1.5,
    "py-true": True,
    "py-none": None,
    "py-dict": {"a": 1},
}


def get_like_cachelib(t, key):
    item = t.get_item(Key={KEY_FIELD: key}).get("Item")
    if item is None:
        return "<absent>"
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    if item.get(EXPIRATION_FIELD, now + 100) <= now:
        return "<expired>"
    return item


def check(t):
    expected = {  # what ddbcache stored (see cache_compat_test.cpp) -> what cachelib must read
        "cpp-text": "h\u00e9llo".encode(),
        "cpp-binary": b"\x00\xff\x80 not utf-8",
        "cpp-empty": b"",
        "cpp-counter": -5,
        "cpp-computed": b"computed",  # stored by get_or_set
        "cpp-no-value": None,         # get_or_set's negative entry: cachelib reads None
    }
    failures = []
    for key, want in expected.items():
        item = get_like_cachelib(t, key)
        if isinstance(item, str):
            failures.append(f"{key}: {item}")
            continue
        got = loads(item["response"])
        if got != want or type(got) is not type(want):
            failures.append(f"{key}: cachelib read {got!r}, expected {want!r}")
        if key == "cpp-binary" and item["response"].value != dumps(want):
            failures.append(f"{key}: bytes differ from CPython's pickle: {item['response'].value!r}")
        created = datetime.datetime.fromisoformat(item["created_at"])
        if created.tzinfo is None or abs((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()) > 600:
            failures.append(f"{key}: created_at {item['created_at']!r} is not a recent aware UTC time")
        if int(item[EXPIRATION_FIELD]) - int(created.timestamp()) not in (299, 300):
            failures.append(f"{key}: expiration_time {item[EXPIRATION_FIELD]} is not created_at + 300 s")
    if failures:
        raise SystemExit("cachelib_peer: " + "; ".join(failures))
    print("cachelib_peer: every ddbcache entry read back as cachelib expects")


def bench(endpoint, name, op, n, concurrency):
    tables = [table(endpoint, name) for _ in range(concurrency)]
    value = b"x" * 100
    keys = [f"bench-py-{i}" for i in range(1000)]
    for key in keys:
        put_like_cachelib(tables[0], key, value)
    claimed, wrong = itertools.count(), []  # next() on a count is atomic under the GIL

    def loop(t):
        while (i := next(claimed)) < n:
            if op == "set":
                put_like_cachelib(t, keys[i % len(keys)], value)
            elif loads(get_like_cachelib(t, keys[i % len(keys)])["response"]) != value:
                wrong.append(keys[i % len(keys)])

    before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    if concurrency == 1:
        loop(tables[0])
    else:
        threads = [threading.Thread(target=loop, args=(t,)) for t in tables]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    after, elapsed = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - started
    if wrong:
        raise SystemExit(f"cachelib_peer: wrong value read for {wrong[0]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"op": op, "ops": n, "cpu_us_per_op": round(cpu * 1e6 / n, 2), "ops_per_s": round(n / elapsed, 1)}))


def main(argv):
    if len(argv) in (6, 7) and argv[1] == "bench":
        bench(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]) if len(argv) == 7 else 1)
        return
    if len(argv) != 4 or argv[1] not in ("write", "check"):
        raise SystemExit(__doc__)
    t = table(argv[2], argv[3])
    if argv[1] == "write":
        for key, value in PY_VALUES.items():
            put_like_cachelib(t, key, value)
        print(f"cachelib_peer: wrote {len(PY_VALUES)} entries")
    else:
        check(t)


if __name__ == "__main__":
    main(sys.argv)
