"""``oss-img serve`` at the boundaries, over real HTTP (black box, so the tests outlive any
rewrite of the service's internals).

OSS GetObject (help doc "GetObject", Range and conditional headers): an invalid or
unsatisfiable Range gets the whole object with 200; If-Modified-Since answers 304 when the
object was *not* modified after the given time (so the exact Last-Modified second is 304);
If-Unmodified-Since answers 412 when it *was* modified after the time.

The answers element by element: expected values from the OSS API reference (the response
elements of ListBuckets, ListMultipartUploads, ListParts, ListLiveChannel,
DeleteMultipleObjects; the error table, code *and* HTTP status) and alibabacloud-oss-v2's
models, whose XML names are the ones an SDK reads. Written from issue 16's mutation run:
each test pins something a surviving mutant had changed unnoticed.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import xml.etree.ElementTree as ET
from email.utils import formatdate, parsedate_to_datetime

import pytest

from core.serve.runner import serve
from tests.helpers import running_server

BODY = bytes(range(100))


@pytest.fixture
def web(tmp_path):
    root = tmp_path / "root"
    (root / "bkt").mkdir(parents=True)
    (root / "bkt" / "r.bin").write_bytes(BODY)
    server = serve(root, "127.0.0.1", 0, "public-read")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def get(server, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# -- Range: both sides of "first byte past the end" ----------------------------------------

@pytest.mark.parametrize("spec,first,last", [
    ("bytes=99-150", 99, 99),      # last byte: satisfiable, clipped to the end
    ("bytes=0-0", 0, 0),
    ("bytes=98-99", 98, 99),
    ("bytes=-1", 99, 99),
    ("bytes=-100", 0, 99),
    ("bytes=-150", 0, 99),         # suffix longer than the object: the whole object, as 206
    ("bytes=0-", 0, 99),           # open-ended (RFC 9110 14.1.2): from the first byte on
    ("bytes=50-", 50, 99),
])
def test_satisfiable_ranges_are_partial(web, spec, first, last):
    status, headers, body = get(web, "/bkt/r.bin", {"Range": spec})
    assert status == 206
    assert body == BODY[first:last + 1]
    assert headers["content-range"] == f"bytes {first}-{last}/100"
    assert headers["content-length"] == str(last - first + 1)


@pytest.mark.parametrize("spec", ["bytes=100-150", "bytes=100-", "bytes=101-200", "bytes=-0"])
def test_ranges_starting_past_the_end_get_the_whole_object(web, spec):
    status, headers, body = get(web, "/bkt/r.bin", {"Range": spec})
    assert (status, body) == (200, BODY)
    assert "content-range" not in headers


# -- conditional GET at the exact second ---------------------------------------------------

def _last_modified(web) -> float:
    status, headers, _ = get(web, "/bkt/r.bin", method="HEAD")
    assert status == 200
    return parsedate_to_datetime(headers["last-modified"]).timestamp()


def _http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


@pytest.mark.parametrize("offset,expected", [(0, 304), (1, 304), (-1, 200)])
def test_if_modified_since_boundary(web, offset, expected):
    mtime = _last_modified(web)
    status, _, body = get(web, "/bkt/r.bin", {"If-Modified-Since": _http_date(mtime + offset)})
    assert status == expected
    assert body == (b"" if expected == 304 else BODY)


@pytest.mark.parametrize("offset,expected", [(0, 200), (1, 200), (-1, 412)])
def test_if_unmodified_since_boundary(web, offset, expected):
    mtime = _last_modified(web)
    status, _, body = get(web, "/bkt/r.bin", {"If-Unmodified-Since": _http_date(mtime + offset)})
    assert status == expected
    if expected == 412:
        assert b"<Code>PreconditionFailed</Code>" in body


# -- the answers, element by element ------------------------------------------------------

BUCKET = "proto"


@pytest.fixture
def rw(tmp_path):
    root = tmp_path / "root"
    (root / BUCKET).mkdir(parents=True)
    (root / "second").mkdir()
    with running_server(root, region="cn-hangzhou") as server:
        yield server


def call(server, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def xml(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    # OSS answers are element-only: no stray text between elements
    for node in root.iter():
        if len(node):
            assert not (node.text or "").strip(), (node.tag, node.text)
        assert not (node.tail or "").strip(), (node.tag, node.tail)
    return root


def error_of(status_headers_body) -> tuple[int, dict[str, str]]:
    status, headers, body = status_headers_body
    assert [v for k, v in headers if k.lower() == "content-type"] == ["application/xml"]
    root = xml(body)
    assert root.tag == "Error"
    return status, {child.tag: child.text or "" for child in root}


def start_upload(server, key: str) -> str:
    status, _, body = call(server, "POST", f"/{BUCKET}/{key}?uploads")
    assert status == 200
    return xml(body).findtext("UploadId")


def test_list_buckets_names_each_bucket_with_its_region(rw):
    status, headers, body = call(rw, "GET", "/")
    assert status == 200
    root = xml(body)
    assert root.tag == "ListAllMyBucketsResult"
    buckets = root.find("Buckets").findall("Bucket")
    assert [b.findtext("Name") for b in buckets] == [BUCKET, "second"]
    for b in buckets:
        assert b.findtext("Region") == "cn-hangzhou"
        assert b.findtext("Location") == "oss-cn-hangzhou"
        assert b.findtext("StorageClass") == "Standard"


def test_list_buckets_is_truncated_is_lower_case_true_or_false(rw):
    """OSS API reference, ListBuckets (GetService): ``IsTruncated`` is ``true`` or
    ``false``, as every list answer of OSS writes it (oss2 compares the text with 'true')."""
    first, rest = (xml(call(rw, "GET", target)[2]) for target in ("/?max-keys=1",
                                                                  f"/?marker={BUCKET}"))
    assert (first.findtext("IsTruncated"), first.findtext("NextMarker")) == ("true", BUCKET)
    assert (rest.findtext("IsTruncated"), rest.find("NextMarker")) == ("false", None)
    assert [b.findtext("Name") for b in rest.iter("Bucket")] == ["second"]


def test_bucket_acl_answer_is_one_xml_document(rw):
    status, headers, body = call(rw, "GET", f"/{BUCKET}?acl")
    assert status == 200
    assert [v for k, v in headers if k.lower() == "content-type"] == ["application/xml"]
    root = xml(body)
    assert root.tag == "AccessControlPolicy"
    assert root.find("AccessControlList").findtext("Grant") == "public-read-write"


def test_list_live_channels_echoes_the_request_and_is_empty(rw):
    """ListLiveChannel: Prefix, Marker, MaxKeys (default 100), IsTruncated, NextMarker;
    this server has no live channels."""
    status, _, body = call(rw, "GET", f"/{BUCKET}?live&prefix=cam&marker=cam1&max-keys=7")
    assert status == 200
    root = xml(body)
    assert root.tag == "ListLiveChannelResult"
    assert [c.tag for c in root] == ["Prefix", "Marker", "MaxKeys", "IsTruncated", "NextMarker"]
    assert (root.findtext("Prefix"), root.findtext("Marker")) == ("cam", "cam1")
    assert root.findtext("MaxKeys") == "7" and root.findtext("IsTruncated") == "false"
    root = xml(call(rw, "GET", f"/{BUCKET}?live")[2])
    assert root.findtext("MaxKeys") == "100" and root.findtext("Prefix") == ""


def test_delete_bucket_with_uploads_in_progress_is_a_409_bucket_not_empty(rw):
    start_upload(rw, "big.bin")
    status, err = error_of(call(rw, "DELETE", f"/{BUCKET}"))
    assert status == 409
    assert err["Code"] == "BucketNotEmpty" and err["BucketName"] == BUCKET


def test_delete_bucket_with_objects_is_a_409_bucket_not_empty(rw):
    assert call(rw, "PUT", f"/{BUCKET}/a.txt", b"x")[0] == 200
    status, err = error_of(call(rw, "DELETE", f"/{BUCKET}"))
    assert status == 409
    assert err["Code"] == "BucketNotEmpty" and err["BucketName"] == BUCKET
    assert call(rw, "DELETE", "/second")[0] == 204


def test_delete_bucket_that_is_a_linked_folder_is_a_409_and_keeps_the_folder(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    with running_server(root) as server:
        status, err = error_of(call(server, "DELETE", "/linked"))
    assert status == 409
    assert err["Code"] == "BucketNotEmpty" and err["BucketName"] == "linked"
    assert (root / "linked").is_symlink() and elsewhere.is_dir()


def test_list_multipart_uploads_elements_and_defaults(rw):
    ids = {key: start_upload(rw, key) for key in ("p/a.bin", "p/b.bin", "q.bin")}
    status, _, body = call(rw, "GET", f"/{BUCKET}?uploads&prefix=p/")
    assert status == 200
    root = xml(body)
    assert root.tag == "ListMultipartUploadsResult"
    assert root.findtext("Prefix") == "p/"
    assert root.findtext("KeyMarker") == "" and root.findtext("UploadIdMarker") == ""
    assert root.findtext("MaxUploads") == "1000"           # OSS's default max-uploads
    assert root.findtext("IsTruncated") == "false"
    uploads = root.findall("Upload")
    assert [(u.findtext("Key"), u.findtext("UploadId")) for u in uploads] == [
        ("p/a.bin", ids["p/a.bin"]), ("p/b.bin", ids["p/b.bin"])]
    assert [u.findtext("StorageClass") for u in uploads] == ["Standard", "Standard"]
    # a key-marker alone starts after every upload of that key
    root = xml(call(rw, "GET", f"/{BUCKET}?uploads&key-marker=p/a.bin")[2])
    assert [u.findtext("Key") for u in root.findall("Upload")] == ["p/b.bin", "q.bin"]


def test_list_parts_next_part_number_marker_is_the_last_part_listed(rw):
    upload = start_upload(rw, "parts.bin")
    for n in (1, 2, 3):
        assert call(rw, "PUT", f"/{BUCKET}/parts.bin?partNumber={n}&uploadId={upload}",
                    bytes([n]) * 10)[0] == 200
    root = xml(call(rw, "GET", f"/{BUCKET}/parts.bin?uploadId={upload}&max-parts=2")[2])
    assert root.tag == "ListPartsResult"
    assert [p.findtext("PartNumber") for p in root.findall("Part")] == ["1", "2"]
    assert root.findtext("NextPartNumberMarker") == "2"
    assert root.findtext("IsTruncated") == "true"
    root = xml(call(rw, "GET", f"/{BUCKET}/parts.bin?uploadId={upload}"
                                "&part-number-marker=3")[2])
    assert root.findall("Part") == [] and root.findtext("NextPartNumberMarker") == "3"


def test_delete_multiple_with_url_encoding_says_so(rw):
    for key in ("a b.txt", "c.txt"):
        call(rw, "PUT", f"/{BUCKET}/{key.replace(' ', '%20')}", b"x")
    body = (b"<Delete><Quiet>false</Quiet><Object><Key>a b.txt</Key></Object>"
            b"<Object><Key>c.txt</Key></Object></Delete>")
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    status, _, answer = call(rw, "POST", f"/{BUCKET}?delete&encoding-type=url", body,
                             {"Content-MD5": md5})
    assert status == 200
    root = xml(answer)
    assert root.findtext("EncodingType") == "url"
    assert [d.findtext("Key") for d in root.findall("Deleted")] == ["a%20b.txt", "c.txt"]


@pytest.mark.parametrize("acl", ["public", "Private", ""])
def test_unknown_object_acl_is_a_400_invalid_argument(rw, acl):
    call(rw, "PUT", f"/{BUCKET}/o.txt", b"x")
    status, err = error_of(call(rw, "PUT", f"/{BUCKET}/o.txt?acl", b"",
                                {"x-oss-object-acl": acl}))
    assert status == 400
    assert err["Code"] == "InvalidArgument" and err["ArgumentName"] == "x-oss-object-acl"


def test_content_md5_with_a_character_outside_base64_is_invalid(rw):
    """The right digest with a stray character: a lenient decoder would drop it and accept
    the upload; OSS answers 400 InvalidDigest."""
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    assert call(rw, "PUT", f"/{BUCKET}/m.txt", b"data", {"Content-MD5": good})[0] == 200
    status, err = error_of(call(rw, "PUT", f"/{BUCKET}/m.txt", b"data",
                                {"Content-MD5": good[:4] + "*" + good[4:]}))
    assert status == 400 and err["Code"] == "InvalidDigest"


def test_a_request_waitress_cannot_parse_gets_an_oss_xml_error(rw):
    conn = http.client.HTTPConnection("127.0.0.1", rw.port, timeout=10)
    try:
        conn.putrequest("GET", f"/{BUCKET}/x")
        conn.putheader("Content-Length", "1" * 19)     # too long to be a length
        conn.endheaders()
        resp = conn.getresponse()
        status, headers, body = resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()
    assert status == 400
    assert [v for k, v in headers if k.lower() == "content-type"] == ["application/xml"]
    assert xml(body).tag == "Error"


def test_create_app_needs_a_root_folder(monkeypatch, tmp_path):
    """The WSGI entry point for gunicorn & co. is configured from the environment;
    without OSS_IMG_ROOT it says which argument is missing (OSS: MissingArgument, 400)."""
    from core.errors import OssError
    from core.serve.wsgi import create_app

    monkeypatch.delenv("OSS_IMG_ROOT", raising=False)
    with pytest.raises(OssError) as err:
        create_app()
    assert (err.value.code, err.value.status, err.value.key) == ("MissingArgument", 400, "root")
    monkeypatch.setenv("OSS_IMG_ROOT", str(tmp_path))
    monkeypatch.setenv("OSS_IMG_ACL", "public-read-write")
    assert create_app().service.config.acl == "public-read-write"


@pytest.mark.parametrize("method,path", [("GET", f"/{BUCKET}?delete"),
                                         ("PUT", f"/{BUCKET}?uploads"),
                                         ("PATCH", f"/{BUCKET}")])
def test_a_method_a_bucket_resource_does_not_take_is_405(rw, method, path):
    status, err = error_of(call(rw, method, path))
    assert status == 405
    assert err["Code"] == "MethodNotAllowed" and err["Method"] == method


def test_a_body_that_does_not_match_its_x_oss_content_sha256_is_refused(rw):
    data = b"payload"
    good = hashlib.sha256(data).hexdigest()
    assert call(rw, "PUT", f"/{BUCKET}/s.bin", data, {"x-oss-content-sha256": good})[0] == 200
    status, err = error_of(call(rw, "PUT", f"/{BUCKET}/s.bin", data,
                                {"x-oss-content-sha256": "0" * 64}))
    assert status == 400 and err["Code"] == "InvalidDigest"


def test_list_objects_refuses_an_unknown_encoding_type(rw):
    status, err = error_of(call(rw, "GET", f"/{BUCKET}?encoding-type=base64"))
    assert status == 400 and err["Code"] == "InvalidArgument"


def test_list_objects_groups_common_prefixes(rw):
    for key in ("a/1.txt", "a/2.txt", "b/1.txt", "c.txt"):
        call(rw, "PUT", f"/{BUCKET}/{key}", b"x")
    root = xml(call(rw, "GET", f"/{BUCKET}?delimiter=/")[2])
    assert [c.findtext("Key") for c in root.findall("Contents")] == ["c.txt"]
    assert [p.findtext("Prefix") for p in root.findall("CommonPrefixes")] == ["a/", "b/"]


@pytest.mark.parametrize("query,key_text", [("", "a b.bin"), ("&encoding-type=url", "a%20b.bin")])
def test_multipart_answers_name_bucket_and_key_as_asked(rw, query, key_text):
    """InitiateMultipartUpload and CompleteMultipartUpload (200): Bucket, Key (URL-encoded
    with encoding-type=url, which the answer then names), Location and ETag."""
    status, _, body = call(rw, "POST", f"/{BUCKET}/a%20b.bin?uploads{query}")
    root = xml(body)
    assert status == 200 and root.tag == "InitiateMultipartUploadResult"
    assert (root.findtext("Bucket"), root.findtext("Key")) == (BUCKET, key_text)
    assert root.findtext("EncodingType") == ("url" if query else None)
    upload = root.findtext("UploadId")
    status, headers, _ = call(rw, "PUT", f"/{BUCKET}/a%20b.bin?partNumber=1&uploadId={upload}",
                              b"part")
    etag = dict((k.lower(), v) for k, v in headers)["etag"]
    done = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag>"
            "</Part></CompleteMultipartUpload>").encode()
    status, _, body = call(rw, "POST", f"/{BUCKET}/a%20b.bin?uploadId={upload}{query}", done)
    root = xml(body)
    assert status == 200 and root.tag == "CompleteMultipartUploadResult"
    assert (root.findtext("Bucket"), root.findtext("Key")) == (BUCKET, key_text)
    assert root.findtext("EncodingType") == ("url" if query else None)
    assert root.findtext("ETag").endswith('-1"')
    assert call(rw, "GET", f"/{BUCKET}/a%20b.bin")[2] == b"part"


def test_the_wsgi_app_reads_the_query_without_a_raw_uri(tmp_path):
    """Under a WSGI server that gives no REQUEST_URI/RAW_URI (PEP 3333 requires neither),
    the target is rebuilt from PATH_INFO and QUERY_STRING: sub-resources still route."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    from core.serve.config import ServiceConfig
    from core.serve.service import OssService
    from core.serve.wsgi import make_app

    (tmp_path / BUCKET).mkdir()
    app = make_app(OssService(ServiceConfig(tmp_path, acl="public-read-write")))
    environ = EnvironBuilder(path=f"/{BUCKET}", query_string="acl").get_environ()
    for name in ("REQUEST_URI", "RAW_URI"):
        environ.pop(name, None)
    body, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("200")
    assert xml(b"".join(body)).tag == "AccessControlPolicy"


