"""A CompleteMultipartUpload whose upload is aborted while the object is being written,
from the service in process (no sockets).

Another request (an AbortMultipartUpload, or a second Complete, of the same upload id) may
remove the upload's folder after Complete has read the parts. Expected, as OSS documents
for Complete: the object made of the parts exists and is answered 200 with its
multipart ETag (MD5 of the parts' MD5s, ``-N``); the upload is gone afterwards (404
NoSuchUpload naming the UploadId). Not an internal error.
"""
from __future__ import annotations

import hashlib
import shutil

import pytest

from tests.service_env import calls_to, error_fields, one_bucket_service, xml_document

BUCKET = "complete-race"
PART = 100 * 1024                      # OSS's smallest part but the last


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


call = calls_to(BUCKET)


def test_an_upload_aborted_while_completing_still_makes_the_object(svc):
    uid = xml_document(call(svc, "POST", "race.bin", {"uploads": ""}),
                       "InitiateMultipartUploadResult").findtext("UploadId")
    parts = [b"a" * PART, b"tail"]
    for n, data in enumerate(parts, 1):
        assert call(svc, "PUT", "race.bin", {"partNumber": str(n), "uploadId": uid},
                    data).status == 200
    folder, _ = svc.uploads.info(BUCKET, "race.bin", uid)
    write = svc._write

    def aborted_meanwhile(*args, **kwargs):
        result = write(*args, **kwargs)
        shutil.rmtree(folder)              # the other request's removal
        return result

    svc._write = aborted_meanwhile
    root = xml_document(call(svc, "POST", "race.bin", {"uploadId": uid}, b"",
                             {"x-oss-complete-all": "yes"}), "CompleteMultipartUploadResult")
    del svc._write
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert root.findtext("ETag") == f'"{digest.upper()}-2"'
    got = call(svc, "GET", "race.bin")
    assert (got.status, b"".join(got.stream) if got.stream is not None else got.body) \
        == (200, b"".join(parts))
    err = error_fields(call(svc, "GET", "race.bin", {"uploadId": uid}), 404, "NoSuchUpload")
    assert err["UploadId"] == uid
