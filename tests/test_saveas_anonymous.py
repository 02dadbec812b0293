"""sys/saveas by an unsigned request: the target bucket's ACL decides the write.

OSS: public-read-write lets anyone write objects (PutObject), public-read does not
(403 AccessDenied); a saved image is a write of the target object ("Save processed
images"). The source bucket here has no ACL of its own on a public-read-write server (the
server's documented open mode lets the request in); each target has its own ACL record,
so the open mode does not decide the write.
"""
from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import running_server, solid
from tests.server_http_helpers import call, error_answer

SOURCE, OPEN, READ_ONLY = "sa-src", "sa-open", "sa-read"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("saveas-anon")
    acls = root / ".oss-bucket-acl"
    acls.mkdir()
    for bucket in (SOURCE, OPEN, READ_ONLY):
        (root / bucket).mkdir()
    (acls / OPEN).write_text("public-read-write")
    (acls / READ_ONLY).write_text("public-read")
    (root / SOURCE / "src.png").write_bytes(solid(40, 20))
    with running_server(root, "public-read-write", region="cn-hangzhou") as server:
        yield server


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def saveas(srv, key: str, bucket: str):
    return call(srv, "POST", f"/{SOURCE}/src.png?x-oss-process",
                f"x-oss-process=image/resize,w_10|sys/saveas,o_{b64(key)},"
                f"b_{b64(bucket)}".encode())


def test_anonymous_saveas_into_a_public_read_write_bucket(srv):
    status, _, body = saveas(srv, "small.png", OPEN)
    assert status == 200, body
    answer = json.loads(body)
    assert (answer["bucket"], answer["object"], answer["status"]) == (OPEN, "small.png", "OK")
    status, headers, data = call(srv, "GET", f"/{OPEN}/small.png")
    assert (status, headers["content-type"], len(data)) == (200, "image/png",
                                                            answer["fileSize"])


def test_anonymous_saveas_into_a_public_read_bucket_is_denied(srv):
    error_answer(saveas(srv, "x.png", READ_ONLY), 403, "AccessDenied")
    assert call(srv, "HEAD", f"/{READ_ONLY}/x.png")[0] == 404
