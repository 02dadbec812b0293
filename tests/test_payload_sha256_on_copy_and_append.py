"""x-oss-content-sha256 is the SHA-256 of the request's own payload (OSS V4 signature,
"x-oss-content-sha256": the hex digest of the request body, or UNSIGNED-PAYLOAD). A call
that writes bytes other than its payload -- CopyObject (empty payload, the source's bytes
written) and AppendObject (the payload appended to what is there) -- is accepted with the
digest of its payload; PutObject's payload is the object, so there a wrong digest is
refused (InvalidDigest, HTTP 400) and nothing is written.
"""
from __future__ import annotations

import hashlib

from tests.service_env import error_fields, handle, one_bucket_service

B = "payload-sha"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_copy_object_with_the_digest_of_its_empty_payload(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    assert handle(svc, "PUT", B, "src.txt", body=b"source bytes",
                  headers={"x-oss-content-sha256": sha(b"source bytes")}).status == 200
    resp = handle(svc, "PUT", B, "dst.txt", headers={
        "x-oss-copy-source": f"/{B}/src.txt", "x-oss-content-sha256": sha(b"")})
    assert resp.status == 200, resp.body
    assert handle(svc, "GET", B, "dst.txt").body == b"source bytes"


def test_append_object_with_the_digest_of_each_payload(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    position = 0
    for part in (b"first,", b"second,", b"third"):
        resp = handle(svc, "POST", B, "log.txt", {"append": "", "position": str(position)},
                      part, {"x-oss-content-sha256": sha(part)})
        assert resp.status == 200, resp.body
        position = int(resp.headers["x-oss-next-append-position"])
    assert handle(svc, "GET", B, "log.txt").body == b"first,second,third"


def test_put_object_with_a_wrong_digest_is_invalid_digest(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    resp = handle(svc, "PUT", B, "p.txt", body=b"payload",
                  headers={"x-oss-content-sha256": sha(b"other")})
    error_fields(resp, 400, "InvalidDigest")
    error_fields(handle(svc, "GET", B, "p.txt"), 404, "NoSuchKey")
