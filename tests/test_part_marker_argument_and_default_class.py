"""Two documented defaults and checks, from the service in process (no sockets).

Expected values from the OSS API reference:
- ListParts takes ``part-number-marker``, an integer (the listing starts after that part
  number); anything else is 400 InvalidArgument whose ArgumentName is the parameter,
  ``part-number-marker``.
- Every object has a storage class, Standard unless another was given: HeadObject /
  GetObject answer ``x-oss-storage-class: Standard`` for an object that names none --
  here a file put into the bucket's folder by hand, which has no metadata record at all,
  read as it is or processed (``x-oss-process``).
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.service_env import calls_to, error_fields, one_bucket_service, xml_document

BUCKET = "marker-and-class"


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


call = calls_to(BUCKET)


@pytest.mark.parametrize("marker", ["abc", "-1", "1.5", "1234567"])
def test_a_part_number_marker_that_is_no_number_is_invalid_argument(svc, marker):
    uid = xml_document(call(svc, "POST", "m.bin", {"uploads": ""}),
                       "InitiateMultipartUploadResult").findtext("UploadId")
    assert call(svc, "PUT", "m.bin", {"partNumber": "1", "uploadId": uid}, b"x").status == 200
    err = error_fields(call(svc, "GET", "m.bin", {"uploadId": uid,
                                                  "part-number-marker": marker}),
                       400, "InvalidArgument")
    assert err["ArgumentName"] == "part-number-marker"
    listed = xml_document(call(svc, "GET", "m.bin", {"uploadId": uid,
                                                     "part-number-marker": "0"}),
                          "ListPartsResult")
    assert [p.findtext("PartNumber") for p in listed.findall("Part")] == ["1"]


def test_an_object_with_no_metadata_record_is_standard(svc, tmp_path):
    (tmp_path / BUCKET / "by-hand.txt").write_bytes(b"put here without the server")
    for method in ("HEAD", "GET"):
        resp = call(svc, method, "by-hand.txt")
        assert resp.status == 200
        assert resp.headers["x-oss-storage-class"] == "Standard"
        assert "x-oss-restore" not in resp.headers


def test_a_processed_object_with_no_metadata_record_is_standard(svc, tmp_path):
    png = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(png, "PNG")
    (tmp_path / BUCKET / "by-hand.png").write_bytes(png.getvalue())
    for method in ("HEAD", "GET"):
        resp = call(svc, method, "by-hand.png", {"x-oss-process": "image/resize,w_10"})
        assert resp.status == 200, resp.body
        assert resp.headers["x-oss-storage-class"] == "Standard"
        assert "x-oss-restore" not in resp.headers
