"""A bucket's own ACL record (``ROOT/.oss-bucket-acl/<bucket>``) that cannot be used:
the server's ACL applies and the operator is told which file is wrong (a warning naming
the path), for a record that is not UTF-8 as for one that holds no ACL. GetBucketAcl
then answers the server's ACL as application/xml (OSS API reference "GetBucketAcl":
AccessControlPolicy/AccessControlList/Grant).
"""
from __future__ import annotations

import logging

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, xml_answer

BUCKET = "acl-records"


@pytest.mark.parametrize("record", [b"\xff\xfe not utf-8", b"public-read-only"])
def test_a_broken_record_is_reported_and_the_servers_acl_applies(tmp_path, caplog, record):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, "public-read-write", region="cn-hangzhou") as srv:
        folder = tmp_path / ".oss-bucket-acl"
        folder.mkdir(exist_ok=True)
        (folder / BUCKET).write_bytes(record)
        with caplog.at_level(logging.WARNING, logger="core.serve"):
            root = xml_answer(call(srv, "GET", f"/{BUCKET}?acl"), "AccessControlPolicy")
        assert root.findtext("AccessControlList/Grant") == "public-read-write"
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(folder / BUCKET) in m for m in messages), messages
