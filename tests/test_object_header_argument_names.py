"""Object calls refused for a bad header name the header in ArgumentName, and write nothing.

Expected values: OSS's InvalidArgument answers carry the offending parameter in
``ArgumentName`` (HTTP 400): CopyObject's x-oss-metadata-directive (COPY or REPLACE only,
"CopyObject" API reference) and x-oss-copy-source (``/bucket/key``), PutObject's and
CopyObject's x-oss-object-acl (default, private, public-read, public-read-write, "PutObject").
"""
from __future__ import annotations

import pytest

from tests.service_env import error_fields, handle, one_bucket_service

B = "argument-names"


@pytest.fixture
def svc(tmp_path):
    service = one_bucket_service(tmp_path, B)
    assert handle(service, "PUT", B, "src.txt", body=b"source").status == 200
    return service


@pytest.mark.parametrize("headers, argument", [
    ({"x-oss-copy-source": f"/{B}/src.txt", "x-oss-metadata-directive": "MOVE"},
     "x-oss-metadata-directive"),
    ({"x-oss-copy-source": f"/{B}/src.txt", "x-oss-metadata-directive": "COPY,REPLACE"},
     "x-oss-metadata-directive"),
    ({"x-oss-copy-source": f"/{B}"}, "x-oss-copy-source"),
    ({"x-oss-copy-source": "/"}, "x-oss-copy-source"),
    ({"x-oss-copy-source": f"/{B}/src.txt", "x-oss-object-acl": "everyone"},
     "x-oss-object-acl"),
    ({"x-oss-object-acl": "public"}, "x-oss-object-acl"),
])
def test_a_bad_header_is_invalid_argument_naming_it(svc, tmp_path, headers, argument):
    fields = error_fields(handle(svc, "PUT", B, "dst.txt", body=b"", headers=headers), 400,
                          "InvalidArgument")
    assert fields["ArgumentName"] == argument
    assert not (tmp_path / B / "dst.txt").exists()
    error_fields(handle(svc, "GET", B, "dst.txt"), 404, "NoSuchKey")


@pytest.mark.parametrize("directive", ["COPY", "REPLACE", "copy", "Replace"])
def test_both_directives_copy_the_bytes(svc, directive):
    resp = handle(svc, "PUT", B, "dst.txt", headers={
        "x-oss-copy-source": f"/{B}/src.txt", "x-oss-metadata-directive": directive})
    assert resp.status == 200
    assert handle(svc, "GET", B, "dst.txt").body == b"source"

