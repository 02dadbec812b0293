"""UploadPartCopy by an unsigned request follows the same rule as CopyObject: a
public-read-write bucket lets anyone write (the part is a write of the upload), and the
source must be readable by anyone (OSS "Bucket ACL": public-read-write allows anonymous
writes; a copy reads its source). Each bucket has its own ACL record here, so the
server's open mode does not decide.
"""
from __future__ import annotations

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, error_answer, xml_answer

OPEN, PRIVATE = "pc-open", "pc-private"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("part-copy")
    acls = root / ".oss-bucket-acl"
    acls.mkdir()
    for bucket, acl in ((OPEN, "public-read-write"), (PRIVATE, "private")):
        (root / bucket).mkdir()
        (acls / bucket).write_text(acl)
        (root / bucket / "src.bin").write_bytes(b"0123456789" * 20)
    with running_server(root, "public-read-write", region="cn-hangzhou") as server:
        yield server


def start(srv) -> str:
    return xml_answer(call(srv, "POST", f"/{OPEN}/dst.bin?uploads"),
                      "InitiateMultipartUploadResult").findtext("UploadId")


def test_anonymous_part_copy_from_a_readable_source(srv):
    uid = start(srv)
    root = xml_answer(call(srv, "PUT", f"/{OPEN}/dst.bin?partNumber=1&uploadId={uid}", b"",
                           {"x-oss-copy-source": f"/{OPEN}/src.bin",
                            "x-oss-copy-source-range": "bytes=10-29"}), "CopyPartResult")
    assert root.findtext("ETag")
    parts = xml_answer(call(srv, "GET", f"/{OPEN}/dst.bin?uploadId={uid}"), "ListPartsResult")
    assert [p.findtext("Size") for p in parts.findall("Part")] == ["20"]


def test_anonymous_part_copy_from_a_private_source_is_denied(srv):
    uid = start(srv)
    error_answer(call(srv, "PUT", f"/{OPEN}/dst.bin?partNumber=1&uploadId={uid}", b"",
                      {"x-oss-copy-source": f"/{PRIVATE}/src.bin"}), 403, "AccessDenied")
    parts = xml_answer(call(srv, "GET", f"/{OPEN}/dst.bin?uploadId={uid}"), "ListPartsResult")
    assert parts.findall("Part") == []
