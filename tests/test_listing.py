"""ListObjects through core.oss.client against oss-img serve on loopback: pages, prefixes."""
from __future__ import annotations

import pytest

from core.errors import OssError
from core.oss.client import OssClient
from core.oss.credentials import Credentials
from core.oss.listing import list_query, parse_listing
from core.oss.urls import BucketAddress
from core.serve.runner import serve

CREDS = Credentials("LTAI5tListingKey00001", "Listing+Secret/001=")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("list-root")
    b = root / "photos"
    (b / "cats").mkdir(parents=True)
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (b / "cats" / name).write_bytes(b"x" * 3)
    (b / "dog.png").write_bytes(b"y" * 5)
    srv = serve(root, "127.0.0.1", 0, "private", CREDS, region="cn-hangzhou")
    srv.start()
    yield srv
    srv.stop()


def client_for(srv) -> OssClient:
    host, port = srv.server_address[:2]
    return OssClient(BucketAddress.from_endpoint(f"{host}:{port}", "photos"), CREDS,
                     region="cn-hangzhou")


def test_pages_follow_next_marker(server):
    with client_for(server) as c:
        first = c.list_page("cats/", max_keys=2)
        assert [o.key for o in first.objects] == ["cats/a.jpg", "cats/b.jpg"]
        assert first.truncated and first.next_marker == "cats/b.jpg"
        second = c.list_page("cats/", marker=first.next_marker, max_keys=2)
        assert [o.key for o in second.objects] == ["cats/c.jpg"]
        assert not second.truncated
        assert second.objects[0].size == 3


def test_delimiter_gives_common_prefixes(server):
    with client_for(server) as c:
        page = c.list_page("", delimiter="/")
    assert page.prefixes == ("cats/",)
    assert [o.key for o in page.objects] == ["dog.png"]


def test_bad_max_keys_and_bad_answers():
    with pytest.raises(OssError) as e:
        list_query(max_keys=1001)
    assert e.value.key == "max-keys"
    with pytest.raises(OssError):
        parse_listing(b"<Error/>")
    with pytest.raises(OssError):
        parse_listing(b"not xml")


def test_parses_the_documented_example():
    # The response example of the ListObjects API reference (trimmed).
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
<Name>examplebucket</Name><Prefix>fun/</Prefix><Marker></Marker><MaxKeys>100</MaxKeys>
<Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>
<Contents><Key>fun/test.jpg</Key><LastModified>2012-02-24T08:42:32.000Z</LastModified>
<ETag>"5B3C1A2E053D763E1B002CC607C5A0FE1****"</ETag><Type>Normal</Type><Size>344606</Size>
<StorageClass>Standard</StorageClass></Contents>
<CommonPrefixes><Prefix>fun/movie/</Prefix></CommonPrefixes>
</ListBucketResult>"""
    page = parse_listing(body)
    assert page.objects[0].key == "fun/test.jpg"
    assert page.objects[0].size == 344606
    assert page.objects[0].etag == "5B3C1A2E053D763E1B002CC607C5A0FE1****"
    assert page.prefixes == ("fun/movie/",)
    assert not page.truncated
