"""The body of POST ``/<key>?x-oss-process`` (sys/saveas), rule by rule, with oss2 as the
client of a private ``oss-img serve`` on loopback.

Expected values:
- "Save processed images" (OSS docs) and shared/spec/oss-img.md: the body is
  ``x-oss-process=<process>|sys/saveas,o_<base64 key>[,b_<base64 bucket>]``; ``o`` and
  ``b`` are the action's only parameters; SDK examples send urlsafe base64 with padding,
  the Java SDK's test standard base64 (spec, "base64"), so ``+`` and ``/`` are base64
  characters, never form encoding.
- docs/COMPATIBILITY.md, "sys/saveas": a parameter other than ``o_``/``b_`` (and so a
  repeated one, which names the target twice) is 400 InvalidArgument naming
  ``x-oss-process``; no ``o_`` is 400 MissingArgument naming ``o``; a value that is not
  base64 of a UTF-8 name is 400 InvalidArgument naming it; nothing is written.
- A form-encoded body (``application/x-www-form-urlencoded``, what an HTML form or a
  generic HTTP client sends) is percent-decoded; a body that is not
  ``x-oss-process=...`` is 400 MissingArgument naming ``x-oss-process``.
"""
from __future__ import annotations

import base64
from urllib.parse import quote

import oss2
import pytest

from core.oss.credentials import Credentials
from tests.helpers import decode, running_server, solid

CREDS = Credentials("LTAI5tSaveAsFormRules1", "SaveAs+Form/Rules=1")
BUCKET, OTHER = "saveas-form", "saveas-form-other"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("saveas-form-root")
    (root / BUCKET).mkdir()
    (root / OTHER).mkdir()
    (root / BUCKET / "src.png").write_bytes(solid(60, 40, (10, 120, 240)))
    with running_server(root, "private", (CREDS,)) as srv:
        yield srv


@pytest.fixture
def bucket(server) -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url,
                       BUCKET)


def post_form(bucket: oss2.Bucket, body: bytes):
    """POST /src.png?x-oss-process with ``body`` exactly as given (V1-signed by oss2)."""
    return bucket._do("POST", BUCKET, "src.png", params={"x-oss-process": ""}, data=body)


def refused(call) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as info:
        call()
    return info.value


@pytest.mark.parametrize("params", [
    "o_{o},o_{o2}",                 # the key twice
    "o_{o},b_{b},b_{b}",            # the bucket twice
    "b_{b},o_{o},o_{o}",
    "o_{o},p_{o2}",                 # a parameter saveas does not have
    "x_1,o_{o}",
    "o_{o},o",                      # a parameter without its '_'
    "o_{o},",                       # an empty parameter
    "O_{o}",                        # names are case-sensitive
])
def test_an_unknown_or_repeated_saveas_parameter_is_refused(bucket, server, params):
    process = "image/resize,w_10|sys/saveas," + params.format(
        o=b64("form/one.png"), o2=b64("form/two.png"), b=b64(OTHER))
    err = refused(lambda: bucket.process_object("src.png", process))
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert err.details["ArgumentName"] == "x-oss-process"
    other = oss2.Bucket(bucket.auth, server.url, OTHER)
    for b in (bucket, other):
        assert not b.object_exists("form/one.png") and not b.object_exists("form/two.png")


@pytest.mark.parametrize("tail", ["sys/saveas", f"sys/saveas,b_{b64(BUCKET)}"])
def test_saveas_without_o_is_missing_argument_o(bucket, tail):
    err = refused(lambda: bucket.process_object("src.png", "image/resize,w_10|" + tail))
    assert (err.status, err.code) == (400, "MissingArgument")
    assert err.details["ArgumentName"] == "o"


@pytest.mark.parametrize("process", [
    "image/resize,w_10",                                        # no pipe at all
    f"image/resize,w_10|sys/saveas2,o_{b64('form/x.png')}",     # another action
    f"image/resize,w_10|sys/saveas,o_{b64('form/x.png')}|sys/saveas",   # a second pipe
    f"image/resize,w_10|saveas,o_{b64('form/x.png')}",
])
def test_a_process_without_one_trailing_saveas_is_invalid(bucket, process):
    err = refused(lambda: bucket.process_object("src.png", process))
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert err.details["ArgumentName"] == "x-oss-process"
    assert not bucket.object_exists("form/x.png")


@pytest.mark.parametrize("params, name", [
    ("o_", "o"),                             # an empty key
    (f"o_{b64('form/x.png')},b_", "b"),       # an empty bucket
    ("o_/-8=", "o"),                         # bytes that are not UTF-8 (0xff 0xef)
])
def test_an_empty_or_undecodable_name_is_named(bucket, params, name):
    err = refused(lambda: bucket.process_object("src.png",
                                                "image/resize,w_10|sys/saveas," + params))
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert err.details["ArgumentName"] == name
    assert not bucket.object_exists("form/x.png")


def test_b_may_come_before_o(bucket, server):
    result = bucket.process_object(
        "src.png", f"image/resize,w_30|sys/saveas,b_{b64(OTHER)},o_{b64('form/first-b.png')}")
    assert (result.status, result.bucket, result.object) == (200, OTHER, "form/first-b.png")
    other = oss2.Bucket(bucket.auth, server.url, OTHER)
    assert decode(other.get_object("form/first-b.png").read()).size == (30, 20)
    assert not bucket.object_exists("form/first-b.png")


def test_standard_base64_with_plus_and_slash_names_the_key(bucket):
    key = "form/~~??.png"            # standard base64 "Zm9ybS9+fj8/LnBuZw=="
    standard = base64.b64encode(key.encode()).decode()
    assert "+" in standard and "/" in standard
    result = bucket.process_object("src.png", f"image/resize,w_15|sys/saveas,o_{standard}")
    assert (result.status, result.object) == (200, key)
    assert decode(bucket.get_object(key).read()).size == (15, 10)


def test_a_form_encoded_body_is_decoded(bucket):
    process = f"image/resize,w_20|sys/saveas,o_{b64('form/encoded.png')}"
    body = ("x-oss-process=" + quote(process, safe="")).encode()
    assert b"%7Csys%2Fsaveas%2Co_" in body
    resp = post_form(bucket, body + b"\r\n")      # trailing line break of a form post
    assert resp.status == 200
    assert b'"status": "OK"' in resp.read()
    assert decode(bucket.get_object("form/encoded.png").read()).size == (20, 13)


@pytest.mark.parametrize("body", [
    b"",
    b"process=image/resize,w_10|sys/saveas,o_" + b64("form/x.png").encode(),
    b"x-oss-process image/resize,w_10|sys/saveas,o_" + b64("form/x.png").encode(),
])
def test_a_body_that_is_not_the_x_oss_process_form_is_missing_argument(bucket, body):
    err = refused(lambda: post_form(bucket, body))
    assert (err.status, err.code) == (400, "MissingArgument")
    assert err.details["ArgumentName"] == "x-oss-process"
    assert not bucket.object_exists("form/x.png")


def test_a_body_that_is_not_utf8_is_invalid(bucket):
    err = refused(lambda: post_form(bucket, b"x-oss-process=image/resize,w_10\xff"))
    assert (err.status, err.code) == (400, "InvalidArgument")
