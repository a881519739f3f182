#!/usr/bin/env python3
"""Memory soak of `allot serve`: lease churn against the real server.

Starts the server on a fresh data directory, then for --minutes keeps
--clients connections each acquiring a lease and releasing it (every lease
ends: nothing accumulates in the cluster), with an events subscriber that
disconnects and resumes now and then, and samples the server's RSS every
--every seconds. Prints RSS against leases churned, so a plateau (or growth)
is visible.

  bench/soak/run.py --allot build/allot [--minutes 3] [--clients 4]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CONFIG = """
placement: best_fit
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    tier: on_demand
    nodes:
      - {name_prefix: gpu-, count: 16, cpu: 64, memory: 512Gi, gpus: 8, gpu_mode: whole}
classes:
  - {name: default, value: 100}
tenants:
  - {name: org}
  - {name: a, parent: org}
  - {name: b, parent: org}
currency: USD
prices:
  pools:
    gpu: {gpu: "3.60", cpu: "0", memory: "0"}
server:
  snapshot_every: 50000
"""


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--allot", default="build/allot")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--every", type=float, default=10)
    parser.add_argument("--journal-sync", default="normal")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="allot-soak-")
    proc = None
    try:
        config = os.path.join(work, "allot.yaml")
        open(config, "w").write(CONFIG)
        port_file = os.path.join(work, "port")
        log = open(os.path.join(work, "server.log"), "w")
        proc = subprocess.Popen([args.allot, "serve", "--config", config, "--data",
                                 os.path.join(work, "data"), "--listen", "127.0.0.1:0",
                                 "--port-file", port_file, "--journal-sync", args.journal_sync],
                                stdout=log, stderr=subprocess.STDOUT)
        for _ in range(3000):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if proc.poll() is not None:
                sys.exit("the server exited")
            time.sleep(0.01)
        port = int(open(port_file).read())
        stop = threading.Event()
        churned = [0] * args.clients
        errors = [0]

        def churn(index):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            body = json.dumps({"tenant": "org/a" if index % 2 else "org/b",
                               "resources": {"gpu": 1}, "labels": {"client": str(index)}})
            headers = {"Content-Type": "application/json"}
            while not stop.is_set():
                conn.request("POST", "/v1/leases", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 201:
                    errors[0] += 1
                    continue
                lease = json.loads(data)["id"]
                conn.request("POST", f"/v1/leases/{lease}/release")
                response = conn.getresponse()
                response.read()
                churned[index] += 1

        def events():
            last = ""
            while not stop.is_set():
                sock = socket.create_connection(("127.0.0.1", port))
                request = "GET /v1/events HTTP/1.1\r\nHost: x\r\n"
                if last:
                    request += f"Last-Event-ID: {last}\r\n"
                sock.sendall((request + "\r\n").encode())
                sock.settimeout(0.5)
                end = time.time() + 2
                text = b""
                while time.time() < end and not stop.is_set():
                    try:
                        chunk = sock.recv(65536)
                    except socket.timeout:
                        continue
                    if not chunk:
                        break
                    text = (text + chunk)[-4096:]
                sock.close()
                ids = [line for line in text.split(b"\n") if line.startswith(b"id: ")]
                if ids:
                    last = ids[-1][4:].decode()
                time.sleep(3)  # away: the backlog keeps what it publishes meanwhile

        threads = [threading.Thread(target=churn, args=(i,)) for i in range(args.clients)]
        threads.append(threading.Thread(target=events))
        for thread in threads:
            thread.start()
        start = time.time()
        print(f"{'seconds':>8} {'leases':>9} {'RSS MiB':>8}")
        print(f"{0:8.0f} {0:9d} {rss_kib(proc.pid) / 1024:8.1f}")
        while time.time() - start < args.minutes * 60:
            time.sleep(args.every)
            print(f"{time.time() - start:8.0f} {sum(churned):9d} {rss_kib(proc.pid) / 1024:8.1f}",
                  flush=True)
        stop.set()
        for thread in threads:
            thread.join()
        print(f"errors: {errors[0]}")
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
