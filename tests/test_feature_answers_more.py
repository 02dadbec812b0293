"""More answers of the service's features element by element, over raw HTTP to an open
server (written from the second, fresh mutation sample of issue 16d).

Expected values from the OSS API reference: GetBucketInfo's Bucket holds AccessMonitor;
PutLiveChannel answers CreateLiveChannelResult, GetLiveChannelInfo answers
LiveChannelConfiguration as application/xml, FragDuration and FragCount are 1-100
(both ends accepted), GetVodPlaylist's endTime must be later than startTime;
ListMultipartUploads with encoding-type=url says EncodingType url; an Archive object must
be restored before it is read, also by UploadPartCopy (403 InvalidObjectState);
GetBucketVersioning is 200; sys/saveas needs o_ (MissingArgument) and nothing after it.
"""
from __future__ import annotations

import base64

import pytest

from tests.helpers import one_bucket_server, solid
from tests.server_http_helpers import call, error_answer, xml_answer

BUCKET = "more-answers"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, region="cn-hangzhou") as (server, _):
        yield server


def test_bucket_info_has_access_monitor(srv):
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?bucketInfo"), "BucketInfo")
    assert root.findtext("Bucket/AccessMonitor") == "Disabled"
    assert root.findtext("Bucket/Name") == BUCKET


def test_live_channel_answers_and_fragment_bounds(srv):
    body = (b"<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>1"
            b"</FragDuration><FragCount>100</FragCount></Target></LiveChannelConfiguration>")
    root = xml_answer(call(srv, "PUT", f"/{BUCKET}/edge?live", body), "CreateLiveChannelResult")
    assert root.findtext("PublishUrls/Url").endswith("/live/edge")
    got = xml_answer(call(srv, "GET", f"/{BUCKET}/edge?live"), "LiveChannelConfiguration")
    assert (got.findtext("Target/FragDuration"), got.findtext("Target/FragCount")) == (
        "1", "100")
    body = body.replace(b">1</FragDuration>", b">100</FragDuration>").replace(
        b">100</FragCount>", b">1</FragCount>")
    xml_answer(call(srv, "PUT", f"/{BUCKET}/edge?live", body), "CreateLiveChannelResult")
    got = xml_answer(call(srv, "GET", f"/{BUCKET}/edge?live"), "LiveChannelConfiguration")
    assert (got.findtext("Target/FragDuration"), got.findtext("Target/FragCount")) == (
        "100", "1")
    err = error_answer(call(srv, "GET", f"/{BUCKET}/edge?vod&startTime=5&endTime=3"), 400,
                       "InvalidArgument")
    assert err["ArgumentName"] == "endTime"


def test_list_uploads_with_url_encoding_says_so(srv):
    assert call(srv, "POST", f"/{BUCKET}/a%20b.bin?uploads")[0] == 200
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?uploads&encoding-type=url"),
                      "ListMultipartUploadsResult")
    assert root.findtext("EncodingType") == "url"
    assert [u.findtext("Key") for u in root.findall("Upload")] == ["a%20b.bin"]


def test_part_copy_from_a_frozen_archive_object_is_refused(srv):
    assert call(srv, "PUT", f"/{BUCKET}/frozen.bin", b"f" * 10,
                {"x-oss-storage-class": "Archive"})[0] == 200
    uid = xml_answer(call(srv, "POST", f"/{BUCKET}/copy.bin?uploads"),
                     "InitiateMultipartUploadResult").findtext("UploadId")
    error_answer(call(srv, "PUT", f"/{BUCKET}/copy.bin?partNumber=1&uploadId={uid}", b"",
                      {"x-oss-copy-source": f"/{BUCKET}/frozen.bin"}), 403,
                 "InvalidObjectState")


def test_get_bucket_versioning_is_200(srv):
    status, headers, _ = call(srv, "GET", f"/{BUCKET}?versioning")
    assert (status, headers["content-type"]) == (200, "application/xml")


@pytest.mark.parametrize("tail,code,name", [
    ("sys/saveas", "MissingArgument", "o"),
    (f"sys/saveas,o_{base64.urlsafe_b64encode(b'x.png').decode()}|x",
     "InvalidArgument", "x-oss-process"),
])
def test_saveas_parameters(srv, tail, code, name):
    assert call(srv, "PUT", f"/{BUCKET}/s.png", solid(20, 10))[0] == 200
    err = error_answer(call(srv, "POST", f"/{BUCKET}/s.png?x-oss-process",
                            f"x-oss-process=image/resize,w_10|{tail}".encode()), 400, code)
    assert err["ArgumentName"] == name
