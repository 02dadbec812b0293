"""oss-img batch over oss://bucket/prefix and over a list of URLs, against the local
OSS service on loopback (signed V4 requests, ListObjectsV2 paging)."""
from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image

from core.cli import main as cli_main
from core.oss.client import OssClient
from core.oss.credentials import Credentials
from core.oss.urls import BucketAddress
from tests.helpers import running_server

from .batch_fixtures import make_sources

CREDS = Credentials("LTAI5tBatchTestKey0001", "Batch+Secret/For=Tests01")


def running(root, acl):
    return running_server(root, acl, (CREDS,))


@pytest.fixture
def bucket_root(tmp_path):
    root = tmp_path / "root"
    src = make_sources(tmp_path)
    bucket = root / "bkt" / "photos"
    bucket.mkdir(parents=True)
    for p in src.rglob("*"):
        if p.is_file():
            target = bucket / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(p.read_bytes())
    (root / "bkt" / "other.jpg").write_bytes((src / "good.jpg").read_bytes())
    return root


def test_list_objects_pages_through_the_prefix(bucket_root):
    with running(bucket_root, "private") as server:
        address = BucketAddress.from_endpoint(f"127.0.0.1:{server.port}", "bkt",
                                              path_style=True)
        with OssClient(address, CREDS, region="cn-hangzhou") as client:
            keys = list(client.list_objects("photos/", page_size=2))
    assert keys == ["photos/anim.gif", "photos/corrupt.jpg", "photos/empty.png",
                    "photos/good.jpg", "photos/huge.png", "photos/nested/alpha.png"]


def test_batch_over_an_oss_prefix_with_env_credentials(bucket_root, tmp_path, capsys,
                                                       monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", CREDS.access_key_id)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", CREDS.access_key_secret)
    out = tmp_path / "out"
    with running(bucket_root, "private") as server:
        status = cli_main(["batch", "oss://bkt/photos/", "image/resize,w_100", "-o", str(out),
                           "--endpoint", f"127.0.0.1:{server.port}", "--path-style",
                           "--region", "cn-hangzhou", "--workers", "1"])
    assert status == 3
    summary = json.loads(capsys.readouterr().out)
    assert (summary["count"], summary["ok"], summary["failed"]) == (6, 3, 3)
    recs = {r["source"]: r for r in map(json.loads,
                                        (out / "manifest.jsonl").read_text().splitlines())}
    assert sorted(recs) == ["anim.gif", "corrupt.jpg", "empty.png", "good.jpg", "huge.png",
                            "nested/alpha.png"]
    good = recs["good.jpg"]
    assert good["ref"] == "photos/good.jpg"
    data = (bucket_root / "bkt" / "photos" / "good.jpg").read_bytes()
    assert good["source_sha256"] == hashlib.sha256(data).hexdigest()
    assert (good["output_width"], good["output_height"]) == (100, 75)
    with Image.open(out / "nested" / "alpha.png") as im:
        assert im.size == (100, 50)
    # No secret in anything the run wrote.
    for p in out.rglob("*"):
        if p.is_file():
            assert CREDS.access_key_secret.encode() not in p.read_bytes()


def test_batch_over_a_list_of_urls(bucket_root, tmp_path, capsys):
    out = tmp_path / "out"
    listing = tmp_path / "urls.txt"
    with running(bucket_root, "public-read") as server:
        base = f"http://127.0.0.1:{server.port}/bkt"
        listing.write_text(f"{base}/photos/good.jpg\n{base}/photos/missing.jpg\n")
        status = cli_main(["batch", str(listing), "image/resize,w_50", "-o", str(out),
                           "--workers", "1"])
    assert status == 3
    capsys.readouterr()
    recs = {r["source"]: r for r in map(json.loads,
                                        (out / "manifest.jsonl").read_text().splitlines())}
    host = f"127.0.0.1:{server.port}"
    assert sorted(recs) == [f"{host}/bkt/photos/good.jpg", f"{host}/bkt/photos/missing.jpg"]
    assert recs[f"{host}/bkt/photos/good.jpg"]["output_width"] == 50
    assert recs[f"{host}/bkt/photos/missing.jpg"]["error"]["code"] == "NoSuchKey"
