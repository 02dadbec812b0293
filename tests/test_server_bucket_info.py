"""GetBucketInfo, GetBucketLocation, GetBucketStat and PutBucket's configuration, with
alibabacloud-oss-v2 as client (its models parse the answers as they parse OSS's).

Expected values: the OSS documentation's (Location ``oss-<region>``; a bucket's
StorageClass is what objects uploaded without ``x-oss-storage-class`` get; Stat counts
bytes and objects per storage class); the endpoints are the one the client used, host
and port without a scheme, as OSS's ``oss-cn-hangzhou.aliyuncs.com``.
"""
from __future__ import annotations

import pytest

import alibabacloud_oss_v2 as osv2

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tBucketInfoKey1", "BucketInfo+Secret/1=")
REGION = "cn-shanghai"


@pytest.fixture
def env(tmp_path):
    with running_server(tmp_path, "private", (CREDS,), region=REGION) as srv:
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
            CREDS.access_key_id, CREDS.access_key_secret)
        cfg.region, cfg.endpoint = REGION, srv.url
        cfg.retry_max_attempts = 1
        yield osv2.Client(cfg), srv, tmp_path


def test_bucket_info_location_and_default_storage_class(env):
    client, srv, _ = env
    client.put_bucket(osv2.PutBucketRequest(
        bucket="ia-bucket", create_bucket_configuration=osv2.CreateBucketConfiguration(
            storage_class="IA", data_redundancy_type="LRS")))
    info = client.get_bucket_info(osv2.GetBucketInfoRequest(bucket="ia-bucket")).bucket_info
    endpoint = srv.url.removeprefix("http://")
    assert (info.name, info.storage_class, info.location) == ("ia-bucket", "IA",
                                                              f"oss-{REGION}")
    assert info.extranet_endpoint == info.intranet_endpoint == endpoint
    # the bucket's ACL decides (the server's --acl here); no public-access block exists
    assert (info.acl, info.block_public_access, info.data_redundancy_type) == (
        "private", False, "LRS")
    assert info.sse_rule.sse_algorithm == "None" and info.creation_date is not None
    loc = client.get_bucket_location(osv2.GetBucketLocationRequest(bucket="ia-bucket"))
    assert loc.location == f"oss-{REGION}"
    # objects uploaded without a storage class get the bucket's; a given one wins
    client.put_object(osv2.PutObjectRequest(bucket="ia-bucket", key="a", body=b"a"))
    client.put_object(osv2.PutObjectRequest(bucket="ia-bucket", key="s", body=b"s",
                                            storage_class="Standard"))
    heads = [client.head_object(osv2.HeadObjectRequest(bucket="ia-bucket", key=k))
             for k in ("a", "s")]
    assert [h.storage_class for h in heads] == ["IA", "Standard"]


def test_zone_redundancy_is_501(env):
    client, _, root = env
    for config in (osv2.CreateBucketConfiguration(data_redundancy_type="ZRS"),):
        with pytest.raises(osv2.exceptions.OperationError) as e:
            client.put_bucket(osv2.PutBucketRequest(bucket="nope-bucket",
                                                    create_bucket_configuration=config))
        assert e.value.unwrap().status_code == 501
    assert not (root / "nope-bucket").exists()


def test_bucket_stat_counts_by_class_and_versions(env):
    client, _, _ = env
    client.put_bucket(osv2.PutBucketRequest(bucket="stat-bucket"))
    stat = client.get_bucket_stat(osv2.GetBucketStatRequest(bucket="stat-bucket"))
    assert (stat.storage, stat.object_count, stat.multi_part_upload_count,
            stat.delete_marker_count) == (0, 0, 0, 0)
    client.put_object(osv2.PutObjectRequest(bucket="stat-bucket", key="s", body=b"12345"))
    client.put_object(osv2.PutObjectRequest(bucket="stat-bucket", key="i", body=b"123",
                                            storage_class="IA"))
    client.initiate_multipart_upload(osv2.InitiateMultipartUploadRequest(
        bucket="stat-bucket", key="m"))
    client.put_bucket_versioning(osv2.PutBucketVersioningRequest(
        bucket="stat-bucket",
        versioning_configuration=osv2.VersioningConfiguration(status="Enabled")))
    client.put_object(osv2.PutObjectRequest(bucket="stat-bucket", key="s", body=b"1234567"))
    client.delete_object(osv2.DeleteObjectRequest(bucket="stat-bucket", key="i"))
    stat = client.get_bucket_stat(osv2.GetBucketStatRequest(bucket="stat-bucket"))
    # current s (7) + previous s (5) + previous i (3, hidden by a marker)
    assert (stat.storage, stat.object_count) == (15, 3)
    assert (stat.standard_storage, stat.standard_object_count) == (12, 2)
    assert (stat.infrequent_access_storage, stat.infrequent_access_object_count) == (3, 1)
    assert (stat.multi_part_upload_count, stat.delete_marker_count) == (1, 1)
    assert stat.last_modified_time > 0
