"""Upload callbacks, with oss2 as the client and a loopback HTTP server as the callback
server (no network beyond loopback).

Expected values are OSS's ("Callback" developer reference, "HTTP status code 203"):
callbackBody's ${bucket}, ${object}, ${etag}, ${size}, ${mimeType}, ${imageInfo.*} and
${x:...} variables, URL-encoded for application/x-www-form-urlencoded and JSON values for
application/json; Host is callbackHost; a 200 JSON answer is the upload's response body;
a failed callback is 203 CallbackFailed and the object is stored all the same.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
from urllib.parse import parse_qs

import oss2
import pytest
import requests

from core.oss.credentials import Credentials
from core.serve.callback import host_allowed, render
from tests.callback_env import CallbackServer
from tests.callback_env import callback_server  # noqa: F401 (fixture)
from tests.helpers import one_bucket_server, running_server, solid, rsa_key_pem

CREDS = Credentials("LTAI5tCallbackServerK1", "Callback+Server/Secret=1")
BUCKET = "cb-bucket"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, "private", (CREDS,),
                           callback_timeout=0.5) as (srv, _):
        yield srv


@pytest.fixture
def bucket(server) -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url,
                       BUCKET)


def encode(obj: dict) -> str:
    return base64.b64encode(json.dumps(obj).encode("utf-8")).decode("ascii")


def put(bucket, key, data, callback: dict, variables: dict | None = None, **headers):
    headers = {"x-oss-callback": encode(callback), **headers}
    if variables is not None:
        headers["x-oss-callback-var"] = encode(variables)
    return bucket.put_object(key, data, headers=headers)


def test_form_callback_answer_is_the_upload_response(bucket, callback_server):
    data = b"hello callback"
    result = put(bucket, "dir/a b.txt", data, {
        "callbackUrl": callback_server.url + "/notify?from=oss",
        "callbackHost": "app.example.com",
        "callbackBody": "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}"
                        "&mimeType=${mimeType}&my_var=${x:my_var}&none=${x:unset}"},
        {"x:my_var": "a&b=c"}, **{"Content-Type": "text/plain"})
    assert result.status == 200
    assert json.loads(result.resp.read()) == {"Status": "OK"}
    md5 = hashlib.md5(data).hexdigest().upper()
    assert result.etag == md5
    [call] = callback_server.requests
    assert call["path"] == "/notify?from=oss"
    assert call["headers"]["Host"] == "app.example.com"
    assert call["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(call["body"].decode(), keep_blank_values=True) == {
        "bucket": [BUCKET], "object": ["dir/a b.txt"], "etag": [md5],
        "size": [str(len(data))], "mimeType": ["text/plain"], "my_var": ["a&b=c"],
        "none": [""]}
    assert bucket.get_object("dir/a b.txt").read() == data


def test_json_callback_with_image_info(bucket, callback_server):
    png = solid(64, 48)
    put(bucket, "pic.png", png, {
        "callbackUrl": callback_server.url,
        "callbackBody": '{"object":${object},"size":${size},"h":${imageInfo.height},'
                        '"w":${imageInfo.width},"f":${imageInfo.format},"v":${x:v}}',
        "callbackBodyType": "application/json"}, {"x:v": 'say "hi"'})
    [call] = callback_server.requests
    assert call["headers"]["Content-Type"] == "application/json"
    assert json.loads(call["body"]) == {"object": "pic.png", "size": len(png), "h": 48,
                                        "w": 64, "f": "png", "v": 'say "hi"'}


@pytest.mark.parametrize("status, body", [(500, b'{"e":1}'), (200, b"not json"),
                                          (302, b"{}")])
def test_failed_callback_is_203_and_the_object_is_stored(bucket, callback_server, status,
                                                         body):
    callback_server.status, callback_server.body = status, body
    result = put(bucket, "kept.txt", b"kept", {"callbackUrl": callback_server.url,
                                               "callbackBody": "k=${object}"})
    assert result.status == 203
    err = oss2.exceptions.make_exception(result.resp)
    assert err.code == "CallbackFailed"
    assert result.etag == hashlib.md5(b"kept").hexdigest().upper()
    assert bucket.get_object("kept.txt").read() == b"kept"


def test_callback_timeout_is_203(bucket, callback_server):
    callback_server.release = threading.Event()    # the callback server does not answer
    result = put(bucket, "slow.txt", b"x", {"callbackUrl": callback_server.url,
                                            "callbackBody": "k=${object}"})
    callback_server.release.set()
    assert result.status == 203
    assert oss2.exceptions.make_exception(result.resp).code == "CallbackFailed"


def test_unreachable_then_working_url(bucket, callback_server):
    dead = CallbackServer()
    dead.close()     # a loopback port nobody listens on
    result = put(bucket, "two.txt", b"2", {"callbackUrl": f"{dead.url};{callback_server.url}",
                                           "callbackBody": "k=${object}"})
    assert result.status == 200 and len(callback_server.requests) == 1


@pytest.mark.parametrize("first", ["ftp://127.0.0.1:1/x", "http://cbsrv.oss.demo.com/x"],
                         ids=["not-http", "host-not-allowed"])
def test_a_refused_url_then_a_working_one(bucket, callback_server, first):
    """OSS tries the callbackUrl's URLs in order until one answers: a URL this server
    refuses to call is skipped like an unreachable one, not the end of the list."""
    result = put(bucket, "next.txt", b"n", {"callbackUrl": f"{first};{callback_server.url}",
                                            "callbackBody": "k=${object}"})
    assert result.status == 200 and len(callback_server.requests) == 1


def test_non_loopback_host_is_not_called_by_default(bucket, callback_server):
    """The default --allow-callback-hosts is loopback: nothing leaves the machine (the
    name below is never even resolved) and the upload is answered 203, as OSS answers
    when it cannot reach a callback server."""
    result = put(bucket, "ssrf.txt", b"s", {"callbackUrl": "http://cbsrv.oss.demo.com/x",
                                            "callbackBody": "k=${object}"})
    assert result.status == 203
    err = oss2.exceptions.make_exception(result.resp)
    assert err.code == "CallbackFailed" and "--allow-callback-hosts" in err.message
    assert bucket.object_exists("ssrf.txt")


def test_url_with_credentials_is_not_called(bucket, callback_server):
    url = callback_server.url.replace("http://", "http://user:pw@")
    result = put(bucket, "userinfo.txt", b"u", {"callbackUrl": url,
                                                "callbackBody": "k=${object}"})
    assert result.status == 203 and callback_server.requests == []


def test_signed_url_with_callback_query(bucket, callback_server):
    params = {"callback": encode({"callbackUrl": callback_server.url,
                                  "callbackBody": "o=${object}&v=${x:v}"}),
              "callback-var": encode({"x:v": "1"})}
    for version_auth in (bucket.auth, oss2.ProviderAuthV4(
            oss2.credentials.StaticCredentialsProvider(CREDS.access_key_id,
                                                       CREDS.access_key_secret))):
        b = oss2.Bucket(version_auth, bucket.endpoint, BUCKET, region="cn-hangzhou")
        url = b.sign_url("PUT", "signed.txt", 60, params=params)
        resp = requests.put(url, data=b"signed")
        assert resp.status_code == 200 and resp.json() == {"Status": "OK"}
    assert [c["body"] for c in callback_server.requests] == [b"o=signed.txt&v=1"] * 2


def test_multipart_complete_calls_back(bucket, callback_server):
    key = "multi.bin"
    upload_id = bucket.init_multipart_upload(key).upload_id
    part = bucket.upload_part(key, upload_id, 1, b"p" * 10)
    result = bucket.complete_multipart_upload(
        key, upload_id, [oss2.models.PartInfo(1, part.etag)],
        headers={"x-oss-callback": encode({
            "callbackUrl": callback_server.url, "callbackBody": "size=${size}&etag=${etag}"})})
    assert result.status == 200
    [call] = callback_server.requests
    etag = bucket.head_object(key).etag
    assert parse_qs(call["body"].decode()) == {"size": ["10"], "etag": [etag]}


@pytest.mark.parametrize("callback, ec", [
    ("not base64!", None),
    (base64.b64encode(b"[1, 2]").decode(), None),
    (encode({"callbackBody": "a=${object}"}), None),                      # no URL
    (encode({"callbackUrl": "http://127.0.0.1:1", "callbackBody": ""}), "0007-00000011"),
    (encode({"callbackUrl": "http://127.0.0.1:1", "callbackBody": "a",
             "callbackHost": [1, 2]}), "0007-00000009"),
    (encode({"callbackUrl": "http://127.0.0.1:1", "callbackBody": "a",
             "callbackBodyType": "text/plain"}), None),
    # OSS's callback page: "callbackUrl ... up to five URLs, separated by semicolons"
    (encode({"callbackUrl": ";".join(f"http://127.0.0.1:{p}" for p in range(1, 7)),
             "callbackBody": "a"}), None),
])
def test_malformed_callback_is_400_and_stores_nothing(bucket, callback, ec):
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.put_object("bad-cb.txt", b"x", headers={"x-oss-callback": callback})
    assert (info.value.code, info.value.status) == ("InvalidArgument", 400)
    if ec:
        assert info.value.ec == ec
    assert not bucket.object_exists("bad-cb.txt")


def test_host_patterns():
    assert host_allowed("127.0.0.1", ("loopback",)) and host_allowed("::1", ("loopback",))
    assert host_allowed("localhost", ("loopback",))
    assert not host_allowed("10.0.0.1", ("loopback",))
    assert not host_allowed("169.254.169.254", ("loopback",))
    assert host_allowed("api.example.com", ("*.example.com",))
    assert not host_allowed("example.com.evil.org", ("*.example.com",))
    assert host_allowed("anything.org", ("*",))
    assert not host_allowed("127.0.0.1", ())
    # a final dot (the absolute DNS form) names the same host; case does not matter
    assert host_allowed("localhost.", ("loopback",))
    assert host_allowed("API.Example.COM.", ("*.example.com",))
    assert host_allowed("hooks.example.org.", ("hooks.example.org",))
    assert not host_allowed("hooks.example.org.evil.", ("hooks.example.org",))
    # an IPv6 literal may be given with or without its URL brackets, on either side
    assert host_allowed("fd00::7", ("[fd00::7]",)) and host_allowed("[fd00::7]", ("fd00::7",))
    assert not host_allowed("fd00::8", ("[fd00::7]",))


def test_render_escapes_per_body_type():
    values = {"object": 'a&b "c"', "size": 3}
    assert render("o=${object}&s=${size}", values, False) == "o=a%26b%20%22c%22&s=3"
    assert json.loads(render('{"o":${object},"s":${size}}', values, True)) == {
        "o": 'a&b "c"', "s": 3}


def test_callback_hosts_option_can_shut_callbacks_off(tmp_path, callback_server):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, "private", (CREDS,), callback_hosts="") as srv:
        assert srv.service.config.callback_hosts == ()
        b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                        BUCKET)
        result = put(b, "off.txt", b"o", {"callbackUrl": callback_server.url,
                                          "callbackBody": "k=${object}"})
    assert result.status == 203 and callback_server.requests == []


def test_cli_flag_reaches_the_config():
    import argparse

    from core.cli import serve as serve_command
    from core.serve.config import ServiceConfig

    parser = argparse.ArgumentParser()
    serve_command.register(parser.add_subparsers())
    args = parser.parse_args(["serve", ".", "--allow-callback-hosts", "loopback, *.corp.example"])
    assert args.allow_callback_hosts == "loopback, *.corp.example"
    assert ServiceConfig(".", callback_hosts=args.allow_callback_hosts).callback_hosts == (
        "loopback", "*.corp.example")
    assert parser.parse_args(["serve", "."]).allow_callback_hosts == "loopback"


def test_callbacks_in_flight_are_capped(tmp_path, callback_server):
    """threads=5 leaves 1 callback slot: while one callback waits on its server, another
    upload's callback is 203 "Too many callback requests." at once (OSS's message)."""
    (tmp_path / BUCKET).mkdir()
    callback_server.release = threading.Event()
    with running_server(tmp_path, "private", (CREDS,), threads=5,
                        callback_timeout=30) as srv:
        b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                        BUCKET)
        cb = {"callbackUrl": callback_server.url, "callbackBody": "k=${object}"}
        first: list = []
        t = threading.Thread(target=lambda: first.append(put(b, "one.txt", b"1", cb)))
        t.start()
        assert callback_server.arrived.wait(10)
        second = put(b, "two.txt", b"2", cb)
        # read the answer's body while the server is up: oss2 streams it, and a server
        # stopped first could cut it (IncompleteRead on a loaded machine)
        message = oss2.exceptions.make_exception(second.resp).message
        callback_server.release.set()
        t.join(10)
    assert second.status == 203
    assert message == "Too many callback requests."
    assert first[0].status == 200 and len(callback_server.requests) == 1


def test_v2_sdk_reads_the_callback_answer(server, callback_server):
    """alibabacloud-oss-v2 hands the callback server's JSON over as callback_result."""
    import alibabacloud_oss_v2 as osv2

    callback_server.body = b'{"saved":true,"n":3}'
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret)
    cfg.region, cfg.endpoint = "cn-hangzhou", server.url
    result = osv2.Client(cfg).put_object(osv2.PutObjectRequest(
        bucket=BUCKET, key="v2.txt", body=b"v2",
        callback=encode({"callbackUrl": callback_server.url,
                         "callbackBody": '{"o":${object}}',
                         "callbackBodyType": "application/json"})))
    assert result.status_code == 200
    assert json.loads(result.callback_result) == {"saved": True, "n": 3}
    assert json.loads(callback_server.requests[0]["body"]) == {"o": "v2.txt"}


