"""``oss-img serve`` throughput on loopback: prints figures; run by hand, record results in
docs/PERFORMANCE.md.

    python bench/bench_server.py [--clients 8] [--requests 200] [--signed] [--workers 2]
                                 [--https]

Starts a server on a free port over a temporary root holding the SDK's example.jpg
(400x267) and a 12MP photo-like JPEG, then for each scenario runs ``--clients`` threads
with keep-alive sessions, ``--requests`` requests each, and prints requests/s with the
median and 95th-percentile latency. ``--signed`` runs the server private and signs every
request with a V4 presigned URL (measures the verifier too). ``--workers N``: image work
in N worker processes (0: in the server process, no isolation). Anonymous runs also time
``sys/saveas`` (POST ?x-oss-process) and a PUT with an upload callback to a loopback
callback server. ``--https``: the server speaks TLS (a self-signed certificate made for
the run; keep-alive sessions, so the figures are the record layer's cost more than the
handshakes').
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.oss.credentials import Credentials  # noqa: E402
from core.serve.runner import serve  # noqa: E402
from core.serve.tls import self_signed_cert  # noqa: E402
from core.oss.signing import presign  # noqa: E402
from core.oss.urls import BucketAddress  # noqa: E402
from bench_core import EXAMPLE, photo_like  # noqa: E402  (same folder, run as a script)

BUCKET = "bench"
CREDS = Credentials("LTAI5tBenchKey000001", "BenchSecret000001")


def run(name: str, clients: int, per_client: int, make_request) -> None:
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)

    def worker(n: int) -> None:
        session = requests.Session()
        mine = []
        barrier.wait()
        for i in range(per_client):
            t0 = time.perf_counter()
            r = make_request(session, n, i)
            mine.append(time.perf_counter() - t0)
            if r.status_code not in (200, 204):
                errors.append(f"{r.status_code} {r.text[:120]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"| {name} | {len(latencies) / elapsed:,.0f} | {statistics.median(latencies) * 1000:.1f}"
          f" | {p95 * 1000:.1f} |" + (f" {len(errors)} errors: {errors[0]}" if errors else ""))


class _CallbackHandler(BaseHTTPRequestHandler):
    """A callback server that answers every POST with a small JSON body."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def b64(text: str, urlsafe: bool = False) -> str:
    raw = text.encode("utf-8")
    return (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--signed", action="store_true")
    parser.add_argument("--workers", type=int, default=1,
                        help="image worker processes (0 = in-process)")
    parser.add_argument("--https", action="store_true", help="serve over TLS")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / BUCKET).mkdir()
        (root / BUCKET / "example.jpg").write_bytes(EXAMPLE.read_bytes())
        (root / BUCKET / "big.jpg").write_bytes(photo_like(4000, 3000))
        acl = "private" if args.signed else "public-read-write"
        tls = {}
        if args.https:
            (root / ".certs").mkdir()
            cert, key = self_signed_cert(root / ".certs")
            tls = {"certfile": cert, "keyfile": key}
            os.environ["REQUESTS_CA_BUNDLE"] = str(cert)     # the client sessions trust it
        server = serve(root, "127.0.0.1", 0, acl, (CREDS,), workers=args.workers, **tls)
        server.start()
        address = BucketAddress.from_endpoint(server.url, BUCKET)
        payload = b"x" * 10_000

        def url(key: str, process: str | None = None, method: str = "GET") -> str:
            if args.signed:
                return presign(address, key, CREDS, process=process, method=method,
                               region="cn-hangzhou").url
            base = address.url(key)
            return base + (f"?x-oss-process={process}" if process else "")

        per = args.requests
        # start the image workers (spawned on first use) outside the measurements
        for _ in range(2 * max(1, args.workers)):
            requests.get(url("example.jpg", "image/resize,w_10"))
        print(f"{args.clients} clients x {per} requests, "
              f"{'signed (V4 URL)' if args.signed else 'anonymous'}, workers {args.workers}"
              f"{', HTTPS' if args.https else ''}")
        print("| scenario | req/s | p50 ms | p95 ms |\n|---|---:|---:|---:|")
        run("GET raw 21 KB", args.clients, per, lambda s, n, i: s.get(url("example.jpg")))
        # The engine caches decoded sources and results by cascade prefix (8 entries):
        # the same URL again costs only the encode; a new width costs resize + encode.
        run("GET 400x267 `resize,w_100`, same URL (cached result, encode only)",
            args.clients, per, lambda s, n, i: s.get(url("example.jpg", "image/resize,w_100")))
        run("GET 400x267 `resize,w_<new each time>` (cached decode)", args.clients, per,
            lambda s, n, i: s.get(url("example.jpg", f"image/resize,w_{50 + (n * per + i) % 300}")))
        run("GET 12MP `resize,w_<new each time>` (cached 1/4 draft decode)", args.clients,
            max(1, per // 4), lambda s, n, i: s.get(url(
                "big.jpg", f"image/resize,w_{300 + (n * per + i) % 200}")))
        run("PUT 10 KB", args.clients, per,
            lambda s, n, i: s.put(url(f"put/{n}/{i % 20}", method="PUT"), data=payload))
        if not args.signed:
            run("POST 400x267 `resize,w_<new>` + `sys/saveas` (process + atomic write)",
                args.clients, per, lambda s, n, i: s.post(
                    url("example.jpg") + "?x-oss-process",
                    data=f"x-oss-process=image/resize,w_{50 + (n * per + i) % 300}|sys/saveas,"
                         f"o_{b64(f'saved/{n}/{i % 20}.jpg', True)}"))
            hook = ThreadingHTTPServer(("127.0.0.1", 0), _CallbackHandler)
            threading.Thread(target=hook.serve_forever, daemon=True).start()
            callback = b64(json.dumps({"callbackUrl": f"http://127.0.0.1:{hook.server_port}/",
                                       "callbackBody": "o=${object}&s=${size}"}))
            run("PUT 10 KB + upload callback (loopback callback server)", args.clients, per,
                lambda s, n, i: s.put(url(f"cb/{n}/{i % 20}", method="PUT"), data=payload,
                                      headers={"x-oss-callback": callback}))
            hook.shutdown()
        run("ListObjects (160 keys)", args.clients, max(1, per // 4),
            lambda s, n, i: s.get(url("") if not args.signed else
                                  presign(address, None, CREDS, region="cn-hangzhou").url))
        server.stop()


if __name__ == "__main__":
    main()
