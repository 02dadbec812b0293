"""A bounded load test on loopback: 8 clients x 50 mixed requests, started together.

Every answer must be a correct one (no 5xx, no errors beyond the 404s a concurrent
DELETE explains), and afterwards every stored object must be byte-identical to one
complete version that some client wrote: no lost, torn or mixed writes, no temporary
files left behind. Deterministic mix (seeded per client); no sleeps, no timing asserts.
"""
from __future__ import annotations

import hashlib
import random
import threading
import xml.etree.ElementTree as ET

import pytest
import requests
from PIL import Image

from core.serve.config import TMP_PREFIX
from core.serve.runner import serve
from tests.helpers import decode, encode, quadrants

CLIENTS = 8
REQUESTS_PER_CLIENT = 50
BUCKET = "load"
RAW_KEYS = [f"raw/k{i}.bin" for i in range(4)]
IMG_KEYS = ["img/p0.png", "img/p1.png"]


class Ledger:
    """Every version any client has started to write (md5 -> size), thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.versions: dict[str, int] = {}

    def add(self, payload: bytes) -> str:
        digest = hashlib.md5(payload).hexdigest().upper()
        with self._lock:
            self.versions[digest] = len(payload)
        return digest

    def knows(self, digest: str) -> bool:
        with self._lock:
            return digest in self.versions


def payload(rng: random.Random, tag: str) -> bytes:
    # Sizes straddle the 64 KiB write chunk, so a torn write would show as a mixed file.
    size = rng.choice([100, 5_000, 70_000, 200_000])
    return (tag.encode() + b"|" + rng.randbytes(size))


def image(rng: random.Random) -> bytes:
    color = tuple(rng.randrange(256) for _ in range(3))
    im = quadrants(64, 48)
    im.paste(color, (0, 0, 8, 8))
    return encode(im)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "root"
    (root / BUCKET).mkdir(parents=True)
    srv = serve(root, "127.0.0.1", 0, "public-read-write", max_concurrent_processing=4)
    srv.start()
    yield srv, root
    srv.stop()


def test_concurrent_mixed_requests(server):
    srv, root = server
    base = f"{srv.url}/{BUCKET}"
    ledger = Ledger()
    seed = requests.Session()
    rng0 = random.Random(0)
    for key in RAW_KEYS:
        data = payload(rng0, f"seed:{key}")
        ledger.add(data)
        assert seed.put(f"{base}/{key}", data=data).status_code == 200
    for key in IMG_KEYS:
        data = image(rng0)
        ledger.add(data)
        assert seed.put(f"{base}/{key}", data=data).status_code == 200

    errors: list[str] = []
    counts: dict[str, int] = {}
    counts_lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def check(cond: bool, what: str) -> None:
        if not cond:
            errors.append(what)

    def client(n: int) -> None:
        rng = random.Random(1000 + n)
        s = requests.Session()
        start.wait()
        for i in range(REQUESTS_PER_CLIENT):
            op = rng.choices(["put", "get", "put_img", "process", "head", "list", "delete"],
                             weights=[25, 25, 10, 15, 10, 10, 5])[0]
            with counts_lock:
                counts[op] = counts.get(op, 0) + 1
            try:
                if op == "put":
                    key = rng.choice(RAW_KEYS)
                    data = payload(rng, f"{n}:{i}")
                    digest = ledger.add(data)
                    r = s.put(f"{base}/{key}", data=data, timeout=60)
                    check(r.status_code == 200, f"put {key}: {r.status_code} {r.text[:200]}")
                    check(r.headers.get("ETag") == f'"{digest}"', f"put {key}: etag")
                elif op == "put_img":
                    key = rng.choice(IMG_KEYS)
                    data = image(rng)
                    ledger.add(data)
                    r = s.put(f"{base}/{key}", data=data, timeout=60)
                    check(r.status_code == 200, f"put {key}: {r.status_code}")
                elif op == "get":
                    key = rng.choice(RAW_KEYS)
                    r = s.get(f"{base}/{key}", timeout=60)
                    if r.status_code == 404:
                        check(b"NoSuchKey" in r.content, f"get {key}: 404 without NoSuchKey")
                        continue
                    check(r.status_code == 200, f"get {key}: {r.status_code}")
                    digest = hashlib.md5(r.content).hexdigest().upper()
                    check(ledger.knows(digest), f"get {key}: bytes of no written version")
                    check(r.headers.get("ETag") == f'"{digest}"', f"get {key}: etag != body")
                elif op == "process":
                    key = rng.choice(IMG_KEYS)
                    r = s.get(f"{base}/{key}", params={"x-oss-process": "image/resize,w_32"},
                              timeout=60)
                    check(r.status_code == 200, f"process {key}: {r.status_code} {r.text[:200]}")
                    if r.status_code == 200:
                        check(decode(r.content).size == (32, 24), f"process {key}: size")
                elif op == "head":
                    key = rng.choice(RAW_KEYS + IMG_KEYS)
                    r = s.head(f"{base}/{key}", timeout=60)
                    check(r.status_code in (200, 404), f"head {key}: {r.status_code}")
                    if r.status_code == 200:
                        check(ledger.knows(r.headers["ETag"].strip('"')), f"head {key}: etag")
                elif op == "list":
                    r = s.get(f"{base}/", params={"prefix": "raw/"}, timeout=60)
                    check(r.status_code == 200, f"list: {r.status_code}")
                    for c in ET.fromstring(r.content).findall("Contents"):
                        check(c.find("Key").text in RAW_KEYS, "list: unexpected key")
                        check(ledger.knows(c.find("ETag").text.strip('"')), "list: etag")
                elif op == "delete":
                    key = rng.choice(RAW_KEYS)
                    r = s.delete(f"{base}/{key}", timeout=60)
                    check(r.status_code == 204, f"delete {key}: {r.status_code}")
            except Exception as e:  # noqa: BLE001 - reported below, with the others
                errors.append(f"client {n} request {i} ({op}): {e!r}")
        s.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client never finished"
    assert errors == []
    assert sum(counts.values()) == CLIENTS * REQUESTS_PER_CLIENT
    assert counts.get("put", 0) > 50 and counts.get("process", 0) > 20

    # Every object left is one complete version; the listing agrees with the disk.
    stored = {p.relative_to(root / BUCKET).as_posix(): p.read_bytes()
              for p in (root / BUCKET).rglob("*") if p.is_file()}
    assert not [k for k in stored if TMP_PREFIX in k]
    for key, data in stored.items():
        assert ledger.knows(hashlib.md5(data).hexdigest().upper()), key
    for key in IMG_KEYS:
        Image.open(root / BUCKET / key).verify()
    listing = ET.fromstring(seed.get(f"{base}/").content)
    assert sorted(c.find("Key").text for c in listing.findall("Contents")) == sorted(stored)
