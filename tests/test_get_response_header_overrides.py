"""GetObject's response-* parameters, on a plain read and on a processed one.

Expected values (OSS API reference, "GetObject", request parameters): response-content-type,
response-content-language, response-expires, response-cache-control,
response-content-disposition and response-content-encoding set the answer's Content-Type,
Content-Language, Expires, Cache-Control, Content-Disposition and Content-Encoding to the
given value; an image processed with x-oss-process is answered the same way (the overrides
apply to whatever GetObject returns). A value a header cannot carry (CR/LF, DEL: not
field-content in RFC 9110) is InvalidArgument, HTTP 400, and never reaches the headers.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.helpers import solid
from tests.service_env import error_fields, handle, one_bucket_service

B = "overrides"
OVERRIDES = {
    "response-content-type": ("Content-Type", "application/x-test"),
    "response-content-language": ("Content-Language", "zh-CN"),
    "response-expires": ("Expires", "Fri, 01 Jan 2100 00:00:00 GMT"),
    "response-cache-control": ("Cache-Control", "no-cache"),
    "response-content-disposition": ("Content-Disposition", 'attachment; filename="x.png"'),
    "response-content-encoding": ("Content-Encoding", "identity"),
}
PROCESSES = [None, "image/resize,w_20"]


@pytest.fixture
def svc(tmp_path):
    service = one_bucket_service(tmp_path, B)
    assert handle(service, "PUT", B, "img.png", body=solid(40, 30),
                  headers={"Content-Type": "image/png"}).status == 200
    return service


def get(svc, process, query):
    q = dict(query)
    if process:
        q["x-oss-process"] = process
    return handle(svc, "GET", B, "img.png", q)


@pytest.mark.parametrize("process", PROCESSES)
@pytest.mark.parametrize("param", sorted(OVERRIDES))
def test_each_response_parameter_sets_its_header(svc, process, param):
    header, value = OVERRIDES[param]
    resp = get(svc, process, {param: value})
    assert resp.status == 200
    assert resp.headers[header] == value
    with Image.open(io.BytesIO(resp.body)) as im:      # the body is the image, unchanged
        assert im.size == ((20, 15) if process else (40, 30))


@pytest.mark.parametrize("process", PROCESSES)
def test_all_response_parameters_at_once(svc, process):
    resp = get(svc, process, {p: v for p, (_, v) in OVERRIDES.items()})
    assert resp.status == 200
    assert {h: resp.headers.get(h) for h, _ in OVERRIDES.values()} == dict(OVERRIDES.values())


@pytest.mark.parametrize("process", PROCESSES)
def test_without_response_parameters_the_headers_are_the_objects(svc, process):
    resp = get(svc, process, {})
    assert resp.headers["Content-Type"] == "image/png"
    for header in ("Content-Language", "Expires", "Cache-Control", "Content-Disposition",
                   "Content-Encoding"):
        assert header not in resp.headers


@pytest.mark.parametrize("process", PROCESSES)
@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\x7fb", "a\nb"])
def test_a_value_a_header_cannot_carry_is_invalid_argument(svc, process, value):
    resp = get(svc, process, {"response-content-disposition": value})
    error_fields(resp, 400, "InvalidArgument")
    assert "Set-Cookie" not in resp.headers
    assert "Content-Disposition" not in resp.headers
