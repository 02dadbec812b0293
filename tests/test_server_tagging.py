"""Object tagging on ``oss-img serve``, with oss2 as the client of a private server.

Expected values come from OSS's documentation ("Object tagging": at most 10 tags, keys of
1-128 and values of 0-256 characters from letters, digits, spaces and ``+-=._:/``; the
EC pages 0010-00000209 (key too long), -212 (key characters), -214 (value too long), -217
(value characters), -219 (``x-oss-tagging`` format)) and from oss2 2.19.1's own tests
(tagging on PutObject, AppendObject's first call only, CopyObject's directive, PutSymlink).
"""
from __future__ import annotations

import hashlib
import json

import pytest
import requests

import alibabacloud_oss_v2 as osv2
import oss2
from oss2.headers import OSS_OBJECT_TAGGING, OSS_OBJECT_TAGGING_COPY_DIRECTIVE
from oss2.models import Tagging, TaggingRule

from core.oss.credentials import Credentials
from tests.helpers import one_bucket_server

REGION = "cn-hangzhou"
CREDS = Credentials("LTAI5tTaggingTestKey1", "Tagging+Secret/For=Tests1")
BUCKET = "tag-bucket"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, "private", (CREDS,),
                           region=REGION) as (srv, root):
        srv.root = root
        yield srv


@pytest.fixture
def bucket(server) -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url,
                       BUCKET, region=REGION)


def tags_of(bucket, key) -> dict[str, str]:
    return bucket.get_object_tagging(key).tag_set.tagging_rule


def tagging(pairs) -> Tagging:
    t = Tagging()
    for k, v in pairs:
        t.tag_set.tagging_rule[k] = v       # unchecked: the server must refuse bad ones
    return t


def oss_error(call, *args, **kw) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as e:
        call(*args, **kw)
    return e.value


def test_a_file_dropped_in_by_hand_takes_tags(server, bucket):
    """A file put into the bucket's folder by hand has no metadata record yet: tagging it
    computes the record (its ETag is the MD5 of its bytes, as for any object) and keeps
    its data."""
    (server.root / BUCKET / "dropped.txt").write_bytes(b"by hand")
    bucket.put_object_tagging("dropped.txt", tagging([("k", "v")]))
    assert tags_of(bucket, "dropped.txt") == {"k": "v"}
    head = bucket.head_object("dropped.txt")
    assert head.etag == hashlib.md5(b"by hand").hexdigest().upper()
    assert bucket.get_object("dropped.txt").read() == b"by hand"


def test_put_get_delete_round_trip(bucket):
    bucket.put_object("t/a.txt", b"data")
    before = bucket.head_object("t/a.txt")
    assert tags_of(bucket, "t/a.txt") == {}
    assert "x-oss-tagging-count" not in before.headers
    rule = TaggingRule()
    rule.add(128 * "k", 256 * "v")
    rule.add("+-.:", "_/")
    rule.add("a b=c", "")
    assert bucket.put_object_tagging("t/a.txt", Tagging(rule)).status == 200
    assert tags_of(bucket, "t/a.txt") == {128 * "k": 256 * "v", "+-.:": "_/", "a b=c": ""}
    head = bucket.head_object("t/a.txt")
    assert head.headers["x-oss-tagging-count"] == "3"
    assert bucket.get_object("t/a.txt").headers["x-oss-tagging-count"] == "3"
    # tagging changes neither the data, its ETag nor Last-Modified (OSS docs)
    assert (head.etag, head.last_modified) == (before.etag, before.last_modified)
    assert bucket.get_object("t/a.txt").read() == b"data"
    assert bucket.delete_object_tagging("t/a.txt").status == 204
    assert tags_of(bucket, "t/a.txt") == {}
    assert "x-oss-tagging-count" not in bucket.head_object("t/a.txt").headers


def test_tags_go_away_with_the_object(bucket):
    bucket.put_object("t/gone.txt", b"1", headers={OSS_OBJECT_TAGGING: "k=v"})
    bucket.delete_object("t/gone.txt")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object_tagging("t/gone.txt")
    bucket.put_object("t/gone.txt", b"2")
    assert tags_of(bucket, "t/gone.txt") == {}
    # an overwrite is a new object: its tags are the ones it was put with
    bucket.put_object("t/gone.txt", b"3", headers={OSS_OBJECT_TAGGING: "a=1"})
    bucket.put_object("t/gone.txt", b"4")
    assert tags_of(bucket, "t/gone.txt") == {}


