"""What UploadPart, UploadPartCopy and CompleteMultipartUpload answer besides their
status, as alibabacloud-oss-v2 reads it (UploadPartResult: ETag, Content-MD5,
x-oss-hash-crc64ecma; UploadPartCopyResult: LastModified, ETag,
x-oss-copy-source-version-id; CompleteMultipartUploadResult: Bucket, Key, Location, ETag,
x-oss-hash-crc64ecma, x-oss-version-id).

Expected values: a part's ETag is the quoted upper-case MD5 of its bytes and Content-MD5
the base64 of that MD5 (RFC 1864); CRCs are the SDK's own CRC-64
(``alibabacloud_oss_v2.crc.Crc64``), the completed object's over all its bytes; the
object's ETag is the MD5 of the parts' MD5s and ``-<parts>``; Location is
``/<bucket>/<key>`` (a URL path: the key percent-encoded); LastModified is the server's
clock (a fixed one here); in a bucket with versioning the copy names its source's version
and Complete the new object's, the one HEAD then reports.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
from urllib.parse import quote

import pytest

import alibabacloud_oss_v2 as osv2
from alibabacloud_oss_v2.crc import Crc64 as SdkCrc64

from tests.helpers import running_server

BUCKET = "mp-results"
T = 1_700_000_000
PART = 100 * 1024


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("mp-results")
    (root / BUCKET).mkdir()
    with running_server(root, region="cn-hangzhou", clock=lambda: float(T)) as server:
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.AnonymousCredentialsProvider()
        cfg.region, cfg.endpoint, cfg.retry_max_attempts = "cn-hangzhou", server.url, 1
        c = osv2.Client(cfg)
        c.put_bucket_versioning(osv2.PutBucketVersioningRequest(
            bucket=BUCKET,
            versioning_configuration=osv2.VersioningConfiguration(status="Enabled")))
        yield c


def crc(data: bytes) -> str:
    c = SdkCrc64(0)
    c.update(data)
    return str(c.sum64())


def test_part_copy_and_complete_answers(client):
    key = "dir/a b+\u00e9.bin"
    source = bytes(range(256)) * 500                      # 128,000 bytes
    src_version = client.put_object(osv2.PutObjectRequest(
        bucket=BUCKET, key="src.bin", body=source)).version_id
    uid = client.initiate_multipart_upload(osv2.InitiateMultipartUploadRequest(
        bucket=BUCKET, key=key)).upload_id

    first = b"p" * PART
    up = client.upload_part(osv2.UploadPartRequest(bucket=BUCKET, key=key, upload_id=uid,
                                                   part_number=1, body=first))
    md5 = hashlib.md5(first)
    assert (up.etag, up.content_md5, up.hash_crc64) == (
        f'"{md5.hexdigest().upper()}"', base64.b64encode(md5.digest()).decode(), crc(first))

    copied = client.upload_part_copy(osv2.UploadPartCopyRequest(
        bucket=BUCKET, key=key, upload_id=uid, part_number=2, source_bucket=BUCKET,
        source_key="src.bin", source_range="bytes=10-109"))
    second = source[10:110]
    assert copied.etag == f'"{hashlib.md5(second).hexdigest().upper()}"'
    assert copied.last_modified == datetime.datetime.fromtimestamp(T, datetime.timezone.utc)
    assert copied.source_version_id == src_version

    done = client.complete_multipart_upload(osv2.CompleteMultipartUploadRequest(
        bucket=BUCKET, key=key, upload_id=uid,
        complete_multipart_upload=osv2.CompleteMultipartUpload(parts=[
            osv2.UploadPart(part_number=1, etag=up.etag),
            osv2.UploadPart(part_number=2, etag=copied.etag)])))
    both = hashlib.md5(md5.digest() + hashlib.md5(second).digest()).hexdigest().upper()
    assert (done.bucket, done.key, done.etag) == (BUCKET, key, f'"{both}-2"')
    assert done.location == f"/{BUCKET}/{quote(key)}"
    assert done.hash_crc64 == crc(first + second)
    head = client.head_object(osv2.HeadObjectRequest(bucket=BUCKET, key=key))
    assert done.version_id and head.version_id == done.version_id
    assert (head.etag, head.content_length) == (done.etag, len(first) + len(second))
