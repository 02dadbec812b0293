"""Error messages OSS publishes, answered word for word (an SDK or a script that matches on
the text must not tell this server from OSS). Each text is written out here from its
source, never imported from the code under test:

- InvalidDigest "The Content-MD5 you specified was invalid." for a Content-MD5 that is
  malformed and for one that does not match the body alike: OSS's "HTTP status code 400"
  page and its FAQ on this error; aliyun-oss-java-sdk asserts it against the live service
  (integrationtests/TestConstants.INVALID_DIGEST_ERR, PutObjectTest).
- MalformedXML "The XML you provided was not well-formed or did not validate against our
  published schema.": OSS's "HTTP status code 400" page; alibabacloud-oss-go-sdk-v2's
  integration test asserts it against the live service.
- InvalidObjectName "The Length of Object name must be less than 1024." for a key of 1024
  bytes or more (OSS keys are 1-1023 bytes): OSS's "HTTP status code 400" page.
- BucketAlreadyExists "The requested bucket name is not available. The bucket namespace is
  shared by all users of the system. Please select a different name and try again.":
  aliyun-oss-java-sdk's CreateBucketTest (TestConstants.BUCKET_ALREADY_EXIST_ERR).
- FileAlreadyExists "The object you specified already exists and can not be overwritten.":
  OSS's "HTTP status code 409" page; aliyun-oss-android-sdk's MultipartUploadTest.
- BucketNotEmpty "The bucket you tried to delete is not empty.": OSS's "HTTP status code
  409" page.
- NoSuchLiveChannel "The specified live channel does not exist.": OSS's "HTTP status code
  404" page.
- Get/PostVodPlaylist over a span without segments: 400 InvalidArgument "No ts file found in
  specified time span.", EC 0044-00000308: aliyun-oss-csharp-sdk's LiveChannelTest asserts
  the text for both calls, ali-oss's rtmp.test.js the EC.
"""
from __future__ import annotations

import base64

import pytest

from tests.helpers import md5_b64
from tests.service_env import calls_to, error_fields, one_bucket_service

BUCKET = "published-texts"
INVALID_DIGEST = "The Content-MD5 you specified was invalid."
MALFORMED_XML = ("The XML you provided was not well-formed or did not validate against our "
                 "published schema.")
call = calls_to(BUCKET)


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


def upload_id(svc, key: str) -> str:
    resp = call(svc, "POST", key, {"uploads": ""})
    assert resp.status == 200, resp.body
    return resp.body.decode().split("<UploadId>")[1].split("</UploadId>")[0]


@pytest.mark.parametrize("md5", ["not base64!", base64.b64encode(b"short").decode(),
                                 md5_b64(b"another body")],
                         ids=["not-base64", "not-16-bytes", "another-body"])
def test_put_object_with_a_bad_content_md5(svc, md5):
    err = error_fields(call(svc, "PUT", "a.txt", body=b"body", headers={"Content-MD5": md5}),
                       400, "InvalidDigest")
    assert err["Message"] == INVALID_DIGEST
    assert call(svc, "HEAD", "a.txt").status == 404          # nothing written


def test_upload_part_with_a_content_md5_of_another_body(svc):
    uid = upload_id(svc, "big.bin")
    err = error_fields(call(svc, "PUT", "big.bin", {"partNumber": "1", "uploadId": uid},
                            b"part one", {"Content-MD5": md5_b64(b"part two")}),
                       400, "InvalidDigest")
    assert err["Message"] == INVALID_DIGEST


def test_an_xml_body_with_a_content_md5_of_another_body(svc):
    body = b"<Delete><Object><Key>a.txt</Key></Object></Delete>"
    err = error_fields(call(svc, "POST", None, {"delete": ""}, body,
                            {"Content-MD5": md5_b64(body + b" ")}), 400, "InvalidDigest")
    assert err["Message"] == INVALID_DIGEST


def delete_multiple(svc, body: bytes):
    return call(svc, "POST", None, {"delete": ""}, body, {"Content-MD5": md5_b64(body)})


