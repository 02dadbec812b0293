"""The OSS behaviour the SDKs' upload/download helpers rely on, with oss2 and
alibabacloud-oss-v2 as real clients of a private ``oss-img serve`` on loopback.

Expected values come from the SDKs themselves: oss2 verifies x-oss-hash-crc64ecma
against its own CRC of what it sent/received (enable_crc, on by default) and raises
InconsistentError otherwise; multipart ETags are OSS's "MD5 of the part MD5s"-N form.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io

import pytest
import requests

import oss2
import oss2.credentials
import alibabacloud_oss_v2 as osv2

from core.oss.credentials import Credentials
from tests.helpers import one_bucket_server

REGION = "cn-hangzhou"
CREDS = Credentials("LTAI5tApiServerKey001", "Api+Server/Secret=001")
BUCKET = "api-bucket"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, "private", (CREDS,),
                           region=REGION) as (srv, _):
        yield srv


@pytest.fixture(params=["v1", "v4"])
def bucket(server, request) -> oss2.Bucket:
    auth = (oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret) if request.param == "v1"
            else oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
                CREDS.access_key_id, CREDS.access_key_secret)))
    return oss2.Bucket(auth, server.url, BUCKET, region=REGION)


def crc64(data: bytes) -> str:
    c = oss2.utils.Crc64()
    c.update(data)
    return str(c.crc)


def test_put_keeps_headers_and_metadata(bucket):
    headers = {"Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="a.csv"',
               "Cache-Control": "no-cache", "Content-Encoding": "identity",
               "Expires": "Wed, 01 Jan 2031 00:00:00 GMT",
               "x-oss-meta-author": "ada", "x-oss-meta-n": "1"}
    put = bucket.put_object("meta/a.csv", b"x,y\n1,2\n", headers=headers)
    assert put.crc == int(crc64(b"x,y\n1,2\n"))
    got = bucket.get_object("meta/a.csv")
    assert got.read() == b"x,y\n1,2\n"
    for name, value in headers.items():
        assert got.headers[name] == value, name
    meta = bucket.head_object("meta/a.csv")
    assert meta.content_type == "text/csv" and meta.headers["x-oss-meta-author"] == "ada"
    assert meta.headers["x-oss-hash-crc64ecma"] == crc64(b"x,y\n1,2\n")
    # without a Content-Type, oss2 guesses one from the key ...
    bucket.put_object("meta/b.json", b"{}")
    assert bucket.head_object("meta/b.json").content_type == "application/json"
    # ... and an upload that names none is stored as application/octet-stream, as OSS
    # (oss2's test_put_object_with_sign_url)
    url = bucket.sign_url("PUT", "meta/c.jpg", 60)
    assert bucket.put_object_with_url(url, b"not really a jpeg").status == 200
    assert bucket.head_object("meta/c.jpg").content_type == "application/octet-stream"


def test_unicode_header_value_signs_and_round_trips(bucket):
    """oss2's test_put_object_with_unicode_header: a UTF-8 header value is signed over
    its UTF-8 bytes, so the server must not encode it a second time."""
    value = "中文值 ünïcode"
    bucket.put_object("meta/u.txt", b"u", headers={"x-oss-meta-note": value.encode("utf-8")})
    got = bucket.head_object("meta/u.txt").headers["x-oss-meta-note"]
    assert got.encode("latin-1").decode("utf-8") == value   # requests hands latin-1 text


def test_crc64_checked_by_the_sdk_on_get(bucket):
    data = bytes(range(256)) * 400
    bucket.put_object("crc.bin", data)
    assert bucket.get_object("crc.bin").read() == data      # oss2 raises on a mismatch
    assert bucket.get_object("crc.bin", byte_range=(10, 19)).read() == data[10:20]


def test_multipart_upload_round_trip(bucket):
    key = "mp/big.bin"
    part1, part2 = b"a" * (100 * 1024), b"tail"
    upload_id = bucket.init_multipart_upload(key, headers={"Content-Type": "text/x-mp"}
                                             ).upload_id
    listed = [u.upload_id for u in oss2.MultipartUploadIterator(bucket, prefix="mp/")]
    assert upload_id in listed
    r1 = bucket.upload_part(key, upload_id, 1, part1)
    r2 = bucket.upload_part(key, upload_id, 2, part2)
    assert r1.crc == int(crc64(part1))             # oss2 also checks it against its own
    parts = [p.part_number for p in oss2.PartIterator(bucket, key, upload_id)]
    assert parts == [1, 2]
    done = bucket.complete_multipart_upload(key, upload_id, [oss2.models.PartInfo(1, r1.etag),
                                                             oss2.models.PartInfo(2, r2.etag)],
                                            headers={"x-oss-object-acl": "private"})
    assert bucket.get_object_acl(key).acl == "private"
    md5s = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest()
    assert done.etag == f"{md5s.upper()}-2"
    got = bucket.get_object(key)
    assert got.read() == part1 + part2
    assert got.headers["Content-Type"] == "text/x-mp"
    assert got.headers["x-oss-object-type"] == "Multipart"
    assert upload_id not in [u.upload_id for u in oss2.MultipartUploadIterator(bucket)]


def test_multipart_rules(bucket):
    key = "mp/rules.bin"
    upload_id = bucket.init_multipart_upload(key).upload_id
    small = bucket.upload_part(key, upload_id, 1, b"too small")
    last = bucket.upload_part(key, upload_id, 2, b"last")
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.complete_multipart_upload(key, upload_id, [oss2.models.PartInfo(1, small.etag),
                                                          oss2.models.PartInfo(2, last.etag)])
    assert e.value.code == "EntityTooSmall"
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.complete_multipart_upload(key, upload_id, [oss2.models.PartInfo(2, '"0"')])
    assert e.value.code == "InvalidPart"
    bucket.abort_multipart_upload(key, upload_id)
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        bucket.upload_part(key, upload_id, 3, b"late")


def test_resumable_upload_uses_multipart(bucket, tmp_path):
    data = bytes(range(256)) * 2000           # 512 KB in 200 KB parts
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    oss2.resumable_upload(bucket, "mp/resumable.bin", str(src), multipart_threshold=200 * 1024,
                          part_size=200 * 1024, num_threads=2,
                          store=oss2.ResumableStore(root=str(tmp_path)))
    assert bucket.get_object("mp/resumable.bin").read() == data
    assert bucket.head_object("mp/resumable.bin").headers["x-oss-object-type"] == "Multipart"
    listed = bucket.list_objects_v2(prefix="mp/resumable").object_list
    assert [(o.key, o.type) for o in listed] == [("mp/resumable.bin", "Multipart")]


def test_copy_object_with_metadata_directive(bucket):
    bucket.put_object("cp/src.txt", b"copy me", headers={"Content-Type": "text/x-src",
                                                         "x-oss-meta-k": "v"})
    bucket.copy_object(BUCKET, "cp/src.txt", "cp/same-meta.txt")
    head = bucket.head_object("cp/same-meta.txt")
    assert head.content_type == "text/x-src" and head.headers["x-oss-meta-k"] == "v"
    bucket.copy_object(BUCKET, "cp/src.txt", "cp/new-meta.txt",
                       headers={"x-oss-metadata-directive": "REPLACE",
                                "Content-Type": "text/x-new", "x-oss-meta-z": "1"})
    head = bucket.head_object("cp/new-meta.txt")
    assert head.content_type == "text/x-new" and "x-oss-meta-k" not in head.headers
    assert bucket.get_object("cp/new-meta.txt").read() == b"copy me"
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.copy_object(BUCKET, "cp/none.txt", "cp/x.txt")


def test_delete_multiple_objects(bucket):
    for k in ("dm/a", "dm/b", "dm/c"):
        bucket.put_object(k, b"x")
    result = bucket.batch_delete_objects(["dm/a", "dm/b", "dm/never"])
    assert sorted(result.deleted_keys) == ["dm/a", "dm/b", "dm/never"]
    assert [o.key for o in oss2.ObjectIterator(bucket, prefix="dm/")] == ["dm/c"]


def test_append_object(bucket):
    key = "ap/log.txt"
    bucket.delete_object(key)
    first = bucket.append_object(key, 0, b"hello ")
    assert first.next_position == 6
    second = bucket.append_object(key, first.next_position, b"world", init_crc=first.crc)
    assert second.next_position == 11 and second.crc == int(crc64(b"hello world"))
    assert bucket.get_object(key).read() == b"hello world"
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as e:
        bucket.append_object(key, 3, b"!")
    assert e.value.next_position == 11
    bucket.put_object("ap/normal.txt", b"n")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):
        bucket.append_object("ap/normal.txt", 1, b"!")
    # ListObjects gives each object's Type (oss2's SimplifiedObjectInfo.type), as HEAD does
    listed = {o.key: o.type for o in bucket.list_objects(prefix="ap/").object_list}
    assert listed == {"ap/log.txt": "Appendable", "ap/normal.txt": "Normal"}


def test_object_acl(bucket):
    bucket.put_object("acl/o.txt", b"o", headers={"x-oss-object-acl": "public-read"})
    assert bucket.get_object_acl("acl/o.txt").acl == "public-read"
    bucket.put_object_acl("acl/o.txt", oss2.OBJECT_ACL_PRIVATE)
    assert bucket.get_object_acl("acl/o.txt").acl == "private"
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.put_object("acl/bad.txt", b"o", headers={"x-oss-object-acl": "everyone"})
    assert e.value.status == 400


def test_gzip_when_asked(bucket, server):
    text = b"compress me please " * 200
    bucket.put_object("gz/a.txt", text, headers={"Content-Type": "text/plain"})
    url = bucket.sign_url("GET", "gz/a.txt", 60)
    r = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    raw = r.raw.read(decode_content=False)
    assert r.headers["Content-Encoding"] == "gzip" and gzip.decompress(raw) == text
    assert "Content-Length" not in r.headers and r.headers["Transfer-Encoding"] == "chunked"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers and plain.content == text


def test_list_objects_v2_details(bucket):
    for k in ("v2/a", "v2/b/c", "v2/d"):
        bucket.put_object(k, b"x")
    page = bucket.list_objects_v2(prefix="v2/", delimiter="/", max_keys=1, fetch_owner=True)
    assert [o.key for o in page.object_list] == ["v2/a"] and page.is_truncated
    assert page.object_list[0].owner.id
    rest = bucket.list_objects_v2(prefix="v2/", delimiter="/",
                                  continuation_token=page.next_continuation_token)
    assert rest.prefix_list == ["v2/b/"] and [o.key for o in rest.object_list] == ["v2/d"]
    after = bucket.list_objects_v2(prefix="v2/", start_after="v2/b/c")
    assert [o.key for o in after.object_list] == ["v2/d"]


def test_no_such_bucket_comes_before_the_signature(server):
    stranger = oss2.Bucket(oss2.Auth("LTAI5tNobodyKnowsMe1", "x"), server.url, "missing-bkt")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        stranger.get_object("k")


def test_alibabacloud_oss_v2_uploader_and_copy(server):
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret)
    cfg.region = REGION
    cfg.endpoint = server.url
    client = osv2.Client(cfg)
    data = b"z" * (300 * 1024)
    uploader = client.uploader(part_size=100 * 1024, parallel_num=2,
                               leave_parts_on_error=False)
    result = uploader.upload_from(osv2.PutObjectRequest(bucket=BUCKET, key="v2sdk/up.bin"),
                                  io.BytesIO(data))
    assert result.etag.strip('"').endswith("-3")
    got = client.get_object(osv2.GetObjectRequest(bucket=BUCKET, key="v2sdk/up.bin"))
    assert got.body.read() == data
    assert got.hash_crc64 == crc64(data)
    client.copy_object(osv2.CopyObjectRequest(bucket=BUCKET, key="v2sdk/copy.bin",
                                              source_bucket=BUCKET, source_key="v2sdk/up.bin"))
    head = client.head_object(osv2.HeadObjectRequest(bucket=BUCKET, key="v2sdk/copy.bin"))
    assert head.content_length == len(data)
    deleted = client.delete_multiple_objects(osv2.DeleteMultipleObjectsRequest(
        bucket=BUCKET, objects=[osv2.DeleteObject(key="v2sdk/up.bin"),
                                osv2.DeleteObject(key="v2sdk/copy.bin")]))
    assert sorted(d.key for d in deleted.deleted_objects) == ["v2sdk/copy.bin", "v2sdk/up.bin"]
    md5 = base64.b64encode(hashlib.md5(b"").digest()).decode()
    assert md5   # (DeleteMultipleObjects carries Content-MD5, which the server requires)


def test_symlinks(bucket):
    """oss2's test_put_symlink / test_get_symlink: HEAD of a symlink shows the target's
    length and ETag with the symlink's own metadata; GetSymlink names the target."""
    key, link = "sl/文件\x0c-1.txt", "sl/文件\x0c-2.txt"
    bucket.put_object(key, "hello")
    bucket.put_symlink(key, link, headers={"x-oss-meta-key1": "value1"})
    head = bucket.head_object(link)
    assert head.content_length == 5 and head.etag == hashlib.md5(b"hello").hexdigest().upper()
    assert head.headers["x-oss-meta-key1"] == "value1"
    assert bucket.get_symlink(link).target_key == key
    assert bucket.get_object(link).read() == b"hello"
    bucket.delete_object(link)
    assert bucket.object_exists(key) and not bucket.object_exists(link)
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_symlink(link)