def test_header_form_is_url_encoded(bucket):
    # oss2's test_copy_object_with_tagging: ' +/ ' = '中文' and '中文' = 'test++/'
    header = "%20%2B/%20=%E4%B8%AD%E6%96%87&%E4%B8%AD%E6%96%87=test%2B%2B/&bare"
    bucket.put_object("t/h.txt", b"x", headers={OSS_OBJECT_TAGGING: header})
    assert tags_of(bucket, "t/h.txt") == {" +/ ": "中文", "中文": "test++/", "bare": ""}
    assert bucket.head_object("t/h.txt").headers["x-oss-tagging-count"] == "3"


@pytest.mark.parametrize("pairs, code, ec", [
    ([(129 * "k", "v")], "InvalidTag", "0010-00000209"),
    ([("%@abc", "v")], "InvalidTag", "0010-00000212"),
    ([("", "v")], "InvalidTag", "0010-00000212"),
    ([("k", 257 * "v")], "InvalidTag", "0010-00000214"),
    ([("k", "%abc")], "InvalidTag", "0010-00000217"),
    ([(f"k{i}", "v") for i in range(11)], "BadRequest", "0010-00000217"),
], ids=["key-129", "key-chars", "key-empty", "value-257", "value-chars", "11-tags"])
def test_tag_limits(bucket, pairs, code, ec):
    bucket.put_object("t/limits.txt", b"x")
    bucket.put_object_tagging("t/limits.txt", tagging([("keep", "me")]))
    err = oss_error(bucket.put_object_tagging, "t/limits.txt", tagging(pairs))
    assert (err.status, err.code, err.details.get("EC")) == (400, code, ec)
    assert tags_of(bucket, "t/limits.txt") == {"keep": "me"}      # nothing changed
    # the same tags in the header of a PUT: refused before anything is written
    header = TaggingRule()
    header.tagging_rule.update(dict(pairs))
    err = oss_error(bucket.put_object, "t/never.txt", b"x",
                    headers={OSS_OBJECT_TAGGING: header.to_query_string()})
    assert (err.status, err.code) == (400, code)
    assert not bucket.object_exists("t/never.txt")


def test_ten_tags_are_the_most(bucket):
    bucket.put_object("t/ten.txt", b"x")
    ten = [(f"k{i}", f"v{i}") for i in range(10)]
    bucket.put_object_tagging("t/ten.txt", tagging(ten))
    assert tags_of(bucket, "t/ten.txt") == dict(ten)


def test_malformed_requests(bucket, server):
    bucket.put_object("t/m.txt", b"x")
    err = oss_error(bucket.put_object, "t/m2.txt", b"x", headers={OSS_OBJECT_TAGGING: "aa=bb=cc"})
    assert (err.code, err.details.get("EC")) == ("InvalidArgument", "0010-00000219")
    url = bucket.sign_url("PUT", "t/m.txt", 60, params={"tagging": ""})
    dup = ("<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
           "<Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>")
    r = requests.put(url, data=dup.encode(), timeout=10)
    assert r.status_code == 400 and b"<Code>InvalidTag</Code>" in r.content
    r = requests.put(url, data=b"<Tagging><TagSet>", timeout=10)
    assert r.status_code == 400 and b"<Code>MalformedXML</Code>" in r.content
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object_tagging("t/no-such-object")
    r = requests.post(bucket.sign_url("POST", "t/m.txt", 60, params={"tagging": ""}),
                      timeout=10)
    assert r.status_code == 405


def test_copy_object_tagging_directive(bucket):
    bucket.put_object("t/src.txt", b"s", headers={OSS_OBJECT_TAGGING: "k1=v1&k2=v2"})
    bucket.copy_object(BUCKET, "t/src.txt", "t/copy.txt")               # default: Copy
    assert tags_of(bucket, "t/copy.txt") == {"k1": "v1", "k2": "v2"}
    bucket.copy_object(BUCKET, "t/src.txt", "t/copy.txt",
                       headers={OSS_OBJECT_TAGGING_COPY_DIRECTIVE: "Replace",
                                OSS_OBJECT_TAGGING: "n=1"})
    assert tags_of(bucket, "t/copy.txt") == {"n": "1"}
    bucket.copy_object(BUCKET, "t/src.txt", "t/copy.txt",
                       headers={OSS_OBJECT_TAGGING_COPY_DIRECTIVE: "REPLACE"})
    assert tags_of(bucket, "t/copy.txt") == {}
    # Copy ignores the header, as the directive says
    bucket.copy_object(BUCKET, "t/src.txt", "t/copy.txt",
                       headers={OSS_OBJECT_TAGGING_COPY_DIRECTIVE: "COPY",
                                OSS_OBJECT_TAGGING: "ignored=1"})
    assert tags_of(bucket, "t/copy.txt") == {"k1": "v1", "k2": "v2"}
    err = oss_error(bucket.copy_object, BUCKET, "t/src.txt", "t/copy.txt",
                    headers={OSS_OBJECT_TAGGING_COPY_DIRECTIVE: "Merge"})
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert err.details["ArgumentName"] == "x-oss-tagging-directive"    # which header


