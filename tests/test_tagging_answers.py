"""Object-tagging answers over raw HTTP to an open server, beyond what oss2 models.

Expected values from the OSS API reference: GetObjectTagging answers
``<Tagging><TagSet>...</TagSet></Tagging>`` as application/xml, an empty TagSet for an
object without tags -- also for a file that was put into the served folder by hand (the
server serves such files as objects); PutObjectTagging with a body that is not a Tagging
document with a TagSet is 400 MalformedXML (EC 0010-00000101); a bad tag is 400 InvalidTag
with the EC of the rule it breaks and the offending TagKey.
"""
from __future__ import annotations

import pytest

from tests.helpers import one_bucket_server
from tests.server_http_helpers import call, children, error_answer, xml_answer

BUCKET = "tag-answers"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, region="cn-hangzhou") as answer:
        yield answer


def tag_body(*pairs) -> bytes:
    tags = "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in pairs)
    return f"<Tagging><TagSet>{tags}</TagSet></Tagging>".encode()


def test_a_file_put_into_the_folder_has_no_tags_and_can_get_some(served):
    srv, root = served
    (root / BUCKET / "by-hand.txt").write_bytes(b"written by hand")
    root_el = xml_answer(call(srv, "GET", f"/{BUCKET}/by-hand.txt?tagging"), "Tagging")
    assert children(root_el) == ["TagSet"] and children(root_el.find("TagSet")) == []
    assert call(srv, "PUT", f"/{BUCKET}/by-hand.txt?tagging", tag_body(("a", "1")))[0] == 200
    root_el = xml_answer(call(srv, "GET", f"/{BUCKET}/by-hand.txt?tagging"), "Tagging")
    [tag] = root_el.findall("TagSet/Tag")
    assert (children(tag), tag.findtext("Key"), tag.findtext("Value")) == (
        ["Key", "Value"], "a", "1")
    assert call(srv, "GET", f"/{BUCKET}/by-hand.txt")[2] == b"written by hand"


@pytest.mark.parametrize("body", [
    b"<Tags><TagSet/></Tags>",                   # another root element
    b"<Tagging><Tag><Key>a</Key></Tag></Tagging>",  # no TagSet
])
def test_a_body_that_is_not_a_tag_set_is_malformed(served, body):
    srv, _ = served
    assert call(srv, "PUT", f"/{BUCKET}/m.txt", b"x")[0] == 200
    answer = call(srv, "PUT", f"/{BUCKET}/m.txt?tagging", body)
    error_answer(answer, 400, "MalformedXML")
    assert answer[1]["x-oss-ec"] == "0010-00000101"


@pytest.mark.parametrize("key,value,ec", [
    ("long-value", "v" * 257, "0010-00000214"),
    ("bad-value", "a%b", "0010-00000217"),
    ("k" * 129, "v", "0010-00000209"),
    ("a%b", "v", "0010-00000212"),
])
def test_a_bad_tag_names_its_key(served, key, value, ec):
    srv, _ = served
    assert call(srv, "PUT", f"/{BUCKET}/bad.txt", b"x")[0] == 200
    answer = call(srv, "PUT", f"/{BUCKET}/bad.txt?tagging", tag_body(("ok", "1"), (key, value)))
    err = error_answer(answer, 400, "InvalidTag")
    assert (answer[1]["x-oss-ec"], err["TagKey"]) == (ec, key)
