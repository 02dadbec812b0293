"""DeleteMultipleObjects' answer, element by element.

Expected values: OSS API reference "DeleteMultipleObjects" and the answers the official SDKs
parse in their own tests (oss2 tests/test_mock_object.py test_batch_delete_objects,
alibabacloud-oss-v2 tests/unit/models/test_object_basic.py): the root DeleteResult holds,
with encoding-type=url, first ``<EncodingType>url</EncodingType>``, then one
``<Deleted><Key>`` per object, in the request's order, each key URL-encoded ('/' kept);
without encoding-type, no EncodingType and the keys as given. Quiet true lists nothing;
Quiet absent means false (verbose). A key that names no object is listed as deleted too.
"""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import pytest

from tests.service_env import handle, one_bucket_service, xml_document

B = "delete-result"
KEYS = ["a b.txt", "dir/c+d.txt", "ünï.txt", "missing.txt"]


@pytest.fixture
def svc(tmp_path):
    service = one_bucket_service(tmp_path, B)
    for key in KEYS[:3]:
        assert handle(service, "PUT", B, key, body=b"x").status == 200
    return service


def delete(svc, keys, quiet=None, url=False):
    quiet_el = "" if quiet is None else f"<Quiet>{quiet}</Quiet>"
    body = ("<Delete>" + quiet_el + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys)
            + "</Delete>").encode("utf-8")
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    query = {"delete": ""} | ({"encoding-type": "url"} if url else {})
    return handle(svc, "POST", B, None, query, body, {"content-md5": md5})


def shape(root):
    return [(child.tag, [(g.tag, g.text) for g in child]) for child in root]


@pytest.mark.parametrize("quiet", [None, "false", "False"])
def test_verbose_answer_with_url_encoding_starts_with_encoding_type(svc, quiet):
    root = xml_document(delete(svc, KEYS, quiet, url=True), "DeleteResult")
    assert shape(root) == [("EncodingType", [])] + [
        ("Deleted", [("Key", quote(k, safe="/"))]) for k in KEYS]
    assert root.find("EncodingType").text == "url"
    for key in KEYS:
        assert handle(svc, "HEAD", B, key).status == 404


@pytest.mark.parametrize("quiet", [None, "false"])
def test_verbose_answer_without_encoding_lists_the_keys_as_given(svc, quiet):
    root = xml_document(delete(svc, KEYS, quiet), "DeleteResult")
    assert shape(root) == [("Deleted", [("Key", k)]) for k in KEYS]


@pytest.mark.parametrize("quiet", ["true", "TRUE"])
@pytest.mark.parametrize("url", [False, True])
def test_quiet_answer_lists_nothing_but_the_encoding(svc, quiet, url):
    root = xml_document(delete(svc, KEYS, quiet, url=url), "DeleteResult")
    assert shape(root) == ([("EncodingType", [])] if url else [])
    for key in KEYS:
        assert handle(svc, "HEAD", B, key).status == 404
