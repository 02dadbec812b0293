"""What alibabacloud-oss-v2's own test_client.py found, checked with that SDK as client:
UploadPartCopy (its copier), ListParts fields, keys with control characters in
DeleteMultipleObjects (the SDK writes them as XML character references), and OSS's
error order: NoSuchBucket, then the signature, then NotImplemented.

Expected values are OSS's documented ones (UploadPartCopy's range is inclusive
``bytes=first-last``; CRC-64/ECMA-182 as the SDK computes it) or the SDK's own.
"""
from __future__ import annotations

import random

import pytest

import alibabacloud_oss_v2 as osv2
from alibabacloud_oss_v2.crc import Crc64

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tV2ClientKey001", "V2Client+Secret/001=")
REGION = "cn-hangzhou"
B = "v2bkt"


def make_client(url: str, creds: Credentials = CREDS) -> osv2.Client:
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret)
    cfg.region, cfg.endpoint = REGION, url
    cfg.retry_max_attempts = 1
    return osv2.Client(cfg)


@pytest.fixture
def env(tmp_path):
    (tmp_path / B).mkdir()
    with running_server(tmp_path, "private", (CREDS,), region=REGION) as srv:
        yield make_client(srv.url), srv


def service_error(call) -> osv2.exceptions.ServiceError:
    with pytest.raises(osv2.exceptions.OperationError) as e:
        call()
    return e.value.unwrap()


def crc64(data: bytes) -> str:
    c = Crc64(0)
    c.update(data)
    return str(c.sum64())


def test_upload_part_copy_ranges_and_list_parts(env):
    client, _ = env
    source = random.Random(13).randbytes(256 * 1024)
    client.put_object(osv2.PutObjectRequest(bucket=B, key="src", body=source))
    init = client.initiate_multipart_upload(osv2.InitiateMultipartUploadRequest(
        bucket=B, key="dst", storage_class="IA"))
    uid = init.upload_id
    first = client.upload_part_copy(osv2.UploadPartCopyRequest(
        bucket=B, key="dst", upload_id=uid, part_number=1, source_key="src",
        source_range="bytes=0-131071"))
    second = client.upload_part_copy(osv2.UploadPartCopyRequest(
        bucket=B, key="dst", upload_id=uid, part_number=2, source_key="src",
        source_range="bytes=131072-262143"))
    assert first.etag and first.etag != second.etag
    parts = client.list_parts(osv2.ListPartsRequest(bucket=B, key="dst", upload_id=uid))
    assert parts.storage_class == "IA"
    assert [(p.part_number, p.size, p.hash_crc64) for p in parts.parts] == [
        (1, 131072, crc64(source[:131072])), (2, 131072, crc64(source[131072:]))]
    client.complete_multipart_upload(osv2.CompleteMultipartUploadRequest(
        bucket=B, key="dst", upload_id=uid,
        complete_multipart_upload=osv2.CompleteMultipartUpload(parts=[
            osv2.UploadPart(part_number=1, etag=first.etag),
            osv2.UploadPart(part_number=2, etag=second.etag)])))
    got = client.get_object(osv2.GetObjectRequest(bucket=B, key="dst"))
    assert got.body.content == source and got.storage_class == "IA"
    assert got.hash_crc64 == crc64(source)
    # a failed copy-source condition is 412, as for CopyObject
    init = client.initiate_multipart_upload(osv2.InitiateMultipartUploadRequest(
        bucket=B, key="dst2"))
    err = service_error(lambda: client.upload_part_copy(osv2.UploadPartCopyRequest(
        bucket=B, key="dst2", upload_id=init.upload_id, part_number=1, source_key="src",
        if_match='"0123456789ABCDEF0123456789ABCDEF"')))
    assert (err.status_code, err.code) == (412, "PreconditionFailed")


def test_copier_copies_a_large_object_in_parts(env):
    client, _ = env
    source = bytes(range(251)) * 2000                         # ~490 KiB
    client.put_object(osv2.PutObjectRequest(bucket=B, key="big", body=source))
    # (a same-bucket copy is a "shallow" CopyObject unless disabled)
    copier = client.copier(part_size=100 * 1024, multipart_copy_threshold=100 * 1024,
                           disable_shallow_copy=True)
    copier.copy(osv2.CopyObjectRequest(bucket=B, key="copy", source_key="big"))
    head = client.head_object(osv2.HeadObjectRequest(bucket=B, key="copy"))
    assert head.object_type == "Multipart" and head.content_length == len(source)
    assert client.get_object(osv2.GetObjectRequest(bucket=B, key="copy")
                             ).body.content == source


