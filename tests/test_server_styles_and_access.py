"""``oss-img serve`` driven through OssService: the style API and separators, the body,
pixel and time limits, access (ACLs, header and URL signatures), and path traversal. See
test_server.py for routing, objects, buckets and listing."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from core.errors import OssError
from core.oss import signing
from core.oss.credentials import Credentials
from core.serve.config import MAX_STYLES, STYLE_DIR, TMP_PREFIX, ServiceConfig
from core.serve.messages import Request
from core.serve.service import OssService
from core.serve.wsgi import split_target
from core.oss.urls import BucketAddress, parse_query
from tests.helpers import decode, encode, quadrants, solid

from tests.server_env import (BUCKET, CREDS, IMG, NOW, REGION, STS, TRAVERSALS, b64, error_of,
                              listed, make_service, presigned, req, size_of)
from tests.server_env import root, svc  # noqa: F401 (fixtures)
from tests.server_http_helpers import assert_no_mixed_content

# One wording for a missing style everywhere: the image request, GetStyle, oss-img's
# stderr (tests/test_cli.py) and the style library.
NO_SUCH_STYLE = "The specified style does not exist."


# ----------------------------------------------------------------------------- styles

def put_style(svc, name, content, bucket=BUCKET, **kw):
    body = f"<Style><Content>{content}</Content></Style>".encode()
    return svc.handle(req("PUT", None, bucket=bucket, query={"style": "", "styleName": name},
                          body=body, **kw))


def test_style_api_round_trip_and_persistence(svc, root):
    assert put_style(svc, "thumb", "image/resize,w_10").status == 200
    assert put_style(svc, "big.v2", "image/resize,w_30/quality,q_80").status == 200
    got = svc.handle(req("GET", None, query={"style": "", "styleName": "thumb"}))
    assert (got.status, got.headers["Content-Type"]) == (200, "application/xml")
    st = ET.fromstring(got.body)
    assert st.tag == "Style" and st.find("Name").text == "thumb"
    assert st.find("Content").text == "image/resize,w_10"
    assert st.find("Category").text == "image"
    assert st.find("CreateTime").text == "Tue, 14 Nov 2023 22:13:20 GMT"
    listed = svc.handle(req("GET", None, query={"style": ""}))
    assert (listed.status, listed.headers["Content-Type"]) == (200, "application/xml")
    listing = ET.fromstring(listed.body)
    assert listing.tag == "StyleList"
    assert [s.find("Name").text for s in listing.findall("Style")] == ["big.v2", "thumb"]

    # persisted under ROOT, readable by a new service
    stored = json.loads((root / STYLE_DIR / f"{BUCKET}.json").read_text())
    assert stored["styles"]["thumb"]["Content"] == "image/resize,w_10"
    again = make_service(root)
    resp = again.handle(req("GET", "img.png", query={"x-oss-process": "style/thumb"}))
    assert size_of(resp.body) == (10, 8)

    # an update keeps CreateTime, moves LastModifyTime
    later = make_service(root, clock=lambda: NOW + 60)
    assert put_style(later, "thumb", "image/resize,w_12", now=NOW + 60).status == 200
    st = ET.fromstring(later.handle(req("GET", None, query={"style": "", "styleName": "thumb"},
                                        now=NOW + 60)).body)
    assert st.find("CreateTime").text == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert st.find("LastModifyTime").text == "Tue, 14 Nov 2023 22:14:20 GMT"

    assert svc.handle(req("DELETE", None, query={"style": "", "styleName": "thumb"})).status == 204
    resp = svc.handle(req("GET", None, query={"style": "", "styleName": "thumb"}))
    assert resp.status == 404
    assert {k: error_of(resp)[k] for k in ("Code", "Message", "StyleName")} == {
        "Code": "NoSuchStyle", "Message": NO_SUCH_STYLE, "StyleName": "thumb"}


def test_style_validation(svc):
    resp = put_style(svc, "bad name", "image/resize,w_10")
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidArgument"
    resp = put_style(svc, "../../etc", "image/resize,w_10")
    assert resp.status == 400
    # OSS stores the content as given (oss2's test_bucket_style_content: 'csdar5324');
    # it fails when a request uses it
    assert put_style(svc, "odd", "csdar5324").status == 200
    got = ET.fromstring(svc.handle(req("GET", None, query={"style": "", "styleName": "odd"})).body)
    assert got.find("Content").text == "csdar5324"
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "style/odd"}))
    assert resp.status == 400
    # ... but an empty one is refused in OSS's words (oss2's test_bucket_style_exception)
    # (the code is not in that test; InvalidArgument, as oss2's test of a bad style name)
    resp = put_style(svc, "ok", "")
    assert resp.status == 400 and error_of(resp)["Message"] == "Style content is invalid."
    assert error_of(resp)["Code"] == "InvalidArgument"
    resp = svc.handle(req("PUT", None, query={"style": "", "styleName": "ok"}, body=b"<Style>"))
    assert resp.status == 400 and error_of(resp)["Code"] == "MalformedXML"
    resp = svc.handle(req("PUT", None, query={"style": "", "styleName": "ok"}, body=b""))
    assert resp.status == 400 and error_of(resp)["Message"] == "Style content is invalid."
    # a category XML cannot carry is refused, so GetStyle/ListStyle always parse
    resp = svc.handle(req("PUT", None, query={"style": "", "styleName": "ctl",
                                              "category": "\x01\x02"},
                          body=b"<Style><Content>image/resize,w_5</Content></Style>"))
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidArgument"
    listed = svc.handle(req("GET", None, query={"style": ""}))
    assert [n.text for n in ET.fromstring(listed.body).iter("Name")] == ["odd"]
    for i in range(MAX_STYLES - 1):
        assert put_style(svc, f"s{i}", "image/resize,w_5").status == 200
    full = ET.fromstring(svc.handle(req("GET", None, query={"style": ""})).body)
    assert len(full.findall("Style")) == MAX_STYLES
    assert_no_mixed_content(full)                 # nothing between the Style elements
    assert put_style(svc, "one-too-many", "image/resize,w_5").status == 400
    assert put_style(svc, "s0", "image/resize,w_6").status == 200  # updating is fine


def test_missing_style_is_no_such_style(svc):
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "style/none"}))
    assert resp.status == 404
    # the same answer as GetStyle's for a missing style, and as the command line prints
    assert {k: error_of(resp)[k] for k in ("Code", "Message", "StyleName")} == {
        "Code": "NoSuchStyle", "Message": NO_SUCH_STYLE, "StyleName": "none"}


def test_hand_written_style_mapping_is_read(svc, root):
    (root / STYLE_DIR).mkdir()
    (root / STYLE_DIR / f"{BUCKET}.json").write_text('{"small": "image/resize,w_4"}')
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "style/small"}))
    assert size_of(resp.body) == (4, 3)
    assert put_style(svc, "other", "image/resize,w_5").status == 200
    assert "small" in json.loads((root / STYLE_DIR / f"{BUCKET}.json").read_text())["styles"]


def test_corrupt_style_file_is_reported_and_kept(svc, root):
    (root / STYLE_DIR).mkdir()
    path = root / STYLE_DIR / f"{BUCKET}.json"
    path.write_text("{not json")
    resp = put_style(svc, "x", "image/resize,w_5")
    assert resp.status == 500 and error_of(resp)["Code"] == "InternalError"
    assert path.read_text() == "{not json"
    assert svc.handle(req("GET", "img.png")).status == 200  # objects still served


@pytest.mark.parametrize("url_key, size", [
    ("img.png-thumb", (10, 8)), ("img.png_thumb", (10, 8)), ("img.png/thumb", (10, 8)),
    ("img.png!thumb", (10, 8)), ("img.png-my-style", (6, 5)),
])
def test_style_separators(svc, url_key, size):
    put_style(svc, "thumb", "image/resize,w_10")
    put_style(svc, "my-style", "image/resize,w_6")
    resp = svc.handle(req("GET", url_key))
    assert resp.status == 200, resp.body
    assert size_of(resp.body) == size


def test_separator_rules(svc, root):
    put_style(svc, "thumb", "image/resize,w_10")
    put_style(svc, "b-thumb", "image/resize,w_5")
    # an existing object is always served as itself
    (root / BUCKET / "img.png-thumb").write_bytes(b"real object")
    assert svc.handle(req("GET", "img.png-thumb")).body == b"real object"
    # the longest existing object key wins: "a-b" + "thumb" over "a" + "b-thumb"
    svc.handle(req("PUT", "a", body=IMG))
    svc.handle(req("PUT", "a-b", body=encode(quadrants(20, 20))))
    assert size_of(svc.handle(req("GET", "a-b-thumb")).body) == (10, 10)
    assert size_of(svc.handle(req("GET", "a-b_thumb")).body) == (10, 10)
    # an unknown style or object stays NoSuchKey
    assert error_of(svc.handle(req("GET", "img.png-nostyle")))["Code"] == "NoSuchKey"
    assert error_of(svc.handle(req("GET", "nothing-thumb")))["Code"] == "NoSuchKey"
    # both a separator and x-oss-process: refused, not guessed
    resp = svc.handle(req("GET", "img.png!thumb", query={"x-oss-process": "image/rotate,90"}))
    assert resp.status == 400
    # disabled separators
    off = make_service(root, separators="")
    assert off.handle(req("GET", "img.png!thumb")).status == 404
    only_bang = make_service(root, separators="!")
    assert only_bang.handle(req("GET", "img.png!thumb")).status == 200
    assert only_bang.handle(req("GET", "img.png_thumb")).status == 404


def test_watermark_from_the_same_bucket_is_not_cached_stale(svc):
    process = f"image/watermark,image_{b64('logo.png')},g_nw,x_0,y_0"
    first = svc.handle(req("GET", "img.png", query={"x-oss-process": process}))
    assert first.status == 200, first.body
    assert decode(first.body).convert("RGB").getpixel((1, 1)) == (0, 0, 255)
    svc.handle(req("PUT", "logo.png", body=solid(8, 6, (0, 255, 0))))
    second = svc.handle(req("GET", "img.png", query={"x-oss-process": process}))
    assert decode(second.body).convert("RGB").getpixel((1, 1)) == (0, 255, 0)
    missing = svc.handle(req("GET", "img.png", query={
        "x-oss-process": f"image/watermark,image_{b64('none.png')}"}))
    assert missing.status == 404 and error_of(missing)["Code"] == "NoSuchKey"


# ----------------------------------------------------------------------------- limits

def test_body_limit_declared_and_streamed(root):
    svc = make_service(root, max_body_bytes=1000)
    resp = svc.handle(req("PUT", "big.bin", body=b"x" * 1001))
    assert resp.status == 400 and error_of(resp)["Code"] == "EntityTooLarge"
    # a chunked body declares no length: refused while streaming, nothing left behind
    resp = svc.handle(req("PUT", "big.bin", body=b"x" * 5000, length=None))
    assert resp.status == 400 and error_of(resp)["Code"] == "EntityTooLarge"
    assert not (root / BUCKET / "big.bin").exists()
    assert not list((root / BUCKET).rglob(TMP_PREFIX + "*"))
    assert svc.handle(req("PUT", "ok.bin", body=b"x" * 1000)).status == 200


def test_pixel_limit(root):
    svc = make_service(root, max_source_pixels=40 * 30 - 1)
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_10"}))
    assert resp.status == 400 and error_of(resp)["Code"] == "ImageTooLarge"
    assert svc.handle(req("GET", "img.png")).status == 200  # raw access is not processing


def test_processing_timeout(root):
    ticks = iter(range(0, 10_000, 10))    # every look at the clock is 10 s later
    svc = make_service(root, process_timeout=5.0, monotonic=lambda: next(ticks))
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_10"}))
    assert resp.status == 400 and error_of(resp)["Code"] == "RequestTimeout"
    fine = make_service(root, process_timeout=None)
    assert fine.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_10"})
                       ).status == 200


# ----------------------------------------------------------------------------- access

def test_private_refuses_anonymous(svc):
    for method, key in (("GET", "img.png"), ("HEAD", "img.png"), ("PUT", "x"), ("GET", None)):
        resp = svc.handle(req(method, key, creds=None))
        assert resp.status == 403, (method, key)
        assert error_of(resp)["Code"] == "AccessDenied"


def test_public_read_and_public_read_write(root):
    pr = make_service(root, acl="public-read")
    assert pr.handle(req("GET", "img.png", creds=None)).status == 200
    assert pr.handle(req("GET", "img.png", creds=None,
                         query={"x-oss-process": "image/resize,w_5"})).status == 200
    assert pr.handle(req("GET", None, creds=None)).status == 200          # ListObjects
    for method, key, query in (("PUT", "x", {}), ("DELETE", "img.png", {}),
                               ("GET", None, {"style": ""})):
        resp = pr.handle(req(method, key, creds=None, query=query))
        assert resp.status == 403 and error_of(resp)["Code"] == "AccessDenied"
    assert pr.handle(req("PUT", "x", body=b"signed")).status == 200
    prw = ServiceConfig(root, acl="public-read-write")
    open_svc = OssService(prw, clock=lambda: NOW)
    assert open_svc.handle(req("PUT", "y", creds=None, body=b"y")).status == 200
    # a signature is still checked when present
    assert open_svc.handle(req("GET", "y")).status == 403


@pytest.mark.parametrize("version", ["v1", "v4"])
@pytest.mark.parametrize("creds", [CREDS, STS], ids=["plain", "sts"])
def test_header_signatures(svc, version, creds):
    resp = svc.handle(req("GET", "img.png", version=version, creds=creds,
                          query={"x-oss-process": "image/resize,w_10"}))
    assert resp.status == 200, resp.body
    body = b"signed body"
    assert svc.handle(req("PUT", "s.txt", version=version, creds=creds, body=body,
                          headers={"Content-Type": "text/plain"})).status == 200


@pytest.mark.parametrize("version", ["v1", "v4"])
@pytest.mark.parametrize("creds", [CREDS, STS], ids=["plain", "sts"])
def test_presigned_urls(svc, version, creds):
    resp = svc.handle(presigned("img.png", version=version, creds=creds,
                                process="image/resize,w_10"))
    assert resp.status == 200, resp.body
    assert size_of(resp.body) == (10, 8)


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_wrong_signature_returns_the_servers_string_to_sign(svc, version):
    wrong = Credentials(CREDS.access_key_id, "not-the-secret")
    address = BucketAddress.from_endpoint("127.0.0.1:9000", BUCKET)
    kwargs = {"region": REGION} if version == "v4" else {}
    signed = signing.presign(address, "img.png", wrong, version=version,
                             process="image/resize,w_10", now=NOW, **kwargs)
    r = Request("GET", BUCKET, "img.png", parse_query(urlsplit(signed.url).query), {})
    resp = svc.handle(r)
    assert resp.status == 403
    err = error_of(resp)
    assert err["Code"] == "SignatureDoesNotMatch"
    assert err["EC"] == ("0002-00000040" if version == "v1" else "0002-00000201")
    assert err["StringToSign"] == signed.string_to_sign   # same string, different key
    assert err["OSSAccessKeyId"] == CREDS.access_key_id
    assert CREDS.access_key_secret not in resp.body.decode()


def test_tampered_process_is_refused(svc):
    for version in ("v1", "v4"):
        r = presigned("img.png", version=version, process="image/resize,w_10")
        r.query["x-oss-process"] = "image/resize,w_39"
        assert svc.handle(r).status == 403


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_expired_urls(svc, version):
    resp = svc.handle(presigned("img.png", version=version, now=NOW - 3600, expires=60))
    assert resp.status == 403
    err = error_of(resp)
    assert err["Code"] == "AccessDenied" and err["EC"] == "0002-00000069"


def test_wrong_region_unknown_key_and_token_problems(svc):
    resp = svc.handle(presigned("img.png", region="cn-shanghai"))
    assert resp.status == 403 and error_of(resp)["Code"] == "SignatureDoesNotMatch"
    stranger = Credentials("LTAI5tUnknownKey0000", "whatever")
    resp = svc.handle(presigned("img.png", creds=stranger))
    assert resp.status == 403 and error_of(resp)["Code"] == "InvalidAccessKeyId"
    no_token = Credentials(STS.access_key_id, STS.access_key_secret)
    resp = svc.handle(presigned("img.png", creds=no_token))
    assert resp.status == 403 and error_of(resp)["EC"] == "0002-00000003"
    bad_token = Credentials(STS.access_key_id, STS.access_key_secret, "CAIS-other")
    resp = svc.handle(presigned("img.png", creds=bad_token))
    assert resp.status == 403 and error_of(resp)["EC"] == "0002-00000008"


def test_config_validation(root, tmp_path):
    cases = [(dict(acl="private"), "MissingArgument", "credentials"),
             (dict(acl="open"), "InvalidArgument", "ACL"),
             (dict(root=tmp_path / "missing"), "InvalidArgument", "not a directory"),
             (dict(separators="-+"), "InvalidArgument", "Separators")]
    for kwargs, code, words in cases:
        with pytest.raises(OssError, match=words) as e:
            ServiceConfig(kwargs.pop("root", root), **kwargs)
        assert (e.value.code, e.value.status) == (code, 400)


# ----------------------------------------------------------------------------- traversal

@pytest.mark.parametrize("raw", TRAVERSALS)
def test_traversal_refused_by_the_service(svc, raw):
    _, key = split_target("127.0.0.1", f"/{BUCKET}/{raw}", "localhost")
    for method in ("GET", "HEAD"):
        resp = svc.handle(req(method, key))
        assert resp.status == 404, (raw, method)
    put = svc.handle(req("PUT", key, body=b"pwned"))
    assert put.status in (400, 404), raw
    assert svc.handle(req("DELETE", key)).status in (204, 400, 404)


def test_traversal_leaves_everything_outside_untouched(svc, root, tmp_path):
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for raw in TRAVERSALS:
        _, key = split_target("127.0.0.1", f"/{BUCKET}/{raw}", "localhost")
        svc.handle(req("PUT", key, body=b"pwned"))
        svc.handle(req("DELETE", key))
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert not any(b"pwned" == p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_symlinks_out_of_the_bucket_are_refused(svc, root, tmp_path):
    os.symlink(tmp_path / "secret.txt", root / BUCKET / "link-out.txt")
    os.symlink(tmp_path, root / BUCKET / "dir-out")
    os.symlink(root / BUCKET / "img.png", root / BUCKET / "link-in.png")
    assert svc.handle(req("GET", "link-out.txt")).status == 404
    assert svc.handle(req("GET", "dir-out/secret.txt")).status == 404
    assert svc.handle(req("PUT", "dir-out/new.txt", body=b"x")).status == 400
    assert not (tmp_path / "new.txt").exists()
    assert svc.handle(req("GET", "link-in.png")).body == IMG
    _, keys, _ = listed(svc.handle(req("GET", None)))
    assert "link-in.png" in keys and "link-out.txt" not in keys
    assert not any(k.startswith("dir-out") for k in keys)
    # deleting a link removes the link, never its target
    assert svc.handle(req("DELETE", "link-in.png")).status == 204
    assert (root / BUCKET / "img.png").read_bytes() == IMG
    assert svc.handle(req("DELETE", "link-out.txt")).status == 204
    assert (tmp_path / "secret.txt").read_bytes() == b"top secret"


def test_watermark_and_style_names_cannot_escape(svc, root):
    for key in ("../secret.png", "../../secret.png", "/etc/passwd"):
        process = f"image/watermark,image_{b64(key)}"
        resp = svc.handle(req("GET", "img.png", query={"x-oss-process": process}))
        assert resp.status in (400, 404), key
    resp = svc.handle(req("GET", None, query={"style": "", "styleName": "../x"}))
    assert resp.status == 400
