"""The service's settings and small shared rules (core/serve/config.py).

- ServiceConfig refuses each setting outside what ``oss-img serve --help`` documents, on
  both sides of each limit (workers >= 0, threads >= 1, worker memory >= 64 MB,
  restore time 0 s to one year, separators among ``-_/!``, a non-empty region, a
  callback key only with the URL of its public half), naming the setting (``key``).
- Content-Type by extension: the IANA types (image/jpeg for .jpg and .jpeg, image/tiff
  for .tif, text/plain, application/json ...), case-insensitive, octet-stream otherwise.
- Secrets never reach a log line: every signature, token and key-id query value is
  replaced (Signature, x-oss-signature, security-token, x-oss-security-token,
  OSSAccessKeyId, x-oss-credential), whatever its case or position.
- Numbers in headers and queries: ASCII digits only, at most 18 (no '²', no sign).
- Times: RFC 1123 GMT for HTTP headers, ISO 8601 with milliseconds and Z for XML.
"""
from __future__ import annotations

import pytest

from core.errors import OssError
from core.serve.config import (ServiceConfig, content_type_for, entity_too_large,
                               http_date, iso_time, new_request_id, quoted_etag, redact,
                               small_int, timeout_error)


@pytest.mark.parametrize("kwargs, key", [
    ({"acl": "public"}, "acl"),
    ({"acl": "private"}, "credentials"),
    ({"separators": "-#"}, "separators"),
    ({"region": ""}, "region"),
    ({"region": "  "}, "region"),
    ({"workers": -1}, "workers"),
    ({"threads": 0}, "workers"),
    ({"worker_memory_mb": 63}, "workers"),
    ({"restore_seconds": -0.5}, "restore_seconds"),
    ({"restore_seconds": 365 * 86400 + 1}, "restore_seconds"),
    ({"callback_pub_key_url": "http://127.0.0.1/pub.pem"}, "callback_key"),
])
def test_settings_outside_the_documented_range_are_refused(tmp_path, kwargs, key):
    with pytest.raises(OssError) as e:
        ServiceConfig(tmp_path, **kwargs)
    assert e.value.key == key
    assert e.value.code in ("InvalidArgument", "MissingArgument")


def test_settings_at_the_limits_are_accepted(tmp_path):
    cfg = ServiceConfig(tmp_path, workers=0, threads=1, worker_memory_mb=64,
                        restore_seconds=365 * 86400, separators="", region="x")
    assert (cfg.workers, cfg.threads, cfg.worker_memory_mb) == (0, 1, 64)
    assert ServiceConfig(tmp_path, restore_seconds=0).restore_seconds == 0
    assert ServiceConfig(tmp_path, separators="!/_-").separators == "!/_-"


def test_root_must_be_a_folder(tmp_path):
    with pytest.raises(OssError) as e:
        ServiceConfig(tmp_path / "missing")
    assert (e.value.code, e.value.key) == ("InvalidArgument", "root")
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(OssError) as e:
        ServiceConfig(tmp_path / "file")
    assert e.value.key == "root"


def test_settings_are_normalised(tmp_path):
    cfg = ServiceConfig(tmp_path / "." , domain=" .Img.Example.COM. ",
                        callback_hosts=" a.example , ,*.b ")
    assert cfg.root == tmp_path.resolve()
    assert cfg.domain == "img.example.com"
    assert cfg.callback_hosts == ("a.example", "*.b")
    assert ServiceConfig(tmp_path, callback_hosts=("x", " ", " y ")).callback_hosts == (
        "x", "y")
    from core.oss.credentials import Credentials
    one = Credentials("LTAI5tConfigKey00001", "secret")
    assert ServiceConfig(tmp_path, acl="private", credentials=one).credentials == (one,)


def test_the_documented_defaults(tmp_path):
    cfg = ServiceConfig(tmp_path)
    assert (cfg.acl, cfg.region, cfg.domain, cfg.separators) == (
        "public-read", "cn-hangzhou", "localhost", "-_/!")
    assert cfg.max_body_bytes == 20 * 1024 * 1024
    assert (cfg.process_timeout, cfg.workers, cfg.threads, cfg.max_connections) == (
        30.0, 0, 16, 1000)
    assert (cfg.max_concurrent_processing, cfg.worker_memory_mb) == (12, 2048)
    assert (cfg.restore_seconds, cfg.callback_hosts, cfg.credentials) == (
        60.0, ("loopback",), ())


