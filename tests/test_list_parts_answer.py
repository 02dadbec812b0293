"""ListParts, as alibabacloud-oss-v2 reads it (``ListPartsResult``: Bucket, Key, UploadId,
PartNumberMarker, NextPartNumberMarker, MaxParts, IsTruncated, StorageClass, and per Part
PartNumber, LastModified, ETag, Size, HashCrc64ecma).

Expected values: the OSS API reference "ListParts" (max-parts caps a page, the next page
starts after NextPartNumberMarker; StorageClass is the class the upload was initiated
with), a part's ETag is the quoted upper-case MD5 of its bytes, its CRC-64 the SDK's own
(``alibabacloud_oss_v2.crc.Crc64``).
"""
from __future__ import annotations

import hashlib

import pytest

import alibabacloud_oss_v2 as osv2
from alibabacloud_oss_v2.crc import Crc64 as SdkCrc64

from tests.helpers import running_server

BUCKET = "list-parts"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("list-parts")
    (root / BUCKET).mkdir()
    with running_server(root, region="cn-hangzhou") as server:
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.AnonymousCredentialsProvider()
        cfg.region, cfg.endpoint, cfg.retry_max_attempts = "cn-hangzhou", server.url, 1
        yield osv2.Client(cfg)


def crc(data: bytes) -> str:
    c = SdkCrc64(0)
    c.update(data)
    return str(c.sum64())


@pytest.mark.parametrize("storage_class", ["IA", "Archive"])
def test_every_element_of_a_page_of_parts(client, storage_class):
    key = f"parts-{storage_class}.bin"
    uid = client.initiate_multipart_upload(osv2.InitiateMultipartUploadRequest(
        bucket=BUCKET, key=key, storage_class=storage_class)).upload_id
    data = {1: b"first part", 2: b"2nd", 3: b"the third part"}
    for n, body in data.items():
        client.upload_part(osv2.UploadPartRequest(bucket=BUCKET, key=key, upload_id=uid,
                                                  part_number=n, body=body))
    page = client.list_parts(osv2.ListPartsRequest(bucket=BUCKET, key=key, upload_id=uid,
                                                   max_parts=2))
    assert (page.bucket, page.key, page.upload_id) == (BUCKET, key, uid)
    assert (page.part_number_marker, page.next_part_number_marker, page.max_parts,
            page.is_truncated, page.storage_class) == (0, 2, 2, True, storage_class)
    assert [(p.part_number, p.etag, p.size, p.hash_crc64) for p in page.parts] == [
        (n, f'"{hashlib.md5(data[n]).hexdigest().upper()}"', len(data[n]), crc(data[n]))
        for n in (1, 2)]
    assert all(p.last_modified is not None for p in page.parts)
    rest = client.list_parts(osv2.ListPartsRequest(bucket=BUCKET, key=key, upload_id=uid,
                                                   part_number_marker=2))
    assert (rest.part_number_marker, rest.next_part_number_marker, rest.max_parts,
            rest.is_truncated, rest.storage_class) == (2, 3, 1000, False, storage_class)
    assert [(p.part_number, p.size) for p in rest.parts] == [(3, len(data[3]))]
