#!/usr/bin/env python3
"""Slow and greedy clients against `allot serve` (bench/slow_clients/run.sh starts it).

Three phases, each bounded in time, loopback only:
  slow      N connections start a request and send one byte a second; meanwhile a good client
            opens a fresh connection every 100 ms and asks GET /healthz. Reports the good
            client's answers (200 / 429 / none) and latency, and how long the server held
            the slow connections.
  pipeline  P connections pipeline GET /readyz without reading a reply; a good keep-alive
            client measures its GET /healthz latency (p50, p99), before and during.
  churn     connections opened and closed as fast as one thread can (a third of them slow and
            abandoned) for D seconds; the server's RSS before and after.
Prints one JSON object.
"""
import argparse
import json
import multiprocessing
import os
import selectors
import socket
import statistics
import sys
import time


def connect(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    return s


def ask(port, target="/healthz", timeout=5.0):
    """One request on a fresh connection: (status or None, seconds)."""
    started = time.monotonic()
    try:
        s = connect(port)
        s.settimeout(timeout)
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        status = int(data.split(b" ")[1]) if data.startswith(b"HTTP/") else None
    except OSError:
        status = None
    return status, time.monotonic() - started


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """The server's user + system CPU time so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def slow_phase(port, n, seconds):
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000 + b"\r\n\r\n"
    conns = []
    opened_at = {}
    for _ in range(n):
        try:
            s = connect(port)
            s.setblocking(False)
            s.send(request[:1])
            conns.append(s)
            opened_at[s.fileno()] = time.monotonic()
        except OSError:
            break
    held = []
    good = {"200": 0, "429": 0, "other": 0}
    latency = []
    at = 1
    started = time.monotonic()
    next_byte = started
    while time.monotonic() - started < seconds:
        now = time.monotonic()
        if now >= next_byte:
            for s in list(conns):
                try:
                    s.send(request[at:at + 1])
                    if s.recv(1, socket.MSG_PEEK) == b"":
                        raise ConnectionResetError
                except BlockingIOError:
                    pass
                except OSError:
                    held.append(time.monotonic() - opened_at[s.fileno()])
                    conns.remove(s)
                    s.close()
            at = min(at + 1, len(request) - 5)
            next_byte = now + 1.0
        status, took = ask(port)
        key = str(status) if status in (200, 429) else "other"
        good[key] += 1
        if status == 200:
            latency.append(took)
        time.sleep(0.1)
    still_open = len(conns)
    for s in conns:
        s.close()
    return {
        "slow_connections": n,
        "seconds": seconds,
        "good_client": good,
        "good_latency_ms_p50": round(1000 * percentile(latency, 50), 2) if latency else None,
        "good_latency_ms_max": round(1000 * max(latency), 2) if latency else None,
        "slow_held_s_p50": round(statistics.median(held), 2) if held else None,
        "slow_held_s_max": round(max(held), 2) if held else None,
        "slow_still_open_at_end": still_open,
    }


def keepalive_latencies(port, seconds):
    """A keep-alive client's GET /healthz latencies; a refused or cut connection is counted
    in failures and replaced."""
    out = []
    failures = 0
    s = None
    end = time.monotonic() + seconds
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            if s is None:
                s = connect(port)
                s.settimeout(5)
            s.sendall(req)
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                chunk = s.recv(4096)
                if not chunk:
                    raise OSError("closed")
                data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                raise OSError("refused")
            out.append(time.monotonic() - t)
        except OSError:
            failures += 1
            if s is not None:
                s.close()
            s = None
        time.sleep(0.005)
    if s is not None:
        s.close()
    return out, failures


def measure_into(queue, port, seconds):
    queue.put(keepalive_latencies(port, seconds))


def pipeline_phase(port, n, seconds, pid):
    before, _ = keepalive_latencies(port, min(seconds, 3))
    rss_before = rss_kib(pid) if pid else None
    cpu_before = cpu_seconds(pid) if pid else None
    batch = b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n" * 256
    conns = []
    for _ in range(n):
        try:
            s = connect(port)
            s.setblocking(False)
            conns.append(s)
        except OSError:
            break
    sel = selectors.DefaultSelector()
    for s in conns:
        sel.register(s, selectors.EVENT_WRITE)
    cut = 0
    during = []
    end = time.monotonic() + seconds
    # The good client runs in its own process: not behind this one's GIL.
    queue = multiprocessing.Queue()
    measurer = multiprocessing.Process(target=measure_into, args=(queue, port, seconds))
    measurer.start()
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.05):
            try:
                key.fileobj.send(batch)
            except BlockingIOError:
                pass
            except OSError:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                cut += 1
    lat, failures = queue.get()
    measurer.join()
    result = {"lat": lat, "failures": failures}
    rss_during = rss_kib(pid) if pid else None
    cpu_during = round(cpu_seconds(pid) - cpu_before, 2) if pid else None
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    during = result.get("lat", [])
    return {
        "pipelining_connections": n,
        "seconds": seconds,
        "good_p50_ms_before": round(1000 * percentile(before, 50), 2) if before else None,
        "good_p99_ms_before": round(1000 * percentile(before, 99), 2) if before else None,
        "good_p50_ms_during": round(1000 * percentile(during, 50), 2) if during else None,
        "good_p99_ms_during": round(1000 * percentile(during, 99), 2) if during else None,
        "good_failed_requests": result.get("failures"),
        "pipeliners_cut_by_server": cut,
        "rss_kib_before": rss_before,
        "rss_kib_during": rss_during,
        "server_cpu_s_during": cpu_during,
    }


def churn_phase(port, seconds, pid):
    rss_before = rss_kib(pid) if pid else None
    end = time.monotonic() + seconds
    opened = 0
    abandoned = []
    # RSS once a minute (and at the start), so a long soak shows whether it levels off.
    samples = [(0, rss_before)]
    start = time.monotonic()
    next_sample = start + 60
    while time.monotonic() < end:
        if pid and time.monotonic() >= next_sample:
            samples.append((round(time.monotonic() - start), rss_kib(pid)))
            next_sample += 60
        try:
            s = connect(port)
            opened += 1
            if opened % 3 == 0:
                s.setblocking(False)
                s.send(b"GET /he")
                abandoned.append(s)
                if len(abandoned) > 200:
                    abandoned.pop(0).close()
            else:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                s.recv(4096)
                s.close()
        except OSError:
            pass
    for s in abandoned:
        s.close()
    time.sleep(1.5)
    return {
        "seconds": seconds,
        "connections_opened": opened,
        "rss_kib_before": rss_before,
        "rss_kib_after": rss_kib(pid) if pid else None,
        "rss_kib_samples": samples if pid else [],
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, default=0)
    p.add_argument("--slow", type=int, default=1100)
    p.add_argument("--slow-seconds", type=float, default=15)
    p.add_argument("--pipeline", type=int, default=300)
    p.add_argument("--pipeline-seconds", type=float, default=10)
    p.add_argument("--churn-seconds", type=float, default=20)
    a = p.parse_args()
    out = {}
    if a.slow > 0:
        out["slow"] = slow_phase(a.port, a.slow, a.slow_seconds)
        time.sleep(1)  # the server notices the closed slow connections
    if a.pipeline > 0:
        out["pipeline"] = pipeline_phase(a.port, a.pipeline, a.pipeline_seconds, a.pid)
    if a.churn_seconds > 0:
        out["churn"] = churn_phase(a.port, a.churn_seconds, a.pid)
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
