"""The service's request log (docs/COMPATIBILITY.md, "Logs"): one INFO line per request on
the ``core.serve`` logger with the request id, the method, the path (signature, token,
key-id and credential query values replaced by ``***``), the status and the milliseconds
taken; headers are never logged. The request id is the ``x-oss-request-id`` the client
got (and the error body's RequestId), so an operator can find a client's request. The
time is what the app measured (a fake ``perf_counter`` here: no wall clock in tests).

A request the app cannot even parse into an OSS request (an unexpected failure) is
answered 500 InternalError with a request id of its own, logged with its traceback and
then the same request line; a Content-Length that is not a number (a WSGI server that
passes one through: gunicorn does) is 400 InvalidArgument naming ``Content-Length``.

The WSGI app is called directly (werkzeug's test environ), as gunicorn would call it.
"""
from __future__ import annotations

import logging
import types
import xml.etree.ElementTree as ET

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from core.serve import wsgi
from core.serve.config import ServiceConfig
from core.serve.service import OssService

B = "logbkt"


@pytest.fixture
def app(tmp_path, monkeypatch):
    (tmp_path / B).mkdir()
    (tmp_path / B / "a.txt").write_bytes(b"alpha")
    ticks = iter([100.0, 100.0125, 200.0, 200.5, 300.0, 302.25, 400.0, 400.0004])
    # the app's own clock only (wsgi reads time.perf_counter and nothing else of time)
    monkeypatch.setattr(wsgi, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))
    service = OssService(ServiceConfig(tmp_path, acl="public-read-write"))
    yield wsgi.make_app(service)
    service.close()


def call(app, method, raw_uri, body=b"", **environ_extra):
    path, _, query = raw_uri.partition("?")
    environ = EnvironBuilder(method=method, path=path, query_string=query,
                             data=body).get_environ()
    environ["REQUEST_URI"] = raw_uri
    environ.update(environ_extra)
    out, status, headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), dict(headers), b"".join(out)


def request_lines(caplog) -> list[list[str]]:
    out = []
    for r in caplog.records:
        if r.name == "core.serve" and r.levelno == logging.INFO:
            out.append(r.getMessage().split(" "))
    return out


def test_each_request_is_one_line_with_id_method_path_status_and_time(app, caplog):
    with caplog.at_level(logging.INFO, "core.serve"):
        status, headers, body = call(app, "GET", f"/{B}/a.txt?response-expires=x")
        assert (status, body) == (200, b"alpha")
        rid_ok = headers["x-oss-request-id"]
        status, headers, body = call(
            app, "GET", f"/{B}/none.txt?OSSAccessKeyId=LTAI5tLogKey&Signature=abc%2Bd"
            "&Expires=9999999999&security-token=CAIStoken")
        rid_missing = headers["x-oss-request-id"]
        assert ET.fromstring(body).findtext("RequestId") == rid_missing
        # an unknown key id: 403 InvalidAccessKeyId (OSS's status for the code)
        assert (status, ET.fromstring(body).findtext("Code")) == (403, "InvalidAccessKeyId")
    lines = request_lines(caplog)
    assert lines == [
        [rid_ok, "GET", f"/{B}/a.txt?response-expires=x", "200", "12.5ms"],
        # the refused V1 URL's key id, signature and token are not logged
        [rid_missing, "GET", f"/{B}/none.txt?OSSAccessKeyId=***&Signature=***"
         "&Expires=9999999999&security-token=***", "403", "500.0ms"],
    ]
    assert rid_ok != rid_missing


def test_a_put_and_a_head_are_logged_with_their_method(app, caplog):
    with caplog.at_level(logging.INFO, "core.serve"):
        status, headers, _ = call(app, "PUT", f"/{B}/new.txt", body=b"12345")
        assert status == 200
        put_id = headers["x-oss-request-id"]
        status, headers, body = call(app, "HEAD", f"/{B}/new.txt")
        assert (status, body, headers["Content-Length"]) == (200, b"", "5")
    assert request_lines(caplog) == [
        [put_id, "PUT", f"/{B}/new.txt", "200", "12.5ms"],
        [headers["x-oss-request-id"], "HEAD", f"/{B}/new.txt", "200", "500.0ms"],
    ]


def test_an_unexpected_failure_while_parsing_is_a_logged_500(app, caplog, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("parser on fire")

    monkeypatch.setattr(wsgi, "split_target", boom)
    with caplog.at_level(logging.INFO, "core.serve"):
        status, headers, body = call(app, "GET", f"/{B}/a.txt?Signature=secret1")
    assert status == 500
    doc = ET.fromstring(body)
    assert doc.findtext("Code") == "InternalError"
    rid = headers["x-oss-request-id"]
    assert doc.findtext("RequestId") == rid and len(rid) == 24
    assert headers["Content-Type"] == "application/xml"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].name == "core.serve"
    assert errors[0].exc_info[0] is RuntimeError
    assert "secret1" not in errors[0].getMessage()
    assert f"/{B}/a.txt?Signature=***" in errors[0].getMessage()
    assert request_lines(caplog) == [
        [rid, "GET", f"/{B}/a.txt?Signature=***", "500", "12.5ms"]]


def test_a_content_length_that_is_no_number_is_invalid_argument(app, caplog):
    with caplog.at_level(logging.INFO, "core.serve"):
        status, headers, body = call(app, "PUT", f"/{B}/p.txt", CONTENT_LENGTH="12a")
    assert status == 400
    doc = ET.fromstring(body)
    assert doc.findtext("Code") == "InvalidArgument"
    assert doc.findtext("ArgumentName") == "Content-Length"
    assert doc.findtext("RequestId") == headers["x-oss-request-id"]
    assert request_lines(caplog) == [
        [headers["x-oss-request-id"], "PUT", f"/{B}/p.txt", "400", "12.5ms"]]
    assert not (app.service.config.root / B / "p.txt").exists()


def test_an_unexpected_failure_in_a_call_is_logged_with_its_request(app, caplog,
                                                                    monkeypatch):
    """A failure inside an operation: 500 InternalError, and one ERROR record with the
    traceback that names the request id the client got, the method and /bucket/key."""
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.service.store, "open", boom)
    with caplog.at_level(logging.INFO, "core.serve"):
        status, headers, body = call(app, "GET", f"/{B}/a.txt")
    assert status == 500 and ET.fromstring(body).findtext("Code") == "InternalError"
    assert b"disk on fire" not in body
    rid = headers["x-oss-request-id"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info[0] is RuntimeError
    words = errors[0].getMessage().replace("(", " ").replace(")", " ").split()
    assert rid in words and "GET" in words and f"/{B}/a.txt" in words
    assert request_lines(caplog) == [[rid, "GET", f"/{B}/a.txt", "500", "12.5ms"]]


def test_an_unexpected_failure_in_a_bucket_call_names_the_bucket(app, caplog, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("index on fire")

    monkeypatch.setattr(app.service, "_list_objects", boom)
    with caplog.at_level(logging.INFO, "core.serve"):
        status, headers, _ = call(app, "GET", f"/{B}?prefix=a")
    assert status == 500
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    words = error.getMessage().replace("(", " ").replace(")", " ").split()
    assert headers["x-oss-request-id"] in words and f"/{B}/" in words