def test_delete_multiple_keys_with_control_characters(env):
    client, srv = env
    key = "ctl-" + bytes(range(1, 32)).decode()
    client.put_object(osv2.PutObjectRequest(bucket=B, key=key, body=b"x"))
    for encoding in (None, "url"):
        client.put_object(osv2.PutObjectRequest(bucket=B, key=key, body=b"x"))
        r = client.delete_multiple_objects(osv2.DeleteMultipleObjectsRequest(
            bucket=B, encoding_type=encoding, objects=[osv2.DeleteObject(key=key)]))
        assert [d.key for d in r.deleted_objects] == [key]
        err = service_error(lambda: client.head_object(osv2.HeadObjectRequest(bucket=B,
                                                                              key=key)))
        assert err.status_code == 404


def test_error_order_bucket_then_signature_then_501(env):
    client, srv = env
    bad = make_client(srv.url, Credentials("LTAI5tUnknownKey0001", "nope"))
    # an operation this server does not have, on a missing bucket: NoSuchBucket first
    err = service_error(lambda: client.get_bucket_referer(osv2.GetBucketRefererRequest(
        bucket="no-such-bucket-here")))
    assert (err.status_code, err.code) == (404, "NoSuchBucket")
    # ... on an existing bucket with an unknown key: the signature is checked first
    err = service_error(lambda: bad.get_bucket_referer(osv2.GetBucketRefererRequest(bucket=B)))
    assert (err.status_code, err.code) == (403, "InvalidAccessKeyId")
    # ... correctly signed: 501
    err = service_error(lambda: client.get_bucket_referer(osv2.GetBucketRefererRequest(bucket=B)))
    assert (err.status_code, err.code) == (501, "NotImplemented")
    # service-level sub-resources are refused too, not answered as ListBuckets
    err = service_error(lambda: client.describe_regions(osv2.DescribeRegionsRequest()))
    assert (err.status_code, err.code) == (501, "NotImplemented")


def test_copy_replace_keeps_content_type_and_client_side_encryption_meta(env):
    """As OSS answers alibabacloud-oss-v2's copier tests: REPLACE without a Content-Type
    keeps the source's, and ``x-oss-meta-client-side-encryption-*`` stays with the
    bytes it describes; other metadata is replaced."""
    client, _ = env
    client.put_object(osv2.PutObjectRequest(
        bucket=B, key="cse-src", body=b"ciphertext", content_type="text/plain",
        metadata={"client-side-encryption-key": "a2V5", "flag": "old"}))
    client.copy_object(osv2.CopyObjectRequest(
        bucket=B, key="cse-dst", source_key="cse-src", metadata_directive="REPLACE",
        metadata={"flag": "new"}))
    head = client.head_object(osv2.HeadObjectRequest(bucket=B, key="cse-dst"))
    assert head.content_type == "text/plain"
    assert head.metadata == {"client-side-encryption-key": "a2V5", "flag": "new"}


def test_multipart_upload_without_content_type_is_octet_stream(env):
    client, _ = env
    init = client.initiate_multipart_upload(osv2.InitiateMultipartUploadRequest(
        bucket=B, key="photo.jpg", disable_auto_detect_mime_type=True))
    part = client.upload_part(osv2.UploadPartRequest(
        bucket=B, key="photo.jpg", upload_id=init.upload_id, part_number=1, body=b"x"))
    client.complete_multipart_upload(osv2.CompleteMultipartUploadRequest(
        bucket=B, key="photo.jpg", upload_id=init.upload_id,
        complete_multipart_upload=osv2.CompleteMultipartUpload(parts=[
            osv2.UploadPart(part_number=1, etag=part.etag)])))
    head = client.head_object(osv2.HeadObjectRequest(bucket=B, key="photo.jpg"))
    assert head.content_type == "application/octet-stream"   # not guessed from .jpg


def test_put_bucket_acl_checks_the_key_before_the_bucket(env):
    """OSS's order as alibabacloud-oss-v2's test_put_bucket_acl_fail and
    test_get_bucket_acl_fail record it: for an unknown key on a missing bucket,
    PutBucketAcl is 403 InvalidAccessKeyId, GetBucketAcl 404 NoSuchBucket."""
    client, srv = env
    bad = make_client(srv.url, Credentials("LTAI5tUnknownKey0002", "nope"))
    err = service_error(lambda: bad.put_bucket_acl(osv2.PutBucketAclRequest(
        bucket="missing-bucket-acl", acl="private")))
    assert (err.status_code, err.code) == (403, "InvalidAccessKeyId")
    err = service_error(lambda: bad.get_bucket_acl(osv2.GetBucketAclRequest(
        bucket="missing-bucket-acl")))
    assert (err.status_code, err.code) == (404, "NoSuchBucket")
    # a good key on a missing bucket: NoSuchBucket, and no ACL record is left behind
    err = service_error(lambda: client.put_bucket_acl(osv2.PutBucketAclRequest(
        bucket="missing-bucket-acl", acl="private")))
    assert (err.status_code, err.code) == (404, "NoSuchBucket")
    client.put_bucket(osv2.PutBucketRequest(bucket="missing-bucket-acl"))
    assert client.get_bucket_acl(osv2.GetBucketAclRequest(
        bucket="missing-bucket-acl")).acl == "private"     # the server's --acl

