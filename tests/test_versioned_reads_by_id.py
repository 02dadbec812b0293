"""GetObject / HeadObject with a ``versionId`` naming the current version, a previous one
or the null version, and the ``encoding-type`` argument of the bucket listings; from the
service in process (no sockets).

Expected values from the OSS API reference: GetObject "versionId: the version of the
object to get" -- the current version by its id is the object itself, a previous one
its own bytes, ETag and length, and each answer names it in ``x-oss-version-id``; with
versioning Suspended a write is the ``null`` version, read with ``versionId=null``;
ListObjects / ListObjectVersions take ``encoding-type`` with the one value ``url``:
anything else is 400 InvalidArgument naming the argument (``encoding-type``).
A method a sub-resource does not take (``?versioning``: PUT and GET; ``?versions``: GET)
is 405 MethodNotAllowed naming the method in ``Method`` (OSS's error document).
"""
from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

import pytest

from tests.service_env import calls_to, one_bucket_service, set_versioning


BUCKET = "read-by-id"


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


call = calls_to(BUCKET)


def put(svc, key: str, data: bytes) -> str:
    resp = call(svc, "PUT", key, None, data)
    assert resp.status == 200, resp.body
    return resp.headers.get("x-oss-version-id", "")


def read(svc, method, key, version_id):
    resp = call(svc, method, key, {"versionId": version_id})
    assert resp.status == 200, resp.body
    body = b"".join(resp.stream) if resp.stream is not None else resp.body
    return body, resp.headers


def etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest().upper()}"'


def test_every_version_is_read_by_its_id_the_current_one_too(svc):
    set_versioning(svc, BUCKET, "Enabled")
    ids = [put(svc, "k.txt", data) for data in (b"first", b"second!", b"third..")]
    assert len(set(ids)) == 3 and all(ids)
    for vid, data in zip(ids, (b"first", b"second!", b"third..")):
        body, headers = read(svc, "GET", "k.txt", vid)
        assert (body, headers["x-oss-version-id"], headers["ETag"]) == (data, vid, etag(data))
        _, headers = read(svc, "HEAD", "k.txt", vid)
        assert (headers["x-oss-version-id"], headers["ETag"]) == (vid, etag(data))
        assert int(headers["Content-Length"]) == len(data)


def test_the_null_version_is_read_by_null(svc):
    put(svc, "n.txt", b"before versioning")        # the null version, later kept
    set_versioning(svc, BUCKET, "Enabled")
    vid = put(svc, "n.txt", b"enabled write")
    vid2 = put(svc, "n.txt", b"enabled again")            # the null version stays kept
    body, headers = read(svc, "GET", "n.txt", "null")
    assert (body, headers["x-oss-version-id"]) == (b"before versioning", "null")
    set_versioning(svc, BUCKET, "Suspended")
    assert put(svc, "n.txt", b"suspended write") in ("", "null")
    body, headers = read(svc, "GET", "n.txt", "null")      # now the current one
    assert (body, headers["x-oss-version-id"]) == (b"suspended write", "null")
    assert read(svc, "GET", "n.txt", vid)[0] == b"enabled write"
    # ... and the only null version: a write while suspended replaces the kept one
    listing = ET.fromstring(call(svc, "GET", None, {"versions": ""}).body)
    assert [v.findtext("VersionId") for v in listing.iter("Version")] == ["null", vid2, vid]


@pytest.mark.parametrize("query", [{"versions": ""}, {}, {"list-type": "2"}])
@pytest.mark.parametrize("value", ["base64", "URL", "urls"])
def test_an_encoding_type_other_than_url_is_invalid_argument_naming_it(svc, query, value):
    resp = call(svc, "GET", None, {**query, "encoding-type": value})
    assert resp.status == 400
    fields = {c.tag: c.text for c in ET.fromstring(resp.body)}
    assert (fields["Code"], fields["ArgumentName"]) == ("InvalidArgument", "encoding-type")


@pytest.mark.parametrize("query", [{"versions": ""}, {}, {"list-type": "2"}])
def test_an_empty_encoding_type_is_no_encoding(svc, query):
    """``encoding-type=`` (an SDK that always sends the parameter) lists as if it were
    absent, for ListObjectVersions as for ListObjects (V1 and V2): keys as they are."""
    set_versioning(svc, BUCKET, "Enabled")
    put(svc, "a b/c+d.txt", b"x")
    resp = call(svc, "GET", None, {**query, "encoding-type": ""})
    assert resp.status == 200, resp.body
    root = ET.fromstring(resp.body)
    assert [k.text for k in root.iter("Key")] == ["a b/c+d.txt"]
    assert root.find("EncodingType") is None


@pytest.mark.parametrize("sub,method", [("versioning", "POST"), ("versioning", "DELETE"),
                                        ("versions", "PUT"), ("versions", "POST"),
                                        ("versions", "DELETE")])
def test_a_method_a_versioning_resource_does_not_take_is_405(svc, sub, method):
    resp = call(svc, method, None, {sub: ""})
    assert resp.status == 405
    fields = {c.tag: c.text for c in ET.fromstring(resp.body)}
    assert (fields["Code"], fields["Method"]) == ("MethodNotAllowed", method)


def test_an_unreadable_version_index_hides_only_its_own_key(svc, tmp_path):
    """Each key's previous versions have an index file of their own (under
    ROOT/.oss-versions); one that cannot be read leaves ListObjectVersions listing every
    other key's versions. Each index is broken in turn, so the one that breaks is first,
    last and in between in whatever order the folder lists them."""
    set_versioning(svc, BUCKET, "Enabled")
    keys = ["a.txt", "b.txt", "c.txt"]
    for key in keys:
        put(svc, key, b"old " + key.encode())
        put(svc, key, b"new " + key.encode())
    indexes = {json.loads(p.read_text())["key"]: p
               for p in (tmp_path / ".oss-versions" / BUCKET).glob("*/*/index.json")}
    assert sorted(indexes) == keys

    def previous_versions() -> list[str]:
        resp = call(svc, "GET", None, {"versions": ""})
        assert resp.status == 200, resp.body
        return sorted(v.findtext("Key") for v in ET.fromstring(resp.body).iter("Version")
                      if v.findtext("IsLatest") == "false")

    assert previous_versions() == keys
    for broken in keys:
        saved = indexes[broken].read_bytes()
        indexes[broken].write_bytes(b"{not json")
        assert previous_versions() == [k for k in keys if k != broken], broken
        indexes[broken].write_bytes(saved)
