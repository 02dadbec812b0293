"""The size of a callback server's answer (docs/COMPATIBILITY.md, "Upload callbacks"): a
200 with a JSON body of at most 3 MB is the upload's response body, byte for byte; one
byte more is a failed callback, 203 CallbackFailed with the message OSS's "HTTP status
code 203" page publishes for it, "Error Status : 400.User server return too long
content-length value." (compared without case: that page writes "Error Status", the
live service's messages of the same family read "Error status : 502." in the C# SDK's
ObjectCallbackTest). The object stays stored either way, and the 203 carries the upload's
ETag.
"""
from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET

import pytest

from tests.helpers import one_bucket_server
from tests.server_http_helpers import call
from tests.callback_env import callback_server  # noqa: F401 (fixture)

BUCKET = "cb-size"
LIMIT = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, callback_timeout=10) as (srv, _):
        yield srv


def json_of_size(size: int) -> bytes:
    body = b'{"a":"' + b"x" * (size - 8) + b'"}'
    assert len(body) == size
    json.loads(body)
    return body


def upload(server, callback_server, key):
    spec = {"callbackUrl": callback_server.url, "callbackBody": "k=${object}"}
    headers = {"x-oss-callback": base64.b64encode(json.dumps(spec).encode()).decode()}
    return call(server, "PUT", f"/{BUCKET}/{key}", b"payload", headers)


def test_an_answer_of_3_mb_is_the_uploads_body(server, callback_server):
    callback_server.body = json_of_size(LIMIT)
    status, headers, body = upload(server, callback_server, "fits.txt")
    assert status == 200 and body == callback_server.body
    assert headers["content-type"] == "application/json"


def test_one_byte_more_is_osss_too_long_failure(server, callback_server):
    callback_server.body = json_of_size(LIMIT + 1)
    status, headers, body = upload(server, callback_server, "over.txt")
    assert status == 203
    doc = ET.fromstring(body)
    assert doc.findtext("Code") == "CallbackFailed"
    assert doc.findtext("Message").lower() == (
        "error status : 400.user server return too long content-length value.")
    assert headers["etag"] == '"%s"' % hashlib.md5(b"payload").hexdigest().upper()
    assert call(server, "GET", f"/{BUCKET}/over.txt")[2] == b"payload"
