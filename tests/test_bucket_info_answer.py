"""GetBucketInfo and GetBucketLocation element by element, over raw HTTP.

OSS API reference "GetBucketInfo": ``BucketInfo/Bucket`` holds AccessMonitor,
CreationDate, ExtranetEndpoint, IntranetEndpoint, Location (``oss-<region>``),
StorageClass, TransferAcceleration, CrossRegionReplication, DataRedundancyType, Name,
ResourceGroupId, Owner (ID, DisplayName), AccessControlList/Grant,
ServerSideEncryptionRule/SSEAlgorithm, and Versioning once versioning was ever set
(Enabled or Suspended). The endpoints are host[:port] without the scheme and without
the bucket's label, as OSS's ``oss-cn-hangzhou.aliyuncs.com``, whether the request was
path-style or virtual-hosted (``Host: <bucket>.<domain>``). The Owner and CreationDate
are those ListBuckets names for the bucket. "GetBucketLocation": ``LocationConstraint``
is ``oss-<region>``. Each of ``?bucketInfo``, ``?location`` and ``?stat`` is read with
GET only: another method on it is 405 MethodNotAllowed (RFC 9110 15.5.6).
"""
from __future__ import annotations

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, error_answer, xml_answer

BUCKET = "info-answer"
DOMAIN = "oss-local.test"
ENABLE = b"<VersioningConfiguration><Status>%s</Status></VersioningConfiguration>"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("info-answer")
    (root / BUCKET).mkdir()
    with running_server(root, region="cn-shenzhen", domain=DOMAIN) as server:
        yield server


def info(srv, headers=None, path=f"/{BUCKET}?bucketInfo"):
    root = xml_answer(call(srv, "GET", path, headers=headers),
                      "BucketInfo")
    [bucket] = list(root)
    assert bucket.tag == "Bucket"
    return bucket


def test_every_element_of_bucket_info(srv):
    b = info(srv)
    host = f"127.0.0.1:{srv.port}"
    assert {c.tag: c.text or "" for c in b if len(c) == 0} == {
        "AccessMonitor": "Disabled", "CreationDate": b.findtext("CreationDate"),
        "ExtranetEndpoint": host, "IntranetEndpoint": host, "Location": "oss-cn-shenzhen",
        "StorageClass": "Standard", "TransferAcceleration": "Disabled",
        "CrossRegionReplication": "Disabled", "DataRedundancyType": "LRS",
        "Name": BUCKET, "ResourceGroupId": "", "BlockPublicAccess": "false"}
    assert b.findtext("AccessControlList/Grant") == "public-read-write"    # the server's
    assert b.findtext("ServerSideEncryptionRule/SSEAlgorithm") == "None"
    assert b.find("Versioning") is None                    # never set
    listed = xml_answer(call(srv, "GET", "/"), "ListAllMyBucketsResult")
    [mine] = [x for x in listed.iter("Bucket") if x.findtext("Name") == BUCKET]
    assert b.findtext("CreationDate") == mine.findtext("CreationDate")
    assert [b.findtext("Owner/ID"), b.findtext("Owner/DisplayName")] == [
        listed.findtext("Owner/ID"), listed.findtext("Owner/DisplayName")]
    assert b.findtext("Owner/ID")


def test_versioning_appears_once_set(srv):
    for status in (b"Enabled", b"Suspended"):
        assert call(srv, "PUT", f"/{BUCKET}?versioning", ENABLE % status)[0] == 200
        assert info(srv).findtext("Versioning") == status.decode()


def test_a_virtual_hosted_request_gets_the_endpoint_without_the_bucket(srv):
    b = info(srv, {"Host": f"{BUCKET}.{DOMAIN}:{srv.port}"}, "/?bucketInfo")
    assert (b.findtext("ExtranetEndpoint"), b.findtext("IntranetEndpoint")) == (
        f"{DOMAIN}:{srv.port}", f"{DOMAIN}:{srv.port}")
    assert b.findtext("Name") == BUCKET


def test_location_is_the_region(srv):
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?location"), "LocationConstraint")
    assert root.text == "oss-cn-shenzhen" and list(root) == []


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize("sub", ["bucketInfo", "location", "stat"])
def test_another_method_on_a_read_only_sub_resource_is_405(srv, method, sub):
    fields = error_answer(call(srv, method, f"/{BUCKET}?{sub}"), 405, "MethodNotAllowed")
    assert fields["Method"] == method
