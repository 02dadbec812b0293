"""ListObjectVersions names each version's own Type, previous versions included.

OSS API reference (ListObjectVersions, Version/Type): Normal for a simple upload,
Multipart for an object made by CompleteMultipartUpload, Appendable for one made by
AppendObject. Objects made before versioning was enabled become the ``null`` version when
overwritten, and keep their type, their ETag (a multipart one ends in ``-<parts>``) and
their size.
"""
from __future__ import annotations

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, xml_answer

BUCKET = "version-types"
ENABLE = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"


@pytest.fixture
def srv(tmp_path):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, region="cn-hangzhou") as server:
        yield server


def test_previous_versions_keep_their_type(srv):
    status, appended, _ = call(srv, "POST", f"/{BUCKET}/app?append&position=0", b"abc")
    assert status == 200
    uid = xml_answer(call(srv, "POST", f"/{BUCKET}/mp?uploads"),
                     "InitiateMultipartUploadResult").findtext("UploadId")
    etag = call(srv, "PUT", f"/{BUCKET}/mp?partNumber=1&uploadId={uid}", b"multi")[1]["etag"]
    done = xml_answer(call(srv, "POST", f"/{BUCKET}/mp?uploadId={uid}",
                           f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                           f"<ETag>{etag}</ETag></Part></CompleteMultipartUpload>".encode()),
                      "CompleteMultipartUploadResult").findtext("ETag")
    assert call(srv, "PUT", f"/{BUCKET}/plain", b"normal")[0] == 200
    assert call(srv, "PUT", f"/{BUCKET}?versioning", ENABLE)[0] == 200
    for key in ("app", "mp", "plain"):
        assert call(srv, "PUT", f"/{BUCKET}/{key}", b"new!")[0] == 200

    listed = xml_answer(call(srv, "GET", f"/{BUCKET}?versions"), "ListVersionsResult")
    got = [[v.findtext(t) for t in ("Key", "VersionId", "IsLatest", "Type", "Size")]
           for v in listed.findall("Version")]
    assert [row for row in got if row[2] == "false"] == [
        ["app", "null", "false", "Appendable", "3"],
        ["mp", "null", "false", "Multipart", "5"],
        ["plain", "null", "false", "Normal", "6"]]
    assert {row[3] for row in got if row[2] == "true"} == {"Normal"}
    previous = {v.findtext("Key"): v.findtext("ETag") for v in listed.findall("Version")
                if v.findtext("IsLatest") == "false"}
    assert previous["mp"] == done and done.endswith('-1"')
    assert previous["app"] == appended["etag"]
