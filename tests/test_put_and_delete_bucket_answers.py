"""PutBucket's and DeleteBucket's answers, over raw HTTP to an open server.

OSS API reference: PutBucket answers 200 with ``Location: /<bucket>``; a
CreateBucketConfiguration StorageClass outside Standard, IA, Archive, ColdArchive,
DeepColdArchive is 400 InvalidArgument (and no bucket is made). DeleteBucket answers 204;
a bucket that still holds previous versions or delete markers, or live channels, is 409
BucketNotEmpty naming the BucketName. A deleted bucket's settings go with it: the same
name created again has no styles, the server's ACL and no versioning.
"""
from __future__ import annotations

import pytest

import alibabacloud_oss_v2 as osv2

from core.oss.credentials import Credentials
from tests.helpers import running_server
from tests.server_http_helpers import call, error_answer, xml_answer

ENABLE = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
CREDS = Credentials("LTAI5tBucketAgain001", "Bucket+Again/Secret1=")
CHANNEL = (b"<LiveChannelConfiguration><Status>enabled</Status><Target><Type>HLS</Type>"
           b"</Target></LiveChannelConfiguration>")


@pytest.fixture
def srv(tmp_path):
    with running_server(tmp_path, region="cn-hangzhou") as server:
        yield server, tmp_path


def test_put_bucket_answers_its_location(srv):
    server, root = srv
    status, headers, _ = call(server, "PUT", "/made-here")
    assert (status, headers["location"]) == (200, "/made-here")
    assert (root / "made-here").is_dir()


def test_list_type_2_makes_only_a_get_a_listing(srv):
    """``list-type=2`` selects ListObjectsV2 for GET; on PUT, HEAD and DELETE of a bucket it
    is an ignored parameter: they stay PutBucket, HeadBucket and DeleteBucket."""
    server, root = srv
    status, headers, _ = call(server, "PUT", "/v2-made?list-type=2")
    assert (status, headers["location"]) == (200, "/v2-made")
    assert (root / "v2-made").is_dir()
    listed = xml_answer(call(server, "GET", "/v2-made?list-type=2"), "ListBucketResult")
    assert listed.findtext("KeyCount") == "0"
    assert call(server, "HEAD", "/v2-made?list-type=2")[:1] == (200,)
    status, _, body = call(server, "DELETE", "/v2-made?list-type=2")
    assert (status, body) == (204, b"")
    assert not (root / "v2-made").exists()


@pytest.mark.parametrize("cls", ["Glacier", "standard", ""])
def test_an_unknown_storage_class_makes_no_bucket(srv, cls):
    server, root = srv
    body = (f"<CreateBucketConfiguration><StorageClass>{cls}</StorageClass>"
            "</CreateBucketConfiguration>").encode()
    fields = error_answer(call(server, "PUT", "/never-made", body), 400, "InvalidArgument")
    assert fields["ArgumentName"] == "StorageClass"
    assert not (root / "never-made").exists()


def not_empty(server, bucket: str) -> None:
    fields = error_answer(call(server, "DELETE", f"/{bucket}"), 409, "BucketNotEmpty")
    assert fields["BucketName"] == bucket


def test_previous_versions_and_delete_markers_keep_a_bucket(srv):
    server, _ = srv
    assert call(server, "PUT", "/kept")[0] == 200
    assert call(server, "PUT", "/kept?versioning", ENABLE)[0] == 200
    assert call(server, "PUT", "/kept/k", b"x")[0] == 200
    assert call(server, "DELETE", "/kept/k")[0] == 204           # a version and a marker
    not_empty(server, "kept")
    listed = xml_answer(call(server, "GET", "/kept?versions"), "ListVersionsResult")
    for node in listed.findall("Version") + listed.findall("DeleteMarker"):
        assert call(server, "DELETE", f"/kept/k?versionId={node.findtext('VersionId')}"
                    )[0] == 204
    assert call(server, "DELETE", "/kept")[0] == 204


def test_a_live_channel_keeps_a_bucket(srv):
    server, _ = srv
    assert call(server, "PUT", "/live-kept")[0] == 200
    assert call(server, "PUT", "/live-kept/cam?live", CHANNEL)[0] == 200
    not_empty(server, "live-kept")
    assert call(server, "DELETE", "/live-kept/cam?live")[0] == 204
    assert call(server, "DELETE", "/live-kept")[0] == 204


def test_a_bucket_made_again_has_none_of_the_old_settings(tmp_path):
    with running_server(tmp_path, "private", (CREDS,), region="cn-hangzhou") as server:
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
            CREDS.access_key_id, CREDS.access_key_secret)
        cfg.region, cfg.endpoint, cfg.retry_max_attempts = "cn-hangzhou", server.url, 1
        c = osv2.Client(cfg)
        c.put_bucket(osv2.PutBucketRequest(bucket="again", acl="public-read"))
        c.put_style(osv2.PutStyleRequest(bucket="again", style_name="small",
                                         style=osv2.StyleContent(content="image/resize,w_9")))
        c.put_bucket_versioning(osv2.PutBucketVersioningRequest(
            bucket="again",
            versioning_configuration=osv2.VersioningConfiguration(status="Enabled")))
        assert c.get_bucket_acl(osv2.GetBucketAclRequest(bucket="again")).acl == "public-read"
        assert c.delete_bucket(osv2.DeleteBucketRequest(bucket="again")).status_code == 204
        c.put_bucket(osv2.PutBucketRequest(bucket="again"))
        assert c.get_bucket_acl(osv2.GetBucketAclRequest(bucket="again")).acl == "private"
        assert not c.list_style(osv2.ListStyleRequest(bucket="again")).style_list.styles
        assert c.get_bucket_versioning(osv2.GetBucketVersioningRequest(
            bucket="again")).version_status is None
