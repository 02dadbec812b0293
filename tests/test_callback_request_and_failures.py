"""Upload callbacks: the request OSS sends to the callback server, the 203 messages of a
failed callback, and the ArgumentName of a malformed callback parameter.

Expected values from the OSS documentation:
- "Callback" (developer reference), the callback request example: ``POST`` with
  ``Content-Type: application/x-www-form-urlencoded`` (the default callbackBodyType),
  ``Date`` (an HTTP date), ``User-Agent: aliyun-oss-callback``, ``x-oss-bucket: <bucket>``,
  ``x-oss-request-id`` (the upload's request ID) and ``x-oss-tag: CALLBACK``.
- "Callback" common errors: a callback parameter that is not JSON is 400 InvalidArgument
  with ``<ArgumentName>callback</ArgumentName>``; CallbackFailed messages
  "Response body is not valid json format." and "Error status : 400." (the callback
  server's status); the C# SDK's ObjectCallbackTest expects "Error status : 502." and
  ali-oss's test/callback.test.js quotes "Error status : -1.OSS can not connect to your
  callbackUrl, please check it." for a callback server nobody answers on.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import pytest

from tests.helpers import one_bucket_server, running_server, rsa_key_pem
from tests.server_http_helpers import call, error_answer
from tests.callback_env import CallbackServer
from tests.callback_env import callback_server  # noqa: F401 (fixture)

BUCKET = "cb-request"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, callback_timeout=2) as (srv, _):
        yield srv


def b64json(obj) -> str:
    return base64.b64encode(json.dumps(obj).encode("utf-8")).decode("ascii")


def upload(server, key, callback, variables=None, data=b"payload"):
    headers = {"x-oss-callback": callback if isinstance(callback, str) else b64json(callback)}
    if variables is not None:
        headers["x-oss-callback-var"] = (variables if isinstance(variables, str)
                                         else b64json(variables))
    return call(server, "PUT", f"/{BUCKET}/{key}", data, headers)


def test_the_callback_request_carries_the_documented_headers(server, callback_server):
    status, headers, body = upload(server, "req.txt", {
        "callbackUrl": callback_server.url + "/cb", "callbackBody": "o=${object}"})
    assert (status, json.loads(body)) == (200, {"Status": "OK"})
    [request] = callback_server.requests
    sent = request["headers"]          # names as they came over the wire
    assert sent["User-Agent"] == "aliyun-oss-callback"
    assert sent["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent["x-oss-bucket"] == BUCKET
    assert sent["x-oss-request-id"] == headers["x-oss-request-id"]
    assert sent["x-oss-tag"] == "CALLBACK"
    assert sent["Host"] == f"127.0.0.1:{callback_server.httpd.server_address[1]}"
    assert parsedate_to_datetime(sent["Date"]).utcoffset().total_seconds() == 0
    assert sent["Date"].endswith(" GMT")
    assert request["body"] == b"o=req.txt"
    assert "authorization" not in {k.lower() for k in sent}    # no --callback-key


def test_the_callback_never_goes_through_a_proxy_from_the_environment(
        server, callback_server, monkeypatch):
    """HTTP(S)_PROXY of the server's environment is not used for callbacks (they go to
    the callbackUrl's host, as OSS's do): with a proxy set that nobody answers on, the
    callback still reaches its server."""
    dead = CallbackServer()
    dead.close()
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead.url)
    status, _, body = upload(server, "proxy.txt", {
        "callbackUrl": callback_server.url + "/cb", "callbackBody": "o=${object}"})
    assert (status, json.loads(body)) == (200, {"Status": "OK"})
    assert [r["body"] for r in callback_server.requests] == [b"o=proxy.txt"]


def test_a_gzip_encoded_callback_answer_is_decoded(server, callback_server):
    """A callback server may compress its answer (Content-Encoding: gzip); the upload's
    response body is the JSON it encodes."""
    callback_server.body = gzip.compress(b'{"Status":"OK","n":1}')
    callback_server.headers = {"Content-Encoding": "gzip",
                               "Content-Type": "application/json"}
    status, _, body = upload(server, "gz.txt", {
        "callbackUrl": callback_server.url + "/cb", "callbackBody": "o=${object}"})
    assert (status, json.loads(body)) == (200, {"Status": "OK", "n": 1})


def failure_message(answer) -> str:
    status, headers, body = answer
    assert status == 203, body
    root = ET.fromstring(body)
    assert (root.tag, root.findtext("Code")) == ("Error", "CallbackFailed")
    return root.findtext("Message")


@pytest.mark.parametrize("status, body, message", [
    (400, b'{"e":1}', "Error status : 400."),
    (502, b"{}", "Error status : 502."),
    (200, b"OK", "Response body is not valid json format."),
    (200, b'\xef\xbb\xbf{"Status":"OK"}', "Response body is not valid json format."),
])
def test_a_refused_callback_is_203_with_osss_message(server, callback_server, status, body,
                                                     message, caplog):
    callback_server.status, callback_server.body = status, body
    caplog.set_level(logging.INFO, logger="core.serve")
    answer = upload(server, "refused.txt", {"callbackUrl": callback_server.url,
                                            "callbackBody": "k=${object}"})
    assert failure_message(answer) == message
    # the operator's log names the object and the reason
    assert any(f"{BUCKET}/refused.txt" in r.getMessage() and message in r.getMessage()
               for r in caplog.records if r.name == "core.serve"), caplog.text
    assert call(server, "GET", f"/{BUCKET}/refused.txt")[2] == b"payload"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:1/x", "file:///etc/passwd"])
def test_a_callback_url_that_is_not_http_is_never_called_and_is_named(server, url):
    """Only http(s) URLs of a host are called back; any other is a failed callback whose
    message names the URL it refused (not a connection attempt), the upload kept."""
    answer = upload(server, "scheme.txt", {"callbackUrl": url, "callbackBody": "k=${object}"})
    assert repr(url) in failure_message(answer)
    assert call(server, "GET", f"/{BUCKET}/scheme.txt")[2] == b"payload"


@pytest.mark.parametrize("scheme", ["http", "https"])   # OSS's callbackUrl takes both
def test_a_callback_server_nobody_answers_on_is_osss_connect_message(server, scheme):
    dead = CallbackServer()
    dead.close()                       # a loopback port nobody listens on
    url = scheme + dead.url[dead.url.index(":"):]
    answer = upload(server, "dead.txt", {"callbackUrl": url,
                                         "callbackBody": "k=${object}"})
    assert failure_message(answer) == (
        "Error status : -1.OSS can not connect to your callbackUrl, please check it.")
    assert call(server, "GET", f"/{BUCKET}/dead.txt")[2] == b"payload"


@pytest.mark.parametrize("callback, variables, argument", [
    ("bm90IGpzb24=", None, "callback"),                       # base64 of "not json"
    (b64json([1, 2]), None, "callback"),                      # JSON, not an object
    ("%%%", None, "callback"),                                # not base64
    ({"callbackUrl": "http://127.0.0.1:1/", "callbackBody": "a"}, "bm90IGpzb24=",
     "callback-var"),
    ({"callbackUrl": "http://127.0.0.1:1/", "callbackBody": "a"}, b64json("x"),
     "callback-var"),
    ({"callbackBody": "a"}, None, "callbackUrl"),
    ({"callbackUrl": "http://127.0.0.1:1/", "callbackBody": ""}, None, "callbackBody"),
    ({"callbackUrl": "http://127.0.0.1:1/", "callbackBody": "a", "callbackHost": "a b"},
     None, "callbackHost"),
    ({"callbackUrl": "http://127.0.0.1:1/", "callbackBody": "a",
      "callbackBodyType": "text/plain"}, None, "callbackBodyType"),
])
def test_a_malformed_callback_names_its_argument(server, callback, variables, argument):
    answer = upload(server, "bad.txt", callback, variables)
    err = error_answer(answer, 400, "InvalidArgument")
    assert err["ArgumentName"] == argument
    assert call(server, "GET", f"/{BUCKET}/bad.txt")[0] == 404       # nothing stored


def test_the_operation_request_id_and_crc64_variables(server, callback_server):
    """OSS's system variables ${operation}, ${reqId} and ${crc64}: the upload's API name,
    its x-oss-request-id and its x-oss-hash-crc64ecma."""
    body = "op=${operation}&id=${reqId}&crc=${crc64}"
    status, headers, _ = upload(server, "vars.txt", {"callbackUrl": callback_server.url,
                                                     "callbackBody": body})
    assert status == 200
    status, init_headers, init = call(server, "POST", f"/{BUCKET}/multi.bin?uploads")
    upload_id = ET.fromstring(init).findtext("UploadId")
    part = call(server, "PUT", f"/{BUCKET}/multi.bin?partNumber=1&uploadId={upload_id}",
                b"part")[1]["etag"]
    done = call(server, "POST", f"/{BUCKET}/multi.bin?uploadId={upload_id}",
                (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part}"
                 "</ETag></Part></CompleteMultipartUpload>").encode(),
                {"x-oss-callback": b64json({"callbackUrl": callback_server.url,
                                            "callbackBody": body})})
    assert done[0] == 200, done[2]
    got = [dict(pair.split("=", 1) for pair in r["body"].decode().split("&"))
           for r in callback_server.requests]
    assert got == [
        {"op": "PutObject", "id": headers["x-oss-request-id"],
         "crc": headers["x-oss-hash-crc64ecma"]},
        {"op": "CompleteMultipartUpload", "id": done[1]["x-oss-request-id"],
         "crc": done[1]["x-oss-hash-crc64ecma"]}]


MB3 = 3 * 1024 * 1024          # OSS: the callback server's answer is at most 3 MB


@pytest.mark.parametrize("size, status", [(MB3, 200), (MB3 + 1, 203)])
def test_an_answer_of_3_mb_is_the_upload_response_one_byte_more_is_a_failure(
        server, callback_server, size, status):
    callback_server.body = b'"' + b"a" * (size - 2) + b'"'       # a JSON string
    got, _, body = upload(server, f"big-{size}.txt", {"callbackUrl": callback_server.url,
                                                      "callbackBody": "k=${object}"})
    assert got == status
    if status == 200:
        assert body == callback_server.body
    else:
        assert ET.fromstring(body).findtext("Code") == "CallbackFailed"


def test_five_urls_are_tried_in_turn_until_one_answers(server, callback_server):
    dead = CallbackServer()
    dead.close()
    urls = [dead.url + f"/{n}" for n in range(4)] + [callback_server.url + "/fifth"]
    status, _, body = upload(server, "five.txt", {"callbackUrl": ";".join(urls),
                                                  "callbackBody": "k=${object}"})
    assert (status, json.loads(body)) == (200, {"Status": "OK"})
    assert [r["path"] for r in callback_server.requests] == ["/fifth"]


def _digests(data: bytes) -> dict[str, str]:
    from alibabacloud_oss_v2.crc import Crc64
    crc = Crc64(0)
    crc.update(data)
    return {"etag": f'"{hashlib.md5(data).hexdigest().upper()}"',
            "content-md5": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "x-oss-hash-crc64ecma": str(crc.sum64())}


@pytest.mark.parametrize("answer_status, status, content_type", [
    (200, 200, "application/json"), (500, 203, "application/xml")])
def test_the_upload_answer_keeps_the_objects_etag_md5_and_crc64(
        server, callback_server, answer_status, status, content_type):
    callback_server.status = answer_status
    data = b"digests of the stored object"
    got, headers, _ = upload(server, f"digests-{status}.txt", {
        "callbackUrl": callback_server.url, "callbackBody": "k=${object}"}, data=data)
    assert (got, headers["content-type"]) == (status, content_type)
    assert {k: headers[k] for k in ("etag", "content-md5", "x-oss-hash-crc64ecma")} == \
        _digests(data)


def test_a_failed_upload_makes_no_callback(server, callback_server):
    status, headers, body = call(server, "PUT", f"/{BUCKET}/digest.txt", b"data", {
        "Content-MD5": base64.b64encode(hashlib.md5(b"other").digest()).decode(),
        "x-oss-callback": b64json({"callbackUrl": callback_server.url,
                                   "callbackBody": "k=${object}"})})
    assert status == 400 and ET.fromstring(body).findtext("Code") == "InvalidDigest"
    assert callback_server.requests == []


def test_an_object_gone_before_its_callback_is_a_failed_callback(tmp_path, monkeypatch,
                                                                 callback_server):
    """Another client deletes the object between its upload and the callback: the upload
    is still answered (203 CallbackFailed), and no callback describes an object that is
    no longer there."""
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path) as srv:
        store = srv.service.store
        real_open = store.open

        def open_after_a_delete(bucket, key, *args, **kwargs):
            (tmp_path / bucket / key).unlink(missing_ok=True)
            return real_open(bucket, key, *args, **kwargs)

        monkeypatch.setattr(store, "open", open_after_a_delete)
        status, headers, body = upload(srv, "vanish.txt", {
            "callbackUrl": callback_server.url, "callbackBody": "k=${object}"})
    assert status == 203
    assert ET.fromstring(body).findtext("Code") == "CallbackFailed"
    assert headers["etag"] == _digests(b"payload")["etag"]
    assert callback_server.requests == []


def test_a_signing_key_gone_after_start_up_is_a_failed_callback(tmp_path, callback_server):
    """The key is checked at start-up and read at the first callback: a key removed in
    between fails that callback (203 CallbackFailed); nothing is sent unsigned."""
    pem = tmp_path / "cb.pem"
    rsa_key_pem(pem)
    root = tmp_path / "root"
    (root / BUCKET).mkdir(parents=True)
    with running_server(root, callback_key=pem,
                        callback_pub_key_url="https://keys.example.com/k.pem") as srv:
        pem.unlink()
        status, _, body = upload(srv, "unsigned.txt", {
            "callbackUrl": callback_server.url, "callbackBody": "k=${object}"})
        stored = call(srv, "GET", f"/{BUCKET}/unsigned.txt")[2]
    assert status == 203
    assert ET.fromstring(body).findtext("Code") == "CallbackFailed"
    assert callback_server.requests == []
    assert stored == b"payload"
