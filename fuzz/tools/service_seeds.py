#!/usr/bin/env python3
"""Writes the seed corpus of service_fuzz (fuzz/corpus/service/): request
sequences encoded the way the target reads them with FuzzedDataProvider.

The provider reads integers and booleans from the input's end (last byte
first) and strings from its start (a string ends at a backslash followed by
another byte; a doubled backslash is one backslash). Keep METHODS, PATHS and
TYPES in the order of service_fuzz.cc's arrays.
"""
import os
import sys

METHODS = ["GET", "POST", "DELETE", "PUT"]
PATHS = ["/v1/leases", "/v1/leases/1", "/v1/leases/1/release", "/v1/leases/1/renew",
         "/v1/leases/2", "/v1/queue", "/v1/tenants", "/v1/budgets", "/v1/classes",
         "/v1/pools", "/v1/nodes", "/v1/nodes/", "/v1/reports/chargeback", "/v1/usage",
         "/v1/admin/reload", "/v1/admin/snapshot", "/v1/events", "/healthz", "/readyz",
         "/metrics", ""]
TYPES = ["application/json", "application/json; charset=utf-8", "text/yaml", ""]


class Encoder:
    def __init__(self):
        self.front = b""
        self.back = []  # bytes in the order they are read (from the end)

    def integer(self, value, low, high):
        span = high - low
        count = 0
        while count < 8 and (span >> (8 * count)) > 0:
            count += 1
        offset = value - low
        for i in reversed(range(count)):  # the first byte read is the most significant
            self.back.append((offset >> (8 * i)) & 0xFF)

    def boolean(self, value):
        self.back.append(1 if value else 0)

    def string(self, text):
        self.front += text.replace(b"\\", b"\\\\") + b"\\;"

    def data(self):
        return self.front + bytes(reversed(self.back))


def encode(requests):
    """requests: (method, path index, suffix, content type index, body, advance seconds)."""
    e = Encoder()
    e.integer(len(requests), 1, 4)
    for i, (method, path, suffix, ctype, body, advance) in enumerate(requests):
        e.boolean(True)
        e.integer(METHODS.index(method), 0, len(METHODS) - 1)
        e.integer(PATHS.index(path), 0, len(PATHS) - 1)
        e.string(suffix)
        e.boolean(True)
        e.integer(TYPES.index(ctype), 0, len(TYPES) - 1)
        e.integer(1, 0, 7)  # no authorization
        if i + 1 == len(requests):
            e.front += body
        else:
            e.string(body)
            e.boolean(advance is not None)
            if advance is not None:
                e.integer(advance, 0, 7200)
    return e.data()


JSON = "application/json"
LEASE = b'{"tenant":"acme/research","class":"batch","resources":{"gpu":2},"estimate":"1h","ttl":"10m"}'
SEEDS = {
    "create_release": [("POST", "/v1/leases", b"", JSON, LEASE, 60),
                       ("GET", "/v1/leases/1", b"", JSON, b"", None),
                       ("POST", "/v1/leases/1/release", b"", JSON,
                        b'{"usage":{"input_tokens":5,"output_tokens":3},"exit_code":0}', None)],
    "create_renew_list": [("POST", "/v1/leases", b"", JSON,
                           b'{"tenant":"acme/agents","class":"interactive","resources":{"gpu":0.5},'
                           b'"pool":"l4-spot","ttl":30,"labels":{"k":"v"},"idempotency_key":"x"}', 10),
                          ("POST", "/v1/leases/1/renew", b"", JSON, b"", 3600),
                          ("GET", "/v1/leases", b"?state=granted&tenant=acme&limit=5", JSON, b"", None)],
    "queue_wait": [("POST", "/v1/leases", b"", JSON,
                    b'{"tenant":"acme/research","members":3,"resources":{"gpu":8},"wait":5}', None),
                   ("GET", "/v1/queue", b"", JSON, b"", None),
                   ("DELETE", "/v1/leases/1", b"", JSON, b"", None)],
    "views": [("GET", "/v1/tenants", b"/acme/research", JSON, b"", None),
              ("GET", "/v1/nodes", b"?pool=h100-reserved", JSON, b"", None),
              ("GET", "/v1/budgets", b"", JSON, b"", None),
              ("GET", "/metrics", b"", JSON, b"", None)],
    "reports": [("POST", "/v1/leases", b"", JSON, LEASE, 7200),
                ("GET", "/v1/usage", b"?from=2026-11-20T00:00:00Z&to=2026-11-23T00:00:00Z&format=csv",
                 JSON, b"", None),
                ("GET", "/v1/reports/chargeback", b"?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
                 JSON, b"", None)],
    "node_state": [("POST", "/v1/nodes/", b"h100-0/state", JSON, b'{"state":"draining"}', 5),
                   ("GET", "/v1/classes", b"", JSON, b"", None),
                   ("GET", "/v1/pools", b"", JSON, b"", None)],
    "admin": [("POST", "/v1/admin/snapshot", b"", JSON, b"", None),
              ("POST", "/v1/admin/reload", b"", "text/yaml",
               b"pools:\n  - name: cpu\n    nodes:\n      - {name: c0, cpu: 8, memory: 16Gi}\n",
               None)],
    "escapes": [("GET", "/v1/leases", b"/%ff?wait=%ff", JSON, b"", None),
                ("POST", "/v1/leases", b"?x=%e2%82", "application/json; charset=utf-8",
                 b'{"tenant":"acme/research","labels":{"a":"\\u00ff"}}', None)],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "corpus", "service")
    os.makedirs(out, exist_ok=True)
    for name, requests in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(encode(requests))


if __name__ == "__main__":
    main()