@pytest.mark.parametrize("body", [
    b"<Delete><Object><Key>a.txt</Key></Object>",                     # not well-formed
    b"<Remove><Object><Key>a.txt</Key></Object></Remove>",            # another document
    b'<!DOCTYPE d [<!ENTITY e "a.txt">]><Delete><Object><Key>&e;</Key></Object></Delete>',
], ids=["unclosed", "other-root", "doctype"])
def test_delete_multiple_objects_with_a_malformed_body(svc, body):
    err = error_fields(delete_multiple(svc, body), 400, "MalformedXML")
    assert err["Message"] == MALFORMED_XML


def test_complete_multipart_upload_with_a_malformed_body(svc):
    uid = upload_id(svc, "big.bin")
    for body in (b"<CompleteMultipartUpload><Part>", b"<Parts/>"):
        err = error_fields(call(svc, "POST", "big.bin", {"uploadId": uid}, body), 400,
                           "MalformedXML")
        assert err["Message"] == MALFORMED_XML


def test_put_object_tagging_and_put_live_channel_with_another_document(svc):
    assert call(svc, "PUT", "a.txt", body=b"x").status == 200
    err = error_fields(call(svc, "PUT", "a.txt", {"tagging": ""}, b"<TagSet/>"), 400,
                       "MalformedXML")
    assert (err["Message"], err["EC"]) == (MALFORMED_XML, "0010-00000101")
    err = error_fields(call(svc, "PUT", "cam", {"live": ""}, b"<LiveChannel/>"), 400,
                       "MalformedXML")
    assert err["Message"] == MALFORMED_XML


def test_a_bucket_name_taken_by_a_file_in_the_root(tmp_path, svc):
    (tmp_path / "taken-name").write_bytes(b"not a bucket")
    err = error_fields(calls_to("taken-name")(svc, "PUT"), 409, "BucketAlreadyExists")
    assert err["Message"] == (
        "The requested bucket name is not available. The bucket namespace is shared by all "
        "users of the system. Please select a different name and try again.")
    assert (tmp_path / "taken-name").read_bytes() == b"not a bucket"


def test_forbid_overwrite_of_an_existing_object(svc):
    assert call(svc, "PUT", "a.txt", body=b"first").status == 200
    err = error_fields(call(svc, "PUT", "a.txt", body=b"second",
                            headers={"x-oss-forbid-overwrite": "true"}),
                       409, "FileAlreadyExists")
    assert err["Message"] == ("The object you specified already exists and can not be "
                              "overwritten.")
    assert call(svc, "GET", "a.txt").body == b"first"


def test_delete_bucket_holding_an_object(svc):
    assert call(svc, "PUT", "a.txt", body=b"x").status == 200
    err = error_fields(call(svc, "DELETE"), 409, "BucketNotEmpty")
    assert err["Message"] == "The bucket you tried to delete is not empty."


def test_no_such_live_channel(svc):
    err = error_fields(call(svc, "GET", "cam", {"live": ""}), 404, "NoSuchLiveChannel")
    assert err["Message"] == "The specified live channel does not exist."


def test_vod_playlists_of_a_span_without_segments(svc):
    assert call(svc, "PUT", "cam", {"live": ""},
                b"<LiveChannelConfiguration/>").status == 200
    span = {"startTime": "1700000000", "endTime": "1700003600"}
    for method, key in (("GET", "cam"), ("POST", "cam/vod.m3u8")):
        err = error_fields(call(svc, method, key, {"vod": "", **span}), 400,
                           "InvalidArgument")
        assert (err["Message"], err["EC"]) == ("No ts file found in specified time span.",
                                               "0044-00000308")
    assert call(svc, "GET", "cam/vod.m3u8").status == 404    # no playlist written


@pytest.mark.parametrize("segment", ["k" * 255, "\u4e2d" * 85], ids=["ascii", "utf-8"])
def test_a_key_of_1024_bytes(svc, segment):
    key = "/".join([segment] * 4)       # 1023 bytes (segments of 255: a file name's limit)
    err = error_fields(call(svc, "PUT", key + "k", body=b"x"), 400, "InvalidObjectName")
    assert err["Message"] == "The Length of Object name must be less than 1024."
    assert call(svc, "PUT", key, body=b"x").status == 200
    assert call(svc, "GET", key).body == b"x"