@pytest.mark.parametrize("key, expected", [
    ("a.jpg", "image/jpeg"), ("a.JPEG", "image/jpeg"), ("a.png", "image/png"),
    ("a.webp", "image/webp"), ("a.gif", "image/gif"), ("a.bmp", "image/bmp"),
    ("a.tif", "image/tiff"), ("a.tiff", "image/tiff"), ("a.heic", "image/heic"),
    ("a.heif", "image/heic"), ("a.avif", "image/avif"),
    ("notes.txt", "text/plain"), ("d/x.JSON", "application/json"), ("p.html", "text/html"),
    ("a.css", "text/css"), ("x.pdf", "application/pdf"),
    ("no-extension", "application/octet-stream"), ("a.unknownext", "application/octet-stream"),
    ("dir.d/file", "application/octet-stream"),
])
def test_content_type_by_extension(key, expected):
    assert content_type_for(key) == expected


@pytest.mark.parametrize("text, expected", [
    ("/b/k?Signature=abc&x=1", "/b/k?Signature=***&x=1"),
    ("/b/k?x=1&signature=abc", "/b/k?x=1&signature=***"),
    ("/b/k?x-oss-signature=abc", "/b/k?x-oss-signature=***"),
    ("/b/k?security-token=CAIS%2Bt&y", "/b/k?security-token=***&y"),
    ("/b/k?x-oss-security-token=CAIS", "/b/k?x-oss-security-token=***"),
    ("/b/k?OSSAccessKeyId=LTAI5t&Expires=1", "/b/k?OSSAccessKeyId=***&Expires=1"),
    ("/b/k?x-oss-credential=LTAI5t%2F2023", "/b/k?x-oss-credential=***"),
    ("GET 'x-oss-signature=abc' done", "GET 'x-oss-signature=***' done"),
    ("/b/k?MySignature=abc", "/b/k?MySignature=abc"),          # another name: kept
    ("/b/k?x-oss-process=image/resize,w_1", "/b/k?x-oss-process=image/resize,w_1"),
])
def test_redact_hides_every_secret_value(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("raw, expected", [
    (None, None), ("0", 0), (" 42 ", 42), ("9" * 18, int("9" * 18)),
])
def test_small_int_accepts_ascii_digits(raw, expected):
    assert small_int(raw, "Content-Length") == expected


@pytest.mark.parametrize("raw", ["", " ", "-1", "+1", "1.0", "1e3", "²", "١٢", "9" * 19,
                                 "0x10"])
def test_small_int_refuses_everything_else(raw):
    with pytest.raises(OssError) as e:
        small_int(raw, "Content-Length")
    assert (e.value.code, e.value.status) == ("InvalidArgument", 400)
    assert e.value.details["ArgumentName"] == "Content-Length"


def test_small_int_digit_limit_is_configurable():
    assert small_int("123456", "max-keys", digits=6) == 123456
    with pytest.raises(OssError):
        small_int("1234567", "max-keys", digits=6)


def test_time_formats():
    assert http_date(1_700_000_000.9) == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert iso_time(1_700_000_000.9) == "2023-11-14T22:13:20.000Z"
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_small_helpers():
    assert quoted_etag("d41d8cd98f00b204e9800998ecf8427e") == \
        '"D41D8CD98F00B204E9800998ECF8427E"'
    rid = new_request_id()
    assert len(rid) == 24 and rid == rid.upper() and int(rid, 16) >= 0
    assert new_request_id() != rid
    err = entity_too_large(1048576)
    assert (err.code, err.status, err.details["MaxSizeAllowed"]) == (
        "EntityTooLarge", 400, "1048576")
    err = timeout_error(7.5)
    assert (err.code, err.status) == ("RequestTimeout", 400) and "7.5" in err.message


def test_default_workers_is_the_cpu_count_and_at_least_one(monkeypatch):
    import os
    from core.serve.config import default_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert default_workers() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)     # unknown: one worker
    assert default_workers() == 1
