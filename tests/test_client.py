"""The client against a real HTTP server on loopback.

The server is a minimal OSS stand-in: it verifies every request's signature with
``core.oss.verify.verify_request`` (itself checked against the official SDKs in
test_signing.py), records method, path, query, headers and body for the tests to assert,
and answers errors in the OSS shape (XML body, or the base64 ``x-oss-err`` header for HEAD).
"""
from __future__ import annotations

import base64
import hashlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest
import requests
import urllib3

from core.oss.client import (DEFAULT_TIMEOUT, OssClient, OssNetworkError, OssServiceError,
                         parse_error)
from core.oss.credentials import Credentials, static_lookup
from core.errors import OssError
from core.oss import verify
from core.oss.urls import BucketAddress, parse_query

NOW = 1700000000.0
BUCKET = "example-bucket"
REGION = "cn-hangzhou"
PLAIN = Credentials("LTAI5tClientTest0001", "ClientSecret+/=0123456789abc")
STS = Credentials("STS.ClientTest0002", "StsClientSecret0123456789", "CAIS+token/=xyz")
SECRETS = (PLAIN.access_key_secret, STS.access_key_secret)


class FakeOss:
    """State and scripted answers of the loopback server."""

    def __init__(self):
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.styles: dict[str, str] = {}
        self.requests: list[dict] = []
        self.forced: list[int] = []  # statuses to answer with before handling normally
        self.now = NOW  # the server's clock
        self.lookup = static_lookup(PLAIN, STS)


