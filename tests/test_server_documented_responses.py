"""Whole documented responses of the service's core calls, read by the official SDKs.

Each test pins every field a documented response has, as alibabacloud-oss-v2 and oss2
parse it (the SDK's own models name the XML elements and headers of ListObjects,
ListObjectsV2, ListBuckets, HeadObject, GetObjectMeta, PutObject, CopyObject,
AppendObject, GetObjectAcl, GetSymlink, the style calls and DeleteMultipleObjects), and the
error body's ``Code``/``Message``/``RequestId``/``HostId`` with the HTTP status OSS
publishes for that code (shared/spec/oss-signing.md section 5).

Expected values come from outside the server: objects are files put into ROOT with a
known modification time (1,700,000,000 s = Tue, 14 Nov 2023 22:13:20 GMT), so the ETag is
the quoted upper-case MD5 (OSS's ETag of a simple upload), the CRC-64 is the one the SDK
computes, and the times are the ISO 8601 / RFC 1123 forms of that instant.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os

import pytest

import alibabacloud_oss_v2 as osv2
import oss2

from tests.documented_env import (B, CREDS, REGION, T, T_DT, T_HTTP, T_ISO, crc64, etag,
                                  oss2_bucket, serve_documented, service_error, signed_list)


@pytest.fixture
def env(tmp_path):
    yield from serve_documented(tmp_path)


# ----------------------------------------------------------------------------- listing

def test_list_objects_v1_every_element(env):
    client, _, _ = env
    r = client.list_objects(osv2.ListObjectsRequest(bucket=B, max_keys=2))
    assert (r.name, r.max_keys) == (B, 2)
    assert r.is_truncated is True and r.next_marker == "dir/b.txt"
    assert r.encoding_type == "url" and not r.common_prefixes     # the SDK asks for it
    a, b = r.contents
    assert (a.key, a.size, a.etag, a.object_type, a.storage_class) == (
        "a.txt", 5, etag(b"alpha"), "Normal", "Standard")
    assert a.last_modified == T_DT
    assert a.owner.id and a.owner.display_name      # V1 always lists the owner
    assert (b.key, b.size, b.etag) == ("dir/b.txt", 6, etag(b"bravo!"))
    rest = client.list_objects(osv2.ListObjectsRequest(bucket=B, marker=r.next_marker))
    assert [o.key for o in rest.contents] == ["dir/sub/c.txt", "e f+g.txt", "z.bin"]
    assert rest.marker == "dir/b.txt" and rest.max_keys == 100   # OSS's default page
    assert rest.is_truncated is False and rest.next_marker is None


def test_list_objects_v1_delimiter_prefix_and_url_encoding(env):
    client, srv, _ = env
    r = client.list_objects(osv2.ListObjectsRequest(bucket=B, delimiter="/"))
    assert [o.key for o in r.contents] == ["a.txt", "e f+g.txt", "z.bin"]
    assert [p.prefix for p in r.common_prefixes] == ["dir/"]
    assert r.delimiter == "/" and r.is_truncated is False
    r = client.list_objects(osv2.ListObjectsRequest(bucket=B, prefix="dir/", delimiter="/"))
    assert r.prefix == "dir/" and [o.key for o in r.contents] == ["dir/b.txt"]
    assert [p.prefix for p in r.common_prefixes] == ["dir/sub/"]
    # a common prefix counts against max-keys like a key, and is the next marker
    r = client.list_objects(osv2.ListObjectsRequest(bucket=B, delimiter="/", max_keys=2))
    assert [o.key for o in r.contents] == ["a.txt"]
    assert [p.prefix for p in r.common_prefixes] == ["dir/"]
    assert r.is_truncated is True and r.next_marker == "dir/"
    # encoding-type=url (oss2 always asks for it and decodes): keys come back as stored
    raw = oss2_bucket(srv).list_objects(prefix="e", max_keys=1)
    assert [o.key for o in raw.object_list] == ["e f+g.txt"]
    # Prefix, Marker, Delimiter, Key and the common prefixes are URL-encoded
    doc = signed_list(srv, {"encoding-type": "url", "prefix": "e", "marker": "d+",
                             "max-keys": "1", "delimiter": "+"})
    assert doc.findtext("EncodingType") == "url"
    assert (doc.findtext("Prefix"), doc.findtext("Marker"),
            doc.findtext("Delimiter")) == ("e", "d%2B", "%2B")
    assert [p.findtext("Prefix") for p in doc.findall("CommonPrefixes")] == ["e%20f%2B"]
    doc = signed_list(srv, {"encoding-type": "url", "prefix": "dir/", "max-keys": "1"})
    assert doc.findtext("NextMarker") == "dir/b.txt" and doc.findtext("Prefix") == "dir/"
    assert [c.findtext("Key") for c in doc.findall("Contents")] == ["dir/b.txt"]
    doc = signed_list(srv, {"encoding-type": "url", "prefix": "e"})
    assert [c.findtext("Key") for c in doc.findall("Contents")] == ["e%20f%2Bg.txt"]


@pytest.mark.parametrize("auth", ["v1", "v4"])
def test_a_space_in_a_listing_parameter_reaches_the_server_as_the_sdk_meant(env, auth):
    """oss2 sends its parameters through requests, which writes a space as '+' (and a plus
    as %2B); with V4 it signs them as %20. OSS reads '+' as a space, or oss2 could not list
    a prefix with a space in it: before, V4 answered SignatureDoesNotMatch and V1 listed
    nothing."""
    _, srv, _ = env
    auth_obj = (oss2.Auth if auth == "v1" else oss2.AuthV4)(CREDS.access_key_id,
                                                              CREDS.access_key_secret)
    bucket = oss2.Bucket(auth_obj, srv.url, B, region=REGION)
    for prefix in ("e ", "e f+", "e f+g"):
        listed = bucket.list_objects(prefix=prefix)
        assert [o.key for o in listed.object_list] == ["e f+g.txt"], prefix
    assert bucket.list_objects(prefix="e+").object_list == []   # a plus is a plus
    page = bucket.list_objects(marker="dir/sub/c.txt", max_keys=1)
    assert [o.key for o in page.object_list] == ["e f+g.txt"]


def test_list_objects_elements_in_the_documented_order(env):
    _, srv, _ = env
    doc = signed_list(srv, {"max-keys": "1", "delimiter": "/"})
    assert doc.tag == "ListBucketResult"
    assert [c.tag for c in doc][:7] == ["Name", "Prefix", "Marker", "MaxKeys", "Delimiter",
                                         "IsTruncated", "NextMarker"]
    assert (doc.findtext("Prefix"), doc.findtext("Marker"), doc.findtext("NextMarker"),
            doc.findtext("IsTruncated"), doc.findtext("EncodingType")) == (
        "", "", "a.txt", "true", None)
    contents = doc.find("Contents")
    assert [c.tag for c in contents] == ["Key", "LastModified", "ETag", "Type", "Size",
                                         "StorageClass", "Owner"]
    assert contents.findtext("LastModified") == T_ISO
    assert contents.findtext("ETag") == etag(b"alpha")
    assert [c.tag for c in contents.find("Owner")] == ["ID", "DisplayName"]
    v2 = signed_list(srv, {"list-type": "2", "max-keys": "5", "prefix": "dir/",
                            "delimiter": "/", "fetch-owner": "true"})
    assert [c.tag for c in v2][:6] == ["Name", "Prefix", "MaxKeys", "Delimiter",
                                        "IsTruncated", "KeyCount"]
    assert v2.find("Marker") is None and v2.find("NextContinuationToken") is None
    assert (v2.findtext("KeyCount"), v2.findtext("IsTruncated")) == ("2", "false")
    assert v2.find("Contents/Owner/ID") is not None
    assert [p.findtext("Prefix") for p in v2.findall("CommonPrefixes")] == ["dir/sub/"]


def test_list_objects_v2_every_element(env):
    client, _, _ = env
    r = client.list_objects_v2(osv2.ListObjectsV2Request(bucket=B, max_keys=2,
                                                         start_after="a.txt"))
    assert (r.name, r.start_after, r.max_keys, r.key_count) == (B, "a.txt", 2, 2)
    assert [o.key for o in r.contents] == ["dir/b.txt", "dir/sub/c.txt"]
    assert r.is_truncated is True and r.next_continuation_token
    assert all(o.owner is None for o in r.contents)     # V2: only with fetch-owner
    c = r.contents[1]
    assert (c.size, c.etag, c.object_type, c.storage_class, c.last_modified) == (
        7, etag(b"charlie"), "Normal", "Standard", T_DT)
    nxt = client.list_objects_v2(osv2.ListObjectsV2Request(
        bucket=B, continuation_token=r.next_continuation_token, fetch_owner=True))
    assert nxt.continuation_token == r.next_continuation_token and nxt.start_after is None
    assert [o.key for o in nxt.contents] == ["e f+g.txt", "z.bin"]
    assert nxt.key_count == 2 and nxt.is_truncated is False
    assert nxt.next_continuation_token is None
    assert all(o.owner.id for o in nxt.contents)
    r = client.list_objects_v2(osv2.ListObjectsV2Request(bucket=B, delimiter="/",
                                                         prefix="dir/"))
    assert r.key_count == 2 and [o.key for o in r.contents] == ["dir/b.txt"]
    assert [p.prefix for p in r.common_prefixes] == ["dir/sub/"]


@pytest.mark.parametrize("value", ["0", "1001", "-1", "x", "1.5"])
def test_max_keys_outside_1_to_1000_is_invalid_argument(env, value):
    _, srv, _ = env
    with pytest.raises(oss2.exceptions.ServerError) as e:
        oss2_bucket(srv).list_objects(max_keys=value)
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")


def test_max_keys_1000_and_1_are_accepted(env):
    client, _, _ = env
    assert client.list_objects(osv2.ListObjectsRequest(bucket=B, max_keys=1000)
                               ).max_keys == 1000
    r = client.list_objects_v2(osv2.ListObjectsV2Request(bucket=B, max_keys=1))
    assert r.key_count == 1 and r.is_truncated is True


def test_list_buckets_every_element(env):
    client, srv, root = env
    for name in ("docbkt-b", "docbkt-c", "other"):
        (root / name).mkdir()
        os.utime(root / name, (T, T))
    os.utime(root / B, (T, T))
    r = client.list_buckets(osv2.ListBucketsRequest(prefix="docbkt", max_keys=2))
    assert (r.prefix, r.max_keys if r.max_keys is not None else 2) == ("docbkt", 2)
    assert r.is_truncated is True and r.next_marker == "docbkt-b"
    assert [b.name for b in r.buckets] == [B, "docbkt-b"]
    first = r.buckets[0]
    assert (first.location, first.region, first.storage_class) == (
        f"oss-{REGION}", REGION, "Standard")
    assert first.creation_date == T_DT
    host = srv.url.split("//")[1]
    assert first.extranet_endpoint == first.intranet_endpoint == host
    assert r.owner.id and r.owner.display_name
    rest = client.list_buckets(osv2.ListBucketsRequest(prefix="docbkt", marker="docbkt-b"))
    assert rest.marker == "docbkt-b" and rest.is_truncated is False
    assert [b.name for b in rest.buckets] == ["docbkt-c"] and rest.next_marker is None
    every = client.list_buckets(osv2.ListBucketsRequest())
    assert [b.name for b in every.buckets] == [B, "docbkt-b", "docbkt-c", "other"]
    assert every.prefix is None and every.marker is None


# ----------------------------------------------------------------------------- objects

def test_head_object_and_get_object_meta_headers(env):
    client, _, _ = env
    h = client.head_object(osv2.HeadObjectRequest(bucket=B, key="dir/b.txt"))
    assert (h.content_length, h.etag, h.object_type, h.hash_crc64) == (
        6, etag(b"bravo!"), "Normal", crc64(b"bravo!"))
    assert h.last_modified == T_DT and h.content_type == "text/plain"
    assert h.headers["Accept-Ranges"] == "bytes"
    assert h.headers["Last-Modified"] == T_HTTP
    assert len(h.request_id) == 24 and h.status_code == 200
    m = client.get_object_meta(osv2.GetObjectMetaRequest(bucket=B, key="dir/b.txt"))
    assert (m.content_length, m.etag, m.last_modified, m.hash_crc64) == (
        6, etag(b"bravo!"), T_DT, crc64(b"bravo!"))
    g = client.get_object(osv2.GetObjectRequest(bucket=B, key="z.bin"))
    assert g.body.read() == b"\x00" * 3
    assert (g.content_length, g.etag, g.hash_crc64, g.content_type) == (
        3, etag(b"\x00" * 3), crc64(b"\x00" * 3), "application/octet-stream")


def test_ranged_get_headers(env):
    client, _, _ = env
    g = client.get_object(osv2.GetObjectRequest(bucket=B, key="dir/sub/c.txt",
                                                range_header="bytes=2-4"))
    assert g.status_code == 206 and g.body.read() == b"arl"
    assert g.content_range == "bytes 2-4/7" and g.content_length == 3
    g = client.get_object(osv2.GetObjectRequest(bucket=B, key="dir/sub/c.txt",
                                                range_header="bytes=-3"))
    assert g.status_code == 206 and g.body.read() == b"lie"
    assert g.content_range == "bytes 4-6/7"
    g = client.get_object(osv2.GetObjectRequest(bucket=B, key="dir/sub/c.txt",
                                                range_header="bytes=5-"))
    assert g.body.read() == b"ie" and g.content_range == "bytes 5-6/7"


def test_put_object_response_headers(env):
    client, _, root = env
    data = b"put me" * 100
    r = client.put_object(osv2.PutObjectRequest(bucket=B, key="new/put.bin", body=data))
    assert r.status_code == 200 and r.etag == etag(data)
    assert r.content_md5 == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert r.hash_crc64 == crc64(data) and r.version_id is None
    assert (root / B / "new" / "put.bin").read_bytes() == data
    h = client.head_object(osv2.HeadObjectRequest(bucket=B, key="new/put.bin"))
    assert h.content_type == "application/octet-stream" and h.etag == etag(data)
    # oss2 checks the CRC-64 of what it sent against the answer's
    result = oss2_bucket(env[1]).put_object("new/o2.txt", "hello",
                                            headers={"Content-Type": "text/x-test"})
    assert result.etag == hashlib.md5(b"hello").hexdigest().upper()
    assert result.crc == int(crc64(b"hello"))
    assert client.head_object(osv2.HeadObjectRequest(bucket=B, key="new/o2.txt")
                              ).content_type == "text/x-test"


def test_copy_object_result(env):
    client, _, _ = env
    r = client.copy_object(osv2.CopyObjectRequest(bucket=B, key="copy.txt",
                                                  source_key="dir/b.txt"))
    assert r.status_code == 200 and r.etag == etag(b"bravo!")
    assert r.hash_crc64 == crc64(b"bravo!")
    assert r.last_modified.year >= 2024      # the copy is a new object, written now
    g = client.get_object(osv2.GetObjectRequest(bucket=B, key="copy.txt"))
    assert g.body.read() == b"bravo!"


def test_append_object_positions_crc_and_errors(env):
    client, _, _ = env
    first = client.append_object(osv2.AppendObjectRequest(bucket=B, key="log", position=0,
                                                          body=b"abc"))
    assert first.next_position == 3 and first.hash_crc64 == crc64(b"abc")
    second = client.append_object(osv2.AppendObjectRequest(bucket=B, key="log",
                                                           position=3, body=b"de"))
    assert second.next_position == 5 and second.hash_crc64 == crc64(b"abcde")
    h = client.head_object(osv2.HeadObjectRequest(bucket=B, key="log"))
    assert h.object_type == "Appendable" and h.next_append_position == 5
    err = service_error(lambda: client.append_object(osv2.AppendObjectRequest(
        bucket=B, key="log", position=4, body=b"x")))
    assert (err.status_code, err.code) == (409, "PositionNotEqualToLength")
    assert err.headers["x-oss-next-append-position"] == "5"
    err = service_error(lambda: client.append_object(osv2.AppendObjectRequest(
        bucket=B, key="a.txt", position=5, body=b"x")))
    assert (err.status_code, err.code) == (409, "ObjectNotAppendable")


def test_object_acl_round_trip(env):
    client, _, _ = env
    got = client.get_object_acl(osv2.GetObjectAclRequest(bucket=B, key="a.txt"))
    assert got.acl == "default" and got.owner.id and got.owner.display_name
    client.put_object_acl(osv2.PutObjectAclRequest(bucket=B, key="a.txt", acl="public-read"))
    assert client.get_object_acl(osv2.GetObjectAclRequest(bucket=B, key="a.txt")
                                 ).acl == "public-read"
    err = service_error(lambda: client.put_object_acl(osv2.PutObjectAclRequest(
        bucket=B, key="a.txt", acl="everyone")))
    assert (err.status_code, err.code) == (400, "InvalidArgument")


def test_symlink_round_trip(env):
    client, _, _ = env
    client.put_symlink(osv2.PutSymlinkRequest(bucket=B, key="link", target="dir/b.txt"))
    # x-oss-symlink-target is URL-encoded on the wire; oss2 decodes it, the v2 SDK not
    got = client.get_symlink(osv2.GetSymlinkRequest(bucket=B, key="link"))
    assert got.target == "dir%2Fb.txt"
    assert oss2_bucket(env[1]).get_symlink("link").target_key == "dir/b.txt"
    g = client.get_object(osv2.GetObjectRequest(bucket=B, key="link"))
    assert g.body.read() == b"bravo!"
    h = client.head_object(osv2.HeadObjectRequest(bucket=B, key="link"))
    assert h.object_type == "Symlink" and h.etag == etag(b"bravo!")
    err = service_error(lambda: client.get_symlink(osv2.GetSymlinkRequest(bucket=B,
                                                                          key="a.txt")))
    assert (err.status_code, err.code) == (400, "NotSymlink")
    err = service_error(lambda: client.get_symlink(osv2.GetSymlinkRequest(bucket=B,
                                                                          key="none")))
    assert (err.status_code, err.code) == (404, "NoSuchKey")


def test_delete_multiple_objects_result(env):
    client, _, root = env
    r = client.delete_multiple_objects(osv2.DeleteMultipleObjectsRequest(
        bucket=B, objects=[osv2.DeleteObject(key="a.txt"), osv2.DeleteObject(key="e f+g.txt"),
                           osv2.DeleteObject(key="never-there")]))
    assert [d.key for d in r.deleted_objects] == ["a.txt", "e f+g.txt", "never-there"]
    assert all(d.version_id is None and not d.delete_marker for d in r.deleted_objects)
    assert not (root / B / "a.txt").exists() and not (root / B / "e f+g.txt").exists()
    r = client.delete_multiple_objects(osv2.DeleteMultipleObjectsRequest(
        bucket=B, quiet=True, objects=[osv2.DeleteObject(key="z.bin")]))
    assert not r.deleted_objects and not (root / B / "z.bin").exists()
    # oss2 asks for encoding-type=url and decodes the keys
    deleted = oss2_bucket(env[1]).batch_delete_objects(["dir/b.txt", "x y"]).deleted_keys
    assert deleted == ["dir/b.txt", "x y"]


def test_delete_object_is_204_whether_or_not_it_exists(env):
    client, _, root = env
    assert client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="a.txt")
                                ).status_code == 204
    assert not (root / B / "a.txt").exists()
    assert client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="a.txt")
                                ).status_code == 204


# ----------------------------------------------------------------------------- styles

def test_style_calls_every_element(env):
    client, _, _ = env
    client.put_style(osv2.PutStyleRequest(bucket=B, style_name="thumb",
                                          style=osv2.StyleContent(content="image/resize,w_10")))
    client.put_style(osv2.PutStyleRequest(bucket=B, style_name="doc", category="document",
                                          style=osv2.StyleContent(content="doc/preview")))
    result = client.get_style(osv2.GetStyleRequest(bucket=B, style_name="thumb"))
    assert result.headers["Content-Type"] == "application/xml"   # OSS's GetStyle example
    got = result.style
    assert (got.name, got.content, got.category) == ("thumb", "image/resize,w_10", "image")
    for stamp in (got.create_time, got.last_modify_time):
        assert dt.datetime.strptime(stamp, "%a, %d %b %Y %H:%M:%S GMT")   # RFC 1123
    listing = client.list_style(osv2.ListStyleRequest(bucket=B))
    assert listing.headers["Content-Type"] == "application/xml"  # OSS's ListStyle example
    listed = listing.style_list.styles
    assert sorted((s.name, s.content, s.category) for s in listed) == [
        ("doc", "doc/preview", "document"), ("thumb", "image/resize,w_10", "image")]
    assert client.delete_style(osv2.DeleteStyleRequest(bucket=B, style_name="thumb")
                               ).status_code == 204
    err = service_error(lambda: client.get_style(osv2.GetStyleRequest(bucket=B,
                                                                      style_name="thumb")))
    assert err.status_code == 404
    assert [s.name for s in client.list_style(osv2.ListStyleRequest(bucket=B)
                                              ).style_list.styles] == ["doc"]
