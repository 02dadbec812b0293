"""Upload callbacks: the system variables OSS documents, and the signing key's life.

OSS docs "Callback": ``${bucket}``, ``${object}``, ``${etag}`` (without quotes),
``${size}``, ``${mimeType}``, ``${contentMd5}`` (base64 of the body's MD5, as the
Content-MD5 header) are filled in; a form body URL-encodes them. With
``--callback-key`` each callback carries ``authorization``: RSA/MD5 over
``url_decode(path)`` [``?query``] ``\\n`` body -- also when the rendered body is empty.
The key is read once: a key file removed after the first callback does not stop
later ones from being signed.
"""
from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, quote, unquote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.helpers import running_server, rsa_key_pem
from tests.server_http_helpers import call
from tests.callback_env import callback_server  # noqa: F401 (fixture)

BUCKET = "cb-vars"


def b64json(obj: dict) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def test_system_variables_of_a_put(tmp_path, callback_server):
    (tmp_path / BUCKET).mkdir()
    data = b"callback variables \x00\xff"
    callback = {"callbackUrl": callback_server.url + "/cb",
                "callbackBody": "b=${bucket}&o=${object}&e=${etag}&s=${size}"
                                "&t=${mimeType}&m=${contentMd5}"}
    with running_server(tmp_path, region="cn-hangzhou") as srv:
        status, headers, body = call(srv, "PUT", f"/{BUCKET}/dir/v.bin", data, {
            "Content-Type": "application/x-test", "x-oss-callback": b64json(callback)})
    assert (status, json.loads(body)) == (200, {"Status": "OK"})
    [request] = callback_server.requests
    got = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
    assert got == {"b": BUCKET, "o": "dir/v.bin",
                   "e": hashlib.md5(data).hexdigest().upper(), "s": str(len(data)),
                   "t": "application/x-test",
                   "m": base64.b64encode(hashlib.md5(data).digest()).decode()}


def test_the_key_is_read_once_and_empty_bodies_are_signed(tmp_path, callback_server):
    pem = tmp_path / "cb.pem"
    key = rsa_key_pem(pem)
    root = tmp_path / "root"
    (root / BUCKET).mkdir(parents=True)
    callback = {"callbackUrl": callback_server.url + "/signed", "callbackBody": "${x:e}"}
    with running_server(root, callback_key=pem,
                        callback_pub_key_url="https://keys.example.com/k.pem") as srv:
        for n in (1, 2):
            status, _, _ = call(srv, "PUT", f"/{BUCKET}/k{n}.txt", b"x", {
                "x-oss-callback": b64json(callback),
                "x-oss-callback-var": b64json({"x:e": ""})})
            assert status == 200
            pem.unlink(missing_ok=True)          # gone after the first callback
    assert len(callback_server.requests) == 2
    for request in callback_server.requests:
        assert request["body"] == b""
        headers = {k.lower(): v for k, v in request["headers"].items()}
        signed = (unquote(request["path"]) + "\n").encode()
        key.public_key().verify(base64.b64decode(headers["authorization"]), signed,
                                padding.PKCS1v15(), hashes.MD5())   # raises if wrong


def test_a_json_body_of_a_completed_multipart_upload(tmp_path, callback_server):
    """CompleteMultipartUpload's callback: a JSON body carries the key as UTF-8 text (a
    JSON string, no \\u escapes needed) and ${contentMd5} is empty -- a multipart object
    has no MD5 of its bytes (its ETag is the MD5 of the parts' MD5s)."""
    (tmp_path / BUCKET).mkdir()
    key = "目录/文件 é.bin"
    callback = {"callbackUrl": callback_server.url + "/cb",
                "callbackBodyType": "application/json",
                "callbackBody": '{"o":${object},"m":${contentMd5},"s":${size}}'}
    with running_server(tmp_path, region="cn-hangzhou") as srv:
        path = f"/{BUCKET}/" + quote(key)
        status, _, body = call(srv, "POST", path + "?uploads")
        upload_id = body.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
        assert call(srv, "PUT", f"{path}?partNumber=1&uploadId={upload_id}", b"p" * 7)[0] \
            == 200
        status, _, body = call(srv, "POST", f"{path}?uploadId={upload_id}", b"",
                               {"x-oss-complete-all": "yes",
                                "x-oss-callback": b64json(callback)})
    assert (status, json.loads(body)) == (200, {"Status": "OK"})
    [request] = callback_server.requests
    assert json.loads(request["body"]) == {"o": key, "m": "", "s": 7}
    assert key.encode("utf-8") in request["body"]