def _handler(oss: FakeOss):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self._handle()

        do_HEAD = do_PUT = do_DELETE = do_GET

        def _handle(self):
            parts = urlsplit(self.path)
            _, bucket, key = (unquote(parts.path).split("/", 2) + ["", ""])[:3]
            query = parse_query(parts.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            oss.requests.append(dict(method=self.command, raw_path=parts.path, bucket=bucket,
                                     key=key, query=query, headers=headers, body=body))
            if oss.forced:
                return self._error(OssError("InternalError", "Forced failure.",
                                            status=oss.forced.pop(0)))
            try:
                verified = verify.verify_request(self.command, bucket, key or None, query,
                                                  headers, oss.lookup, now=oss.now,
                                                  region=REGION)
                if verified is None and key != "public.jpg":
                    raise OssError("AccessDenied", "You have no right to access this object.")
                self._route(bucket, key, query, headers, body)
            except OssError as e:
                self._error(e)

        def _route(self, bucket, key, query, headers, body):
            if bucket != BUCKET:
                raise OssError("NoSuchBucket", "The specified bucket does not exist.")
            if "style" in query:
                return self._style(query, body)
            if self.command == "PUT":
                md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
                if headers.get("content-md5") != md5:
                    raise OssError("InvalidDigest", "Content-MD5 mismatch.", status=400)
                oss.objects[key] = (body, headers.get("content-type", ""))
                return self._send(200, b"", {"ETag": '"etag-1"'})
            if key not in oss.objects:
                raise OssError("NoSuchKey", "The specified key does not exist.",
                               ec="0026-00000001")
            data, ctype = oss.objects[key]
            if "x-oss-process" in query:
                data, ctype = b"processed:" + query["x-oss-process"].encode(), "image/webp"
            self._send(200, data, {"Content-Type": ctype})

        def _style(self, query, body):
            name = query.get("styleName")
            if self.command == "PUT":
                content = body.split(b"<Content>")[1].split(b"</Content>")[0].decode()
                oss.styles[name] = content.replace("&amp;", "&")
                return self._send(200, b"")
            if self.command == "DELETE":
                oss.styles.pop(name, None)
                return self._send(204, b"")
            if name is None:
                items = "".join(_style_xml(n, c) for n, c in oss.styles.items())
                return self._send(200, f"<StyleList>{items}</StyleList>".encode(),
                                  {"Content-Type": "application/xml"})
            if name not in oss.styles:
                raise OssError("NoSuchStyle", "The specified style does not exist.")
            self._send(200, _style_xml(name, oss.styles[name]).encode(),
                       {"Content-Type": "application/xml"})

        def _error(self, e: OssError):
            xml = e.to_xml("5C3D9175B6FC201293AD****", "127.0.0.1").encode()
            headers = {"Content-Type": "application/xml", "x-oss-request-id": "5C3D-req"}
            if e.ec:
                headers["x-oss-ec"] = e.ec
            if self.command == "HEAD":
                headers["x-oss-err"] = base64.b64encode(xml).decode()
            self._send(e.status, xml, headers)

        def _send(self, status, body, headers=None):
            self.send_response(status)
            self.send_header("x-oss-request-id", "5C3D-req")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler


def _style_xml(name, content):
    return (f"<Style><Name>{name}</Name><Content>{content.replace('&', '&amp;')}</Content>"
            "<Category>image</Category><CreateTime>Wed, 20 May 2020 12:07:15 GMT</CreateTime>"
            "<LastModifyTime>Wed, 21 May 2020 12:07:15 GMT</LastModifyTime></Style>")


@pytest.fixture
def oss():
    state = FakeOss()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    state.endpoint = f"127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def session():
    s = requests.Session()
    s.trust_env = False  # a proxy from the environment must not intercept loopback
    yield s
    s.close()


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def make_client(oss, session, creds=PLAIN, version="v4", **kw):
    address = BucketAddress.from_endpoint(oss.endpoint, BUCKET)
    kw.setdefault("sleep", Sleeps())
    return OssClient(address, creds, version=version, region=REGION, session=session,
                     clock=lambda: NOW, **kw)


CASES = [pytest.param(c, v, id=f"{v}-{'sts' if c.is_sts else 'ak'}")
         for c in (PLAIN, STS) for v in ("v1", "v4")]


# ----------------------------------------------------------------------------- objects

@pytest.mark.parametrize("creds,version", CASES)
def test_put_get_head_round_trip(oss, session, tmp_path, creds, version):
    key = "猫/my photo+1.png"
    path = tmp_path / "in.png"
    path.write_bytes(b"\x89PNG fake bytes")
    client = make_client(oss, session, creds, version)

    put = client.put_object(key, path)
    assert put.etag == "etag-1"
    sent = oss.requests[-1]
    assert (sent["method"], sent["bucket"], sent["key"], sent["query"]) == ("PUT", BUCKET, key, {})
    assert sent["raw_path"] == f"/{BUCKET}/%E7%8C%AB/my%20photo%2B1.png"
    assert sent["headers"]["content-type"] == "image/png"
    assert sent["body"] == path.read_bytes()
    auth = sent["headers"]["authorization"]
    assert auth.startswith("OSS4-HMAC-SHA256 Credential=" if version == "v4" else "OSS ")
    assert sent["headers"].get("x-oss-security-token") == creds.security_token

    process = "image/resize,w_100/watermark,text_SGk+Pz8=,g_se"
    got = client.get_object(key, process=process)
    assert (got.data, got.content_type) == (b"processed:" + process.encode(), "image/webp")
    assert oss.requests[-1]["query"] == {"x-oss-process": process}
    assert oss.requests[-1]["method"] == "GET"

    head = client.head_object(key)
    assert (head.data, head.content_type, head.request_id) == (b"", "image/png", "5C3D-req")
    assert oss.requests[-1]["method"] == "HEAD"


def test_put_bytes_and_anonymous_get(oss, session):
    make_client(oss, session).put_object("public.jpg", b"jpeg!", content_type="image/jpeg")
    anonymous = make_client(oss, session, creds=None)
    assert anonymous.get_object("public.jpg").data == b"jpeg!"
    assert "authorization" not in oss.requests[-1]["headers"]
    with pytest.raises(OssServiceError) as err:
        anonymous.get_object("private.jpg")
    assert err.value.code == "AccessDenied"


def test_missing_key_error_is_typed(oss, session):
    with pytest.raises(OssServiceError) as err:
        make_client(oss, session).get_object("nope.jpg")
    e = err.value
    assert (e.code, e.status, e.ec, e.request_id, e.host_id) == (
        "NoSuchKey", 404, "0026-00000001", "5C3D9175B6FC201293AD****", "127.0.0.1")
    assert str(e) == "NoSuchKey: The specified key does not exist."


def test_head_error_is_read_from_x_oss_err_header(oss, session):
    with pytest.raises(OssServiceError) as err:
        make_client(oss, session).head_object("nope.jpg")
    assert (err.value.code, err.value.ec, err.value.message) == (
        "NoSuchKey", "0026-00000001", "The specified key does not exist.")


def test_signature_mismatch_shows_both_strings(oss, session):
    wrong = Credentials(PLAIN.access_key_id, "not-the-secret")
    for version in ("v1", "v4"):
        with pytest.raises(OssServiceError) as err:
            make_client(oss, session, wrong, version).get_object("a.jpg", process="image/info")
        e = err.value
        assert (e.code, e.status) == ("SignatureDoesNotMatch", 403)
        assert e.ec == ("0002-00000040" if version == "v1" else "0002-00000201")
        assert e.string_to_sign and e.string_to_sign == e.client_string_to_sign
        assert e.canonical_request == e.client_canonical_request
        assert e.details["OSSAccessKeyId"] == PLAIN.access_key_id
        assert "not-the-secret" not in str(e) + repr(e)


def test_unknown_access_key(oss, session):
    with pytest.raises(OssServiceError) as err:
        make_client(oss, session, Credentials("LTAIunknown", "x")).get_object("a.jpg")
    assert (err.value.code, err.value.status) == ("InvalidAccessKeyId", 403)


# ----------------------------------------------------------------------------- styles

@pytest.mark.parametrize("creds,version", CASES)
def test_style_api(oss, session, creds, version):
    client = make_client(oss, session, creds, version)
    client.put_style("thumb", "image/resize,p_50&x")
    sent = oss.requests[-1]
    assert (sent["method"], sent["raw_path"], sent["query"]) == (
        "PUT", f"/{BUCKET}/", {"style": "", "styleName": "thumb"})
    assert sent["headers"]["content-type"] == "application/xml"
    assert b"<Style><Content>image/resize,p_50&amp;x</Content></Style>" in sent["body"]
    assert oss.styles == {"thumb": "image/resize,p_50&x"}

    style = client.get_style("thumb")
    assert (style.name, style.content, style.category) == ("thumb", "image/resize,p_50&x", "image")
    assert style.create_time == "Wed, 20 May 2020 12:07:15 GMT"
    assert oss.requests[-1]["query"] == {"style": "", "styleName": "thumb"}

    client.put_style("small", "image/resize,w_10")
    assert [s.name for s in client.list_styles()] == ["thumb", "small"]
    assert oss.requests[-1]["query"] == {"style": ""}

    client.delete_style("thumb")
    assert (oss.requests[-1]["method"], oss.requests[-1]["query"]) == (
        "DELETE", {"style": "", "styleName": "thumb"})
    with pytest.raises(OssServiceError) as err:
        client.get_style("thumb")
    assert (err.value.code, err.value.status) == ("NoSuchStyle", 404)


def test_style_name_is_validated_before_sending(oss, session):
    with pytest.raises(OssError):
        make_client(oss, session).put_style("bad name", "image/resize,w_1")
    assert oss.requests == []


# ----------------------------------------------------------------------------- retries

def test_retries_5xx_with_injected_backoff(oss, session):
    sleeps = Sleeps()
    client = make_client(oss, session, sleep=sleeps, backoff=lambda n: n + 10)
    client.put_object("a.jpg", b"x")
    oss.forced[:] = [503, 500]
    assert client.get_object("a.jpg").data == b"x"
    assert sleeps == [10, 11]
    assert [r["method"] for r in oss.requests] == ["PUT", "GET", "GET", "GET"]


def test_gives_up_after_retries_and_never_retries_4xx(oss, session):
    sleeps = Sleeps()
    client = make_client(oss, session, sleep=sleeps, retries=1)
    oss.forced[:] = [503, 503]
    with pytest.raises(OssServiceError) as err:
        client.get_object("a.jpg")
    assert (err.value.status, len(oss.requests), len(sleeps)) == (503, 2, 1)
    oss.requests.clear()
    with pytest.raises(OssServiceError):
        client.get_object("missing.jpg")
    assert len(oss.requests) == 1 and len(sleeps) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_retried_then_reported(session):
    sleeps = Sleeps()
    address = BucketAddress.from_endpoint(f"127.0.0.1:{_closed_port()}", BUCKET)
    client = OssClient(address, PLAIN, region=REGION, session=session, sleep=sleeps)
    with pytest.raises(OssNetworkError) as err:
        client.get_object("a.jpg")
    assert (err.value.code, err.value.status) == ("ConnectionError", 0)
    assert "Cannot connect to 127.0.0.1:" in err.value.message
    assert sleeps == [0.2, 0.4]


def test_read_timeout_on_a_silent_server(session):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts into the backlog, never answers
    try:
        address = BucketAddress.from_endpoint(f"127.0.0.1:{silent.getsockname()[1]}", BUCKET)
        client = OssClient(address, PLAIN, region=REGION, session=session, retries=0,
                           timeout=(1.0, 0.05))
        with pytest.raises(OssNetworkError) as err:
            client.get_object("a.jpg")
    finally:
        silent.close()
    assert (err.value.code, err.value.status) == ("RequestTimeout", 0)
    assert "read timeout of 0.05 s" in err.value.message


def test_tls_to_a_plain_http_server(oss, session):
    address = BucketAddress.from_endpoint(f"https://{oss.endpoint}", BUCKET)
    client = OssClient(address, PLAIN, region=REGION, session=session, sleep=Sleeps())
    with pytest.raises(OssNetworkError) as err:
        client.get_object("a.jpg")
    assert (err.value.code, err.value.status) == ("TLSError", 0)
    assert client._sleep == []  # a TLS failure is not retried


class RaisingSession:
    def __init__(self, exc):
        self.exc, self.calls = exc, []

    def request(self, method, url, **kw):
        self.calls.append((method, url, kw))
        raise self.exc


def test_dns_failure_is_named_and_not_retried():
    pool = urllib3.HTTPConnectionPool("example-bucket.oss-nowhere.invalid")
    cause = urllib3.exceptions.NameResolutionError(
        "example-bucket.oss-nowhere.invalid", pool, socket.gaierror(-2, "Name or service not known"))
    fake = RaisingSession(requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(pool, "/a.jpg", cause)))
    address = BucketAddress.from_endpoint("oss-nowhere.invalid", BUCKET)
    client = OssClient(address, PLAIN, region=REGION, session=fake, sleep=Sleeps())
    with pytest.raises(OssNetworkError) as err:
        client.get_object("a.jpg")
    assert (err.value.code, err.value.status, len(fake.calls)) == ("NameResolutionError", 0, 1)
    assert "example-bucket.oss-nowhere.invalid" in err.value.message


