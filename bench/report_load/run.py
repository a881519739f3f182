#!/usr/bin/env python3
"""Health-check latency of `allot serve` while its largest reports run.

Loads N usage records (default 1,000,000) into a fresh data directory, starts
the real server on it, runs the largest reports in a loop (the month's
chargeback by tenant, and the usage export page by page as jsonl) from one
client thread, and meanwhile probes GET /healthz from another, 20 times a
second. Prints the probe latencies (p50, p99, max) and the reports' times.

Fast path for the load: the records go straight into the journal's `usage`
table (the rows the server itself writes with each command, store/journal.h),
built from a template record the server wrote for a real lease.

  bench/report_load/run.py --allot build/allot [--records 1000000] [--seconds 60]
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import sqlite3
import statistics
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
      - {name_prefix: gpu-, count: 4, cpu: 64, memory: 512Gi, gpus: 8, gpu_mode: whole}
classes:
  - {name: default, value: 100}
tenants:
  - {name: org}
""" + "".join(f"  - {{name: team-{t}, parent: org}}\n" for t in range(20)) + """
currency: USD
prices:
  pools:
    gpu: {gpu: "3.60", cpu: "0", memory: "0"}
"""


def rfc3339(us):
    t = datetime.datetime.fromtimestamp(us / 1e6, tz=datetime.timezone.utc)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if us % 1_000_000:
        text += f".{us % 1_000_000:06d}"
    return text + "Z"


def start(allot, config, data, log):
    port_file = os.path.join(os.path.dirname(data), "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    proc = subprocess.Popen([allot, "serve", "--config", config, "--data", data, "--listen",
                             "127.0.0.1:0", "--port-file", port_file],
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(3000):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, int(open(port_file).read().strip())
        if proc.poll() is not None:
            sys.exit("the server exited; see its log")
        time.sleep(0.01)
    sys.exit("the server did not start")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)


def request(port, method, path, body=None, timeout=600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    headers = dict((k.lower(), v) for k, v in response.getheaders())
    conn.close()
    return response.status, data, headers


def load(db_path, template, records, now_us):
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA synchronous=OFF")
    seq = db.execute("SELECT max(seq) FROM commands").fetchone()[0] or 1
    month_start = int(datetime.datetime.fromtimestamp(now_us / 1e6, tz=datetime.timezone.utc)
                      .replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()) * 1_000_000
    span = max(now_us - month_start - 7_200_000_000, 1)
    rows = []
    for i in range(records):
        end = month_start + 3_600_000_000 + (span * i) // records
        start_us = end - 3_600_000_000
        tenant = f"org/team-{i % 20}"
        record = dict(template)
        record.update({"lease": 10_000_000 + i, "start_us": start_us, "end_us": end,
                       "start": rfc3339(start_us), "end": rfc3339(end), "tenant_path": tenant})
        rows.append((seq, 10_000_000 + i, tenant, end, json.dumps(record, separators=(",", ":"))))
        if len(rows) == 50_000:
            db.executemany("INSERT INTO usage(seq, lease, tenant, end_us, json) VALUES (?,?,?,?,?)", rows)
            rows = []
    if rows:
        db.executemany("INSERT INTO usage(seq, lease, tenant, end_us, json) VALUES (?,?,?,?,?)", rows)
    db.commit()
    db.close()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--allot", default="build/allot")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="allot-report-load-")
    try:
        config = os.path.join(work, "allot.yaml")
        with open(config, "w") as f:
            f.write(CONFIG)
        data = os.path.join(work, "data")
        log = open(os.path.join(work, "server.log"), "w")
        proc, port = start(args.allot, config, data, log)
        status, body, _ = request(port, "POST", "/v1/leases",
                                  json.dumps({"tenant": "org/team-0", "resources": {"gpu": 1}}))
        lease = json.loads(body)["id"]
        request(port, "POST", f"/v1/leases/{lease}/release")
        _, usage, _ = request(port, "GET", "/v1/usage?format=jsonl")
        template = json.loads(usage.splitlines()[0])
        stop(proc)
        t0 = time.time()
        load(os.path.join(data, "allot.db"), template, args.records, int(time.time() * 1e6))
        print(f"loaded {args.records} usage records in {time.time() - t0:.1f} s")

        proc, port = start(args.allot, config, data, log)
        stop_flag = threading.Event()
        reports = []

        def run_reports():
            while not stop_flag.is_set():
                t = time.time()
                status, body, _ = request(port, "GET", "/v1/reports/chargeback?by=tenant")
                assert status == 200, body[:200]
                reports.append(("chargeback", time.time() - t, json.loads(body)["records"]))
                if stop_flag.is_set():
                    break
                t = time.time()
                cursor, pages, lines = "", 0, 0
                while not stop_flag.is_set():
                    path = "/v1/usage?format=jsonl&limit=20000" + (f"&cursor={cursor}" if cursor else "")
                    status, body, headers = request(port, "GET", path)
                    assert status == 200, body[:200]
                    pages += 1
                    lines += body.count(b"\n")
                    cursor = headers.get("allot-next-cursor", "")
                    if not cursor:
                        reports.append(("usage export", time.time() - t, lines))
                        break

        probes = []

        def probe():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while not stop_flag.is_set():
                t = time.perf_counter()
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                probes.append((time.perf_counter() - t) * 1000)
                time.sleep(0.05)

        threads = [threading.Thread(target=run_reports), threading.Thread(target=probe)]
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop_flag.set()
        for thread in threads:
            thread.join()
        rss = open(f"/proc/{proc.pid}/status").read()
        peak = [line for line in rss.splitlines() if line.startswith("VmHWM")][0]
        stop(proc)
        print(f"/healthz while reports ran: {len(probes)} probes, p50 {statistics.median(probes):.2f} ms, "
              f"p99 {percentile(probes, 99):.2f} ms, max {max(probes):.2f} ms")
        for kind in ("chargeback", "usage export"):
            times = [r[1] for r in reports if r[0] == kind]
            rows = [r[2] for r in reports if r[0] == kind]
            if times:
                print(f"{kind}: {len(times)} runs, median {statistics.median(times):.2f} s, "
                      f"{rows[0]} records")
        print(f"server peak RSS: {peak.split(':')[1].strip()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