def test_a_processed_image_is_a_normal_object(rw, tmp_path):
    """x-oss-object-type of a processed answer is Normal (OSS: Normal, Appendable or
    Symlink; a processed image is a new, normal object)."""
    from tests.helpers import solid
    call(rw, "PUT", f"/{BUCKET}/p.png", solid(20, 10))
    status, headers, _ = call(rw, "GET", f"/{BUCKET}/p.png?x-oss-process=image/resize,w_10")
    assert status == 200
    assert dict((k.lower(), v) for k, v in headers)["x-oss-object-type"] == "Normal"


def test_the_pixel_limit_counts_every_frame_of_an_animation(tmp_path):
    """Spec (limits): animated images count W x H x frames."""
    import io

    from PIL import Image

    frames = [Image.new("RGB", (10, 10), (80 * i, 0, 0)) for i in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    root = tmp_path / "root"
    (root / BUCKET).mkdir(parents=True)
    (root / BUCKET / "a.gif").write_bytes(gif.getvalue())
    with running_server(root, max_source_pixels=299) as server:
        status, err = error_of(call(server, "GET", f"/{BUCKET}/a.gif?x-oss-process=image/info"))
        assert status == 400 and err["Code"] == "ImageTooLarge"
    with running_server(root, max_source_pixels=300) as server:
        assert call(server, "GET", f"/{BUCKET}/a.gif?x-oss-process=image/info")[0] == 200


@pytest.mark.parametrize("key", ["a%5Cb.txt", "a%00b.txt"])
def test_a_key_the_store_cannot_hold_is_an_invalid_object_name(rw, key):
    status, err = error_of(call(rw, "PUT", f"/{BUCKET}/{key}", b"x"))
    assert status == 400 and err["Code"] == "InvalidObjectName"


def test_config_errors_name_what_to_fix(tmp_path):
    from core.errors import OssError
    from core.serve.config import ServiceConfig

    with pytest.raises(OssError) as err:
        ServiceConfig(tmp_path, acl="private")
    assert err.value.key == "credentials"
    assert "OSS_ACCESS_KEY_ID" in err.value.message and "OSS_ACCESS_KEY_SECRET" in err.value.message
    with pytest.raises(OssError) as err:
        ServiceConfig(tmp_path, separators="/#")
    assert (err.value.code, err.value.key) == ("InvalidArgument", "separators")


@pytest.mark.parametrize("key", ["a\\b.txt", "a\x00b.txt", "/a.txt"])
def test_the_store_refuses_each_key_shape_it_cannot_hold(key):
    """store.check_key_shape: no leading '/', backslash or NUL -- InvalidObjectName (400) for
    a write, NoSuchKey (404) for a read."""
    from core.errors import OssError
    from core.serve.store import check_key_shape

    with pytest.raises(OssError) as err:
        check_key_shape(key, for_write=True)
    assert (err.value.code, err.value.status) == ("InvalidObjectName", 400)
    with pytest.raises(OssError) as err:
        check_key_shape(key, for_write=False)
    assert (err.value.code, err.value.status) == ("NoSuchKey", 404)
    check_key_shape("a/b.txt", for_write=True)


def test_close_leaves_the_loops_descriptors_to_a_loop_that_is_still_running(tmp_path):
    """stop() joins the loop thread for 10 s; on a machine loaded enough to outlast that,
    the loop still runs the close_all queued for it. Closing the same descriptors from the
    caller as well could close numbers a new server has been given since (a wake-up pipe
    then fails with OSError in another test's server). So _close() leaves them alone while
    the loop lives."""
    (tmp_path / "bkt").mkdir()
    server = serve(tmp_path, "127.0.0.1", 0, "public-read")
    server.start()
    loop_thread = server._thread

    class StillRunning:
        def is_alive(self):
            return True

    server._thread = StillRunning()
    server._close()
    trigger = server._server.trigger
    assert trigger in server._server._map.values() and trigger._fds   # still open
    server._thread = loop_thread
    server.stop()
    assert not loop_thread.is_alive() and not server._server._map