def test_every_call_has_a_timeout():
    fake = RaisingSession(requests.exceptions.ConnectTimeout("slow"))
    address = BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", BUCKET)
    client = OssClient(address, PLAIN, session=fake, retries=0)
    calls = [lambda: client.get_object("a"), lambda: client.head_object("a"),
             lambda: client.put_object("a", b"x"), lambda: client.put_style("s", "image/x"),
             client.list_styles, lambda: client.get_style("s"), lambda: client.delete_style("s")]
    for call in calls:
        with pytest.raises(OssNetworkError) as err:
            call()
        assert err.value.code == "RequestTimeout"
    assert [kw["timeout"] for _, _, kw in fake.calls] == [DEFAULT_TIMEOUT] * len(calls)
    assert [m for m, _, _ in fake.calls] == ["GET", "HEAD", "PUT", "PUT", "GET", "GET", "DELETE"]


# ----------------------------------------------------------------------------- parsing

def test_parse_error_reads_every_documented_field():
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <Code>SignatureDoesNotMatch</Code>
  <Message>The request signature we calculated does not match.</Message>
  <RequestId>646DCB189AE2D1333018****</RequestId>
  <HostId>bucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <OSSAccessKeyId>LTAI****</OSSAccessKeyId>
  <SignatureProvided>abc</SignatureProvided>
  <StringToSign>GET\n\n\n1700003600\n/bucket/key</StringToSign>
  <StringToSignBytes>47 45 54</StringToSignBytes>
  <EC>0002-00000040</EC>
  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0002-00000040</RecommendDoc>
