"""PutBucketVersioning's body (OSS API reference "PutBucketVersioning"): a
``VersioningConfiguration`` document whose Status is Enabled or Suspended. No body, another
root element (even one holding a valid Status), or another Status is 400 MalformedXML and
changes nothing; Suspended on a bucket that never had versioning is 400 InvalidArgument.
"""
from __future__ import annotations

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, error_answer, xml_answer

BUCKET = "versioning-body"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("versioning-body")
    (root / BUCKET).mkdir()
    with running_server(root, region="cn-hangzhou") as server:
        yield server


def status(srv) -> str | None:
    return xml_answer(call(srv, "GET", f"/{BUCKET}?versioning"),
                      "VersioningConfiguration").findtext("Status")


@pytest.mark.parametrize("body", [
    b"",
    b"<Versioning><Status>Enabled</Status></Versioning>",
    b"<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>",
    b"<VersioningConfiguration></VersioningConfiguration>",
])
def test_a_body_that_is_not_the_document_is_malformed_xml(srv, body):
    error_answer(call(srv, "PUT", f"/{BUCKET}?versioning", body), 400, "MalformedXML")
    assert status(srv) is None


def test_suspending_a_bucket_that_never_had_versioning_is_invalid_argument(srv):
    error_answer(call(srv, "PUT", f"/{BUCKET}?versioning",
                      b"<VersioningConfiguration><Status>Suspended</Status>"
                      b"</VersioningConfiguration>"), 400, "InvalidArgument")
    assert status(srv) is None
