"""PutObjectTagging with a key given twice, over raw HTTP to an open server.

Expected values from OSS's EC page 0010-00000210 ("There are duplicate keys in the request
to configure tags for an object or a bucket": a PutObjectTagging body whose TagSet holds
two Tag elements with the Key ``A``) and the OSS API reference (InvalidTag, 400; a refused
PutObjectTagging changes nothing). Keys are case-sensitive ("Object tagging"), so ``A``
and ``a`` are two keys.
"""
from __future__ import annotations

import pytest

from tests.helpers import one_bucket_server
from tests.server_http_helpers import call, error_answer, xml_answer

BUCKET = "tag-duplicates"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, region="cn-hangzhou") as (server, _):
        assert call(server, "PUT", f"/{BUCKET}/o.txt", b"x")[0] == 200
        yield server


def _body(*pairs) -> bytes:
    tags = "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in pairs)
    return f"<Tagging><TagSet>{tags}</TagSet></Tagging>".encode()


def _tags(srv) -> list[tuple[str, str]]:
    root = xml_answer(call(srv, "GET", f"/{BUCKET}/o.txt?tagging"), "Tagging")
    return [(t.findtext("Key"), t.findtext("Value")) for t in root.findall("TagSet/Tag")]


@pytest.mark.parametrize("pairs", [
    [("A", "Value"), ("A", "Value")],              # the EC page's example
    [("A", "1"), ("b", "2"), ("A", "3")],
])
def test_a_key_given_twice_is_0010_00000210_and_changes_nothing(srv, pairs):
    assert call(srv, "PUT", f"/{BUCKET}/o.txt?tagging", _body(("keep", "me")))[0] == 200
    answer = call(srv, "PUT", f"/{BUCKET}/o.txt?tagging", _body(*pairs))
    err = error_answer(answer, 400, "InvalidTag")
    assert answer[1]["x-oss-ec"] == "0010-00000210"
    assert err["TagKey"] == "A"
    assert _tags(srv) == [("keep", "me")]


def test_keys_differing_in_case_are_two_tags(srv):
    body = _body(("A", "1"), ("a", "2"))
    assert call(srv, "PUT", f"/{BUCKET}/o.txt?tagging", body)[0] == 200
    assert _tags(srv) == [("A", "1"), ("a", "2")]