def test_append_takes_tags_on_the_first_call_only(bucket):
    key = "t/append.log"
    fifteen = "&".join(f"k{i}=v{i}" for i in range(15))
    err = oss_error(bucket.append_object, key, 0, b"a", headers={OSS_OBJECT_TAGGING: fifteen})
    assert err.code == "BadRequest" and not bucket.object_exists(key)
    first = bucket.append_object(key, 0, b"abc", headers={OSS_OBJECT_TAGGING: "k=v"})
    # later appends ignore the header, even a bad one (oss2's ..._with_tagging_wrong_num)
    bucket.append_object(key, first.next_position, b"def",
                         headers={OSS_OBJECT_TAGGING: fifteen})
    assert tags_of(bucket, key) == {"k": "v"}
    assert bucket.get_object(key).read() == b"abcdef"


def test_multipart_upload_keeps_the_initiate_tags(bucket):
    key = "t/multi.bin"
    upload = bucket.init_multipart_upload(key, headers={OSS_OBJECT_TAGGING: "part=yes"})
    part = bucket.upload_part(key, upload.upload_id, 1, b"m" * 10)
    bucket.complete_multipart_upload(key, upload.upload_id,
                                     [oss2.models.PartInfo(1, part.etag)])
    assert tags_of(bucket, key) == {"part": "yes"}


def test_symlink_has_its_own_tags(bucket):
    bucket.put_object("t/target.txt", b"hello", headers={OSS_OBJECT_TAGGING: "t=1"})
    bucket.put_symlink("t/target.txt", "t/link", headers={OSS_OBJECT_TAGGING: "l=2"})
    assert tags_of(bucket, "t/link") == {"l": "2"}
    assert tags_of(bucket, "t/target.txt") == {"t": "1"}
    fifteen = "&".join(f"k{i}=v{i}" for i in range(15))
    oss_error(bucket.put_symlink, "t/target.txt", "t/link2",
              headers={OSS_OBJECT_TAGGING: fifteen})
    assert not bucket.object_exists("t/link2")


def test_alibabacloud_oss_v2_reads_the_tags(server):
    """alibabacloud-oss-v2 (as in its test_metadata_tagging_directive_none): tagging on
    PutObject, HeadObject's tagging_count, GetObjectTagging's tag set in order."""
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret)
    cfg.region, cfg.endpoint = REGION, server.url
    client = osv2.Client(cfg)
    client.put_object(osv2.PutObjectRequest(bucket=BUCKET, key="t/v2.txt", body=b"v2",
                                            tagging="TagA=A&TagB=B"))
    head = client.head_object(osv2.HeadObjectRequest(bucket=BUCKET, key="t/v2.txt"))
    assert head.tagging_count == 2
    got = client.get_object_tagging(osv2.GetObjectTaggingRequest(bucket=BUCKET,
                                                                  key="t/v2.txt"))
    assert [(t.key, t.value) for t in got.tag_set.tags] == [("TagA", "A"), ("TagB", "B")]
    client.put_object_tagging(osv2.PutObjectTaggingRequest(
        bucket=BUCKET, key="t/v2.txt",
        tagging=osv2.Tagging(tag_set=osv2.TagSet(tags=[osv2.Tag(key="only", value="1")]))))
    head = client.head_object(osv2.HeadObjectRequest(bucket=BUCKET, key="t/v2.txt"))
    assert head.tagging_count == 1
    client.delete_object_tagging(osv2.DeleteObjectTaggingRequest(bucket=BUCKET,
                                                                 key="t/v2.txt"))
    head = client.head_object(osv2.HeadObjectRequest(bucket=BUCKET, key="t/v2.txt"))
    assert head.tagging_count is None


def test_a_broken_tags_record_serves_defaults(bucket, server):
    bucket.put_object("t/broken.txt", b"b", headers={OSS_OBJECT_TAGGING: "k=v"})
    record = server.service.metas._path(BUCKET, "t/broken.txt")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["tags"] = ["not", "a", "mapping"]                # edited by hand
    record.write_text(json.dumps(data), encoding="utf-8")
    assert bucket.get_object("t/broken.txt").read() == b"b"
    assert tags_of(bucket, "t/broken.txt") == {}
