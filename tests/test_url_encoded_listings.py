"""ListObjectVersions, ListMultipartUploads and ListParts with ``encoding-type=url``, over raw
HTTP.

OSS API reference (ListObjectVersions, ListMultipartUploads): with ``encoding-type=url``
the answer says ``<EncodingType>url</EncodingType>`` and URL-encodes Delimiter, KeyMarker,
Prefix, NextKeyMarker and every Key (and CommonPrefixes/Prefix); upload and version ids
are not encoded. Expected encodings are RFC 3986 percent-encoding of the UTF-8 bytes
(``urllib.parse.quote``); the keys here hold no ``/``. Without ``encoding-type`` the same
fields are the keys as they are.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, xml_answer

BUCKET = "url-listings"
ENABLE = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
KEY = "\u00fc 1"                     # "ü 1"
GROUPED = ("a b|x", "a b|y")         # one common prefix "a b|" with delimiter "|"


@pytest.fixture
def srv(tmp_path):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, region="cn-hangzhou") as server:
        yield server


def texts(node, *tags):
    return [node.findtext(t) for t in tags]


def test_list_object_versions_encodes_every_key_field(srv):
    assert call(srv, "PUT", f"/{BUCKET}?versioning", ENABLE)[0] == 200
    ids = []
    for body in (b"one", b"two"):
        status, headers, _ = call(srv, "PUT", f"/{BUCKET}/{quote(KEY)}", body)
        assert status == 200
        ids.append(headers["x-oss-version-id"])
    for key in GROUPED:
        assert call(srv, "PUT", f"/{BUCKET}/{quote(key)}", b"g")[0] == 200
    status, headers, _ = call(srv, "DELETE", f"/{BUCKET}/{quote(KEY)}")
    assert status == 204
    marker = headers["x-oss-version-id"]

    page = xml_answer(call(srv, "GET", f"/{BUCKET}?versions&encoding-type=url"
                                       f"&delimiter={quote('|')}&max-keys=2"),
                      "ListVersionsResult")
    assert texts(page, "Prefix", "KeyMarker", "VersionIdMarker", "MaxKeys", "Delimiter",
                 "IsTruncated", "EncodingType", "NextKeyMarker", "NextVersionIdMarker") == [
        "", "", "", "2", quote("|"), "true", "url", quote(KEY), marker]
    assert [p.findtext("Prefix") for p in page.findall("CommonPrefixes")] == [
        quote("a b|")]
    assert [texts(d, "Key", "VersionId") for d in page.findall("DeleteMarker")] == [
        [quote(KEY), marker]]
    assert page.findall("Version") == []

    rest = xml_answer(call(srv, "GET", f"/{BUCKET}?versions&encoding-type=url"
                                       f"&key-marker={quote(KEY)}&version-id-marker={marker}"
                                       f"&prefix={quote(KEY[:2])}"), "ListVersionsResult")
    assert texts(rest, "Prefix", "KeyMarker", "VersionIdMarker", "IsTruncated") == [
        quote(KEY[:2]), quote(KEY), marker, "false"]
    assert [texts(v, "Key", "VersionId") for v in rest.findall("Version")] == [
        [quote(KEY), ids[1]], [quote(KEY), ids[0]]]

    plain = xml_answer(call(srv, "GET", f"/{BUCKET}?versions&prefix={quote(KEY[:2])}"),
                       "ListVersionsResult")
    assert plain.find("EncodingType") is None
    assert texts(plain, "Prefix") == [KEY[:2]]
    assert {v.findtext("Key") for v in plain.findall("Version")} == {KEY}


def test_list_multipart_uploads_encodes_every_key_field(srv):
    uids = {}
    for key in (KEY, *GROUPED):
        uids[key] = xml_answer(call(srv, "POST", f"/{BUCKET}/{quote(key)}?uploads"),
                               "InitiateMultipartUploadResult").findtext("UploadId")
    page = xml_answer(call(srv, "GET", f"/{BUCKET}?uploads&encoding-type=url"
                                       f"&delimiter={quote('|')}&max-uploads=1"),
                      "ListMultipartUploadsResult")
    assert texts(page, "KeyMarker", "UploadIdMarker", "NextKeyMarker", "NextUploadIdMarker",
                 "Delimiter", "Prefix", "MaxUploads", "IsTruncated", "EncodingType") == [
        "", "", quote("a b|"), "", quote("|"), "", "1", "true", "url"]
    assert [p.findtext("Prefix") for p in page.findall("CommonPrefixes")] == [
        quote("a b|")]
    rest = xml_answer(call(srv, "GET", f"/{BUCKET}?uploads&encoding-type=url"
                                       f"&key-marker={quote('a b|')}"
                                       f"&prefix={quote(KEY[:1])}"),
                      "ListMultipartUploadsResult")
    assert texts(rest, "KeyMarker", "Prefix", "NextKeyMarker", "NextUploadIdMarker",
                 "IsTruncated", "Delimiter") == [quote("a b|"), quote(KEY[:1]), quote(KEY),
                                                 uids[KEY], "false", ""]
    assert [texts(u, "Key", "UploadId", "StorageClass") for u in rest.findall("Upload")] == [
        [quote(KEY), uids[KEY], "Standard"]]


def test_list_parts_encodes_the_key_only_when_asked(srv):
    """ListParts (OSS API reference): ``encoding-type=url`` URL-encodes the Key of the answer
    and says ``<EncodingType>url</EncodingType>``; the upload id is not encoded."""
    uid = xml_answer(call(srv, "POST", f"/{BUCKET}/{quote(KEY)}?uploads"),
                     "InitiateMultipartUploadResult").findtext("UploadId")
    assert call(srv, "PUT", f"/{BUCKET}/{quote(KEY)}?partNumber=1&uploadId={uid}",
                b"part one")[0] == 200
    encoded = xml_answer(call(srv, "GET", f"/{BUCKET}/{quote(KEY)}?uploadId={uid}"
                                          "&encoding-type=url"), "ListPartsResult")
    assert texts(encoded, "EncodingType", "Key", "UploadId") == ["url", quote(KEY), uid]
    plain = xml_answer(call(srv, "GET", f"/{BUCKET}/{quote(KEY)}?uploadId={uid}"),
                       "ListPartsResult")
    assert texts(plain, "EncodingType", "Key", "UploadId") == [None, KEY, uid]
    assert [p.findtext("PartNumber") for p in plain.findall("Part")] == ["1"]