</Error>"""
    e = parse_error(403, {"x-oss-request-id": "other"}, body)
    assert (e.code, e.status, e.ec, e.request_id, e.host_id) == (
        "SignatureDoesNotMatch", 403, "0002-00000040", "646DCB189AE2D1333018****",
        "bucket.oss-cn-hangzhou.aliyuncs.com")
    assert e.string_to_sign == "GET\n\n\n1700003600\n/bucket/key"
    assert e.details["RecommendDoc"].endswith("0002-00000040")
    assert isinstance(e, OssError)


def test_parse_error_fallbacks():
    e = parse_error(404, {"x-oss-request-id": "R1", "x-oss-ec": "0026-00000001"}, b"")
    assert (e.code, e.request_id, e.ec) == ("NoSuchKey", "R1", "0026-00000001")
    e = parse_error(502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>")
    assert e.code == "BadErrorResponse" and "Bad gateway" in e.message
    e = parse_error(400, {"Content-Type": "application/json"},
                    b'{"Error": {"Code": "InvalidArgument", "Message": "m", "EC": "0017-1"}}')
    assert (e.code, e.message, e.ec) == ("InvalidArgument", "m", "0017-1")


# ----------------------------------------------------------------------------- secrets

def test_secret_never_in_repr_errors_or_logs(oss, session, caplog):
    caplog.set_level(logging.DEBUG)
    texts = [repr(PLAIN), str(PLAIN), repr(STS), f"{STS}"]
    client = make_client(oss, session, STS)
    texts.append(repr(client))
    client.put_object("a.jpg", b"x")
    for call in (lambda: client.get_object("missing"),
                 lambda: make_client(oss, session, Credentials(STS.access_key_id, "bad",
                                                               STS.security_token)).get_object("a.jpg")):
        with pytest.raises(OssError) as err:
            call()
        texts += [str(err.value), repr(err.value), str(err.value.details)]
    texts.append(caplog.text)
    assert "request id" in caplog.text  # the log did capture our lines
    joined = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in joined
    assert STS.security_token not in repr(STS)
