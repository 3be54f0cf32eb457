#!/usr/bin/env python3
"""Starts and stops the local DynamoDB servers the tests and examples talk to, and an HTTP proxy.

  local_servers.py start STATE_DIR [--port P] [--only NAME ...]
                                                       start, wait until each answers, write STATE_DIR/servers.txt
  local_servers.py stop STATE_DIR                      stop every server started into STATE_DIR (by process id)

servers.txt has one line per server: "<name> <endpoint URL>". Servers listen on free loopback ports,
or on --port P when one server is started (to restart it where a client expects it).
"tinyproxy" is Debian's HTTP proxy, asking for Basic credentials PROXY_USER:PROXY_PASSWORD and
logging every connection and request line to STATE_DIR/tinyproxy-access.log.
The servers themselves are installed by scripts/setup.sh under $DDBCACHE_CACHE_DIR (~/.cache/ddbcache).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CACHE_DIR = os.environ.get("DDBCACHE_CACHE_DIR", os.path.expanduser("~/.cache/ddbcache"))
DYNAMODB_LOCAL_DIR = os.path.join(CACHE_DIR, "ddblocal", "package", "emulator")
DYNALITE_CLI = os.path.join(CACHE_DIR, "dynalite", "node_modules", "dynalite", "cli.js")
READY_TIMEOUT_S = 90
PROXY_USER, PROXY_PASSWORD = "ddbcache-test", "proxy-secret-Zq7"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command_for(name, port, state_dir):
    if name == "dynamodb-local":
        return ["java", "-Xmx1g", "-Djava.library.path=DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
                "-inMemory", "-sharedDb", "-port", str(port), "-disableTelemetry"], DYNAMODB_LOCAL_DIR
    if name == "dynalite":
        return ["node", DYNALITE_CLI, "--host", "127.0.0.1", "--port", str(port),
                "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"], None
    if name == "tinyproxy":
        config = os.path.join(state_dir, "tinyproxy.conf")
        with open(config, "w") as f:
            f.write(f"Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 600\nMaxClients 200\n"
                    f"LogFile \"{os.path.join(state_dir, 'tinyproxy-access.log')}\"\nLogLevel Connect\n"
                    f"BasicAuth {PROXY_USER} {PROXY_PASSWORD}\nDisableViaHeader Yes\n")
        return ["tinyproxy", "-d", "-c", config], None
    raise SystemExit(f"local_servers: unknown server '{name}'")


def answers(name, url):
    """True once the server answers a ListTables call (unsigned: neither server verifies signatures),
    or for the proxy, any HTTP answer (407: it asks for credentials)."""
    if name == "tinyproxy":
        try:
            urllib.request.urlopen(url, timeout=2)
        except urllib.error.HTTPError:
            return True
        except Exception:
            return False
        return True
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=0",
    })
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except Exception:
        return False


def read_state(state_dir):
    path = os.path.join(state_dir, "pids.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_state(state_dir, pids, urls):
    with open(os.path.join(state_dir, "pids.json"), "w") as f:
        json.dump(pids, f)
    with open(os.path.join(state_dir, "servers.txt"), "w") as f:
        for name, url in urls.items():
            f.write(f"{name} {url}\n")


def stop(state_dir):
    for name, pid in read_state(state_dir).items():
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(50):
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for name in ("pids.json", "servers.txt"):
        try:
            os.remove(os.path.join(state_dir, name))
        except FileNotFoundError:
            pass


def start(state_dir, names, fixed_port=None):
    os.makedirs(state_dir, exist_ok=True)
    stop(state_dir)  # a previous run that died leaves nothing behind
    pids, urls, procs = {}, {}, {}
    for name in names:
        port = fixed_port or free_port()
        argv, cwd = command_for(name, port, state_dir)
        log = open(os.path.join(state_dir, f"{name}.log"), "w")
        procs[name] = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        pids[name] = procs[name].pid
        urls[name] = f"http://127.0.0.1:{port}"
        write_state(state_dir, pids, {})
    deadline = time.time() + READY_TIMEOUT_S
    for name, url in urls.items():
        while not answers(name, url):
            if procs[name].poll() is not None or time.time() > deadline:
                with open(os.path.join(state_dir, f"{name}.log")) as f:
                    tail = f.read()[-2000:]
                stop(state_dir)
                raise SystemExit(f"local_servers: {name} did not start at {url}; its log ends with:\n{tail}")
            time.sleep(0.2)
    write_state(state_dir, pids, urls)
    for name, url in urls.items():
        print(f"local_servers: {name} ready at {url} (pid {pids[name]})")


def main(argv):
    if len(argv) < 3 or argv[1] not in ("start", "stop"):
        raise SystemExit(__doc__)
    state_dir = os.path.abspath(argv[2])
    if argv[1] == "stop":
        stop(state_dir)
        return
    fixed_port = None
    if "--port" in argv:  # for restarting one server where a client expects it
        i = argv.index("--port")
        fixed_port = int(argv[i + 1])
        del argv[i:i + 2]
    names = argv[argv.index("--only") + 1:] if "--only" in argv else ["dynamodb-local", "dynalite", "tinyproxy"]
    if fixed_port and len(names) != 1:
        raise SystemExit("local_servers: --port needs exactly one server (--only NAME)")
    start(state_dir, names, fixed_port)


if __name__ == "__main__":
    main(sys.argv)
