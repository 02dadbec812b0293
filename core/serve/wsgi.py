"""The service as a WSGI application: ``make_app(service)`` or, for gunicorn and other
WSGI servers, ``create_app()`` configured from the environment.

werkzeug parses the request (headers, Content-Length, the body stream limited to it,
``Range`` in :mod:`core.serve.objects`) and writes the response (status line, header
list, file wrapper for large objects): the same library moto uses to emulate S3/OSS-like
services, well kept, and it saves this module hand-written HTTP. The path is split into
bucket and key here, from the raw request URI, because ``%2F`` inside a key must not
become a path separator (oss2 sends keys that way).

    gunicorn -w 4 -b 0.0.0.0:9000 'core.serve.wsgi:create_app()'

with ``OSS_IMG_ROOT`` (required), ``OSS_IMG_ACL``, ``OSS_IMG_REGION``,
``OSS_IMG_DOMAIN``, ``OSS_IMG_WORKERS`` and the usual ``OSS_ACCESS_KEY_ID`` /
``OSS_ACCESS_KEY_SECRET`` / ``OSS_SESSION_TOKEN``.
"""
from __future__ import annotations

import os
import time
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit

from werkzeug.wrappers import Request as WRequest
from werkzeug.wrappers import Response as WResponse
from werkzeug.wsgi import wrap_file

from ..errors import OssError
from ..oss.credentials import Credentials
from ..oss.urls import parse_query
from .config import (ServiceConfig, error, internal_error, log, new_request_id, redact,
                     small_int)
from .messages import Request, Response
from .service import OssService


def split_target(host: str, raw_path: str, domain: str) -> tuple[str | None, str | None]:
    """(bucket, key) from the Host header and the raw (still encoded) request path.

    ``Host: <bucket>.<domain>[:port]`` is virtual-hosted; anything else (an IP,
    ``localhost``, the domain itself) is path-style, ``/<bucket>/<key>``. The key is
    decoded once (``%2F`` is a ``/`` inside the key, as oss2 sends it); the store then
    refuses ``..``, absolute and escaping paths.
    """
    name = host.strip().lower()
    if name.startswith("["):
        name = name[:name.find("]") + 1]
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    bucket = None
    if domain and name.endswith("." + domain):
        label = name[:-len(domain) - 1]
        if label and "." not in label:
            bucket = label
    path = raw_path.lstrip("/") if bucket is None else raw_path[1:]
    if bucket is None:
        if not path:
            return None, None
        first, slash, rest = path.partition("/")
        bucket, path = _decode(first), rest
        return bucket, (_decode(path) if slash else None)
    return bucket, _decode(path)


def _decode(text: str) -> str:
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise error("InvalidURI", "The request path is not valid UTF-8 once decoded.",
                    400) from None


def _text(value: str) -> str:
    """A header value as the client meant it: WSGI hands over latin-1 text, SDKs send
    UTF-8 (x-oss-meta-*, Content-Disposition); the string to sign is built from this."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _wire(value: str) -> str:
    """A header value for WSGI (latin-1 text): UTF-8 bytes of what the service said."""
    return value.encode("utf-8").decode("latin-1")


def _raw_target(environ: dict) -> str:
    uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if uri:
        if not uri.startswith("/"):
            parts = urlsplit(uri)   # absolute-form request target
            uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return uri
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/")
    query = environ.get("QUERY_STRING", "")
    return path + (f"?{query}" if query else "")


class OssApp:
    """The WSGI callable around one :class:`OssService`."""

    def __init__(self, service: OssService) -> None:
        self.service = service

    def __call__(self, environ: dict, start_response):
        started = time.perf_counter()
        wreq = WRequest(environ)
        target = _raw_target(environ)
        host = _text(wreq.headers.get("Host", ""))
        req = Request(wreq.method, host=host)
        try:
            raw_path, _, raw_query = target.partition("?")
            headers = {k.lower(): _text(v) for k, v in wreq.headers.items()}
            raw_len = environ.get("CONTENT_LENGTH") or None
            if wreq.method in ("GET", "HEAD"):
                raw_len = None      # see runner._Parser: no body is read for these
            length = small_int(raw_len, "Content-Length") if raw_len is not None else None
            bucket, key = split_target(host, raw_path, self.service.config.domain)
            # WSGI servers drain what the service leaves unread (waitress has the whole
            # body before the app runs), so a refused upload does not poison keep-alive.
            body = wreq.stream
            req = Request(wreq.method, bucket, key, parse_query(raw_query), headers, body,
                          length, host)
            resp = self.service.handle(req)
        except OssError as e:
            resp = self.service.error_response(e, req, new_request_id())
        except Exception:
            log.exception("internal error parsing %s", redact(target))
            resp = self.service.error_response(internal_error(), req, new_request_id())
        log.info("%s %s %s %d %.1fms", resp.headers.get("x-oss-request-id", "-"),
                 req.method, redact(target), resp.status,
                 (time.perf_counter() - started) * 1000)  # pragma: no mutate
        return self._respond(resp, req, environ, start_response)

    @staticmethod
    def _respond(resp: Response, req: Request, environ: dict, start_response):
        headers = [(name, _wire(value)) for name, value in resp.headers.items()]
        if (resp.status not in (204, 304) and "Content-Length" not in resp.headers
                and not resp.chunked):
            headers.append(("Content-Length", str(resp.content_length)))
        no_body = req.method == "HEAD" or resp.status in (204, 304)
        if resp.stream is not None and not no_body:
            body = _limited(wrap_file(environ, resp.stream), resp.length or 0)
        else:
            if resp.stream is not None:
                resp.stream.close()
            body = [] if no_body else [resp.body]
            if resp.chunked and not no_body:   # a list would let the server count it
                body = (chunk for chunk in body)
        out = WResponse(body, status=_status(resp.status), headers=headers,
                        direct_passthrough=True)
        out.automatically_set_content_length = False
        return out(environ, start_response)


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def _limited(chunks, length: int):
    """At most ``length`` bytes of a file wrapper (the response is a byte range)."""
    try:
        for chunk in chunks:
            if length <= 0:
                break
            yield chunk[:length]
            length -= len(chunk)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def make_app(service: OssService) -> OssApp:
    return OssApp(service)


def create_app(root: str | None = None) -> OssApp:
    """An app configured from the environment (see the module docstring), for WSGI
    servers that import it: ``gunicorn 'core.serve.wsgi:create_app()'``."""
    env = os.environ
    root = root or env.get("OSS_IMG_ROOT")
    if not root:
        raise OssError("MissingArgument", "Set OSS_IMG_ROOT to the folder to serve.",
                       key="root")
    credentials: tuple[Credentials, ...] = ()
    try:
        credentials = (Credentials.from_env(),)
    except OssError:
        pass
    config = ServiceConfig(Path(root), acl=env.get("OSS_IMG_ACL", "public-read"),
                           credentials=credentials,
                           region=env.get("OSS_IMG_REGION", "cn-hangzhou"),
                           domain=env.get("OSS_IMG_DOMAIN", "localhost"),
                           workers=int(env.get("OSS_IMG_WORKERS", "1")))
    return OssApp(OssService(config))