def test_list_uploads_pages_through_prefixes(bucket):
    """oss2's test_upload_iterator: uploads and common prefixes, two a page."""
    prefix = "lu/"
    ids = sorted(bucket.init_multipart_upload(prefix + "same-key").upload_id for _ in range(5))
    dirs = sorted(f"{prefix}d{i}/" for i in range(3))
    for d in dirs:
        bucket.init_multipart_upload(d + "x")
    got_ids, got_dirs = [], []
    for u in oss2.MultipartUploadIterator(bucket, prefix=prefix, delimiter="/", max_uploads=2):
        (got_dirs if u.is_prefix() else got_ids).append(u.key if u.is_prefix() else u.upload_id)
    assert got_ids == ids and got_dirs == dirs
    for u in oss2.MultipartUploadIterator(bucket, prefix=prefix):
        bucket.abort_multipart_upload(u.key, u.upload_id)


def test_gzip_answers_drop_etag_length_and_ranges(bucket, server):
    """OSS FAQ "How do I compress objects that I download from OSS in the GZIP format?":
    objects of at least 1 KB of the listed types (text/html among them) are compressed;
    GetObject and HeadObject then answer Content-Encoding: gzip and no ETag,
    Content-Length or Accept-Ranges."""
    page = b"<html>" + b"<p>hello</p>" * 200 + b"</html>"
    bucket.put_object("gz/p.html", page, headers={"Content-Type": "text/html"})
    for method in ("GET", "HEAD"):
        url = bucket.sign_url(method, "gz/p.html", 60)
        r = requests.request(method, url, headers={"Accept-Encoding": "gzip"}, stream=True,
                             timeout=10)
        assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip", method
        for name in ("ETag", "Content-Length", "Accept-Ranges"):
            assert name not in r.headers, (method, name)
        raw = r.raw.read(decode_content=False)
        assert (gzip.decompress(raw) if method == "GET" else raw) == (
            page if method == "GET" else b"")
    head = bucket.head_object("gz/p.html")            # oss2 asks for no encoding
    assert head.content_length == len(page) and head.etag
    small = b"x" * 1023                                # below 1 KB: as stored
    bucket.put_object("gz/small.txt", small, headers={"Content-Type": "text/plain"})
    r = requests.get(bucket.sign_url("GET", "gz/small.txt", 60),
                     headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert "Content-Encoding" not in r.headers and r.headers["Content-Length"] == "1023"