def test_signed_callbacks_verify_as_oss_callbacks_do(tmp_path, callback_server):
    """With --callback-key the callback carries authorization and x-oss-pub-key-url; the
    check below is the one OSS's callback-server samples make: RSA PKCS#1 v1.5 with MD5
    over url_decode(path) + '?' + query + '\\n' + body, key from the base64 URL."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from urllib.parse import unquote

    pem = tmp_path / "callback.pem"
    key = rsa_key_pem(pem, 2048)
    pub_url = "https://keys.example.com/callback_pub_key.pem"
    root = tmp_path / "root"
    (root / BUCKET).mkdir(parents=True)
    with running_server(root, "private", (CREDS,), callback_key=pem,
                        callback_pub_key_url=pub_url) as srv:
        b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                        BUCKET)
        result = put(b, "signed-cb.txt", b"s", {
            "callbackUrl": callback_server.url + "/cb%20path?a=1&b=%7E",
            "callbackBody": "o=${object}&s=${size}"})
    assert result.status == 200
    [call] = callback_server.requests
    headers = {k.lower(): v for k, v in call["headers"].items()}
    assert base64.b64decode(headers["x-oss-pub-key-url"]).decode() == pub_url
    path, _, query = call["path"].partition("?")
    signed = (unquote(path) + "?" + query + "\n").encode() + call["body"]
    key.public_key().verify(base64.b64decode(headers["authorization"]), signed,
                            padding.PKCS1v15(), hashes.MD5())      # raises if wrong
    with pytest.raises(Exception):
        key.public_key().verify(base64.b64decode(headers["authorization"]),
                                signed + b"x", padding.PKCS1v15(), hashes.MD5())


def test_bad_callback_key_fails_at_start(tmp_path):
    from core.errors import OssError
    from core.serve.config import ServiceConfig

    (tmp_path / "k.pem").write_text("not a key")
    with pytest.raises(OssError, match="PEM RSA private key"):
        ServiceConfig(tmp_path, callback_key=tmp_path / "k.pem",
                      callback_pub_key_url="https://x/k.pem")
    with pytest.raises(OssError, match="both"):
        ServiceConfig(tmp_path, callback_key=tmp_path / "k.pem")
