"""Upload callbacks (OSS "Callback"): after PutObject or CompleteMultipartUpload the
server POSTs the rendered ``callbackBody`` to ``callbackUrl`` and answers the upload with
the callback server's JSON; when the callback fails the object stays stored and the answer
is 203 ``CallbackFailed``, as OSS documents.

The parameters come from ``x-oss-callback`` / ``x-oss-callback-var`` (headers) or
``callback`` / ``callback-var`` (query, e.g. in a signed URL): base64 of JSON. They are
checked before the upload, so a malformed one stores nothing (400 InvalidArgument).

Safety: a server that POSTs wherever a request says is an SSRF relay. Callbacks go only
to hosts allowed by ``ServiceConfig.callback_hosts`` (``--allow-callback-hosts``): by
default ``loopback`` (``localhost`` and loopback IP literals); a refused host is a failed
callback (203), so the upload is still answered truthfully. Redirects are not followed and
proxies from the environment are not used. Outbound HTTP is ``requests`` (already a
dependency; it gives timeouts, TLS and bounded streaming reads).

Signing: OSS signs each callback with its RSA key: ``authorization`` is base64 of the
PKCS#1 v1.5 MD5 signature of ``url_decode(path)[?query]``, a newline and the body, and
``x-oss-pub-key-url`` base64 of where the public key is published. This server has no key
a callback server trusts by default; with ``--callback-key PEM`` and
``--callback-pub-key-url URL`` (where the operator publishes the public half) it signs
the same way, with ``cryptography`` (the well-kept library for RSA; optional extra
``callback-sign``). Without them neither header is sent.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from .. import codec
from ..errors import OssError
from .callback_sign import load_signing_key, sign_callback
from .config import content_type_for, error, http_date, log
from .messages import Request, Response

CALLBACK_OPERATIONS = ("PutObject", "CompleteMultipartUpload")
BODY_TYPES = ("application/x-www-form-urlencoded", "application/json")
MAX_URLS = 5                          # OSS: at most 5 URLs, tried in turn
MAX_ANSWER = 3 * 1024 * 1024          # OSS: the callback server's body is at most 3 MB
DEFAULT_TIMEOUT = 5.0                 # OSS: fixed 5 s
LOOPBACK = "loopback"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_NUMERIC = frozenset({"size", "imageInfo.height", "imageInfo.width"})
_SLOTS_LOCK = threading.Lock()


@dataclass
class Callback:
    urls: list[str]
    body: str
    body_type: str = BODY_TYPES[0]
    host: str | None = None
    variables: dict[str, str] = field(default_factory=dict)


def _json_param(raw: str, what: str) -> dict:
    try:
        value = json.loads(base64.b64decode(raw.strip(), validate=True).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise error("InvalidArgument", f"The {what} parameter is not base64 of a JSON "
                    "object.", 400, ArgumentName=what)
    return value


def parse_callback(req: Request) -> Callback | None:
    """The request's callback, validated; None when it has none."""
    raw = req.headers.get("x-oss-callback", req.query.get("callback"))
    if raw is None or not raw.strip():
        return None
    cfg = _json_param(raw, "callback")
    urls = cfg.get("callbackUrl")
    if not isinstance(urls, str) or not urls.strip():
        raise error("InvalidArgument", "The callback parameter needs callbackUrl.", 400,
                    ArgumentName="callbackUrl")
    url_list = [u.strip() for u in urls.split(";") if u.strip()]
    if len(url_list) > MAX_URLS:
        raise error("InvalidArgument", f"callbackUrl holds more than {MAX_URLS} URLs.", 400,
                    ArgumentName="callbackUrl")
    body = cfg.get("callbackBody")
    if not isinstance(body, str) or not body:
        raise error("InvalidArgument", "The callbackBody of the callback parameter is empty "
                    "or not a string.", 400, ec="0007-00000011", ArgumentName="callbackBody")
    host = cfg.get("callbackHost")
    if host is not None and (not isinstance(host, str) or not _valid_host(host)):
        raise error("InvalidArgument", "The callbackHost of the callback parameter is not a "
                    "host name or IP address.", 400, ec="0007-00000009",
                    ArgumentName="callbackHost")
    body_type = cfg.get("callbackBodyType") or BODY_TYPES[0]
    if body_type not in BODY_TYPES:
        raise error("InvalidArgument", "callbackBodyType must be " + " or ".join(BODY_TYPES)
                    + ".", 400, ArgumentName="callbackBodyType")
    variables: dict[str, str] = {}
    raw_vars = req.headers.get("x-oss-callback-var", req.query.get("callback-var"))
    if raw_vars is not None and raw_vars.strip():
        # Only x: names are custom variables; OSS stores the upload and calls back when
        # callback-var holds other names too (oss2's test_sign_url_with_callback sends
        # the callback JSON itself as callback-var), so those are ignored, not refused.
        for name, value in _json_param(raw_vars, "callback-var").items():
            if name.startswith("x:"):
                variables[name] = value if isinstance(value, str) else json.dumps(value)
    return Callback(url_list, body, body_type, host or None, variables)


def _valid_host(host: str) -> bool:
    return bool(host) and len(host) <= 255 and not any(c in host for c in "/\\ @?#\r\n\t")


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    """``host`` (from the URL) against ``--allow-callback-hosts`` patterns: ``*`` (any),
    ``loopback`` (localhost and loopback IP literals), ``*.example.com`` (sub-domains), or
    an exact name or IP literal."""
    host = host.lower().strip("[]").rstrip(".")
    for pattern in patterns:
        p = pattern.lower().strip()
        if p == "*":
            return True
        if p == LOOPBACK:
            if host == "localhost":
                return True
            try:
                if ipaddress.ip_address(host).is_loopback:
                    return True
            except ValueError:
                pass
        elif p.startswith("*."):
            if host.endswith(p[1:]):
                return True
        elif host == p.strip("[]"):
            return True
    return False


def render(template: str, values: dict, as_json: bool) -> str:
    """``${name}`` replaced: URL-encoded for a form body; for a JSON body strings become
    JSON strings and sizes numbers (OSS's ``{"size":${size}}`` form). Unknown names are
    empty."""
    def one(match: re.Match) -> str:
        name = match.group(1)
        value = values.get(name, "")
        if as_json:
            if name in _NUMERIC and value != "":
                return str(value)
            return json.dumps(str(value), ensure_ascii=False)
        return quote(str(value), safe="")
    return _VARIABLE.sub(one, template)


class CallbackOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    def _callback_for(self, operation: str, req: Request) -> Callback | None:
        return parse_callback(req) if operation in CALLBACK_OPERATIONS else None

    def _run_callback(self, callback: Callback, operation: str, req: Request,
                      resp: Response, request_id: str) -> Response:
        if resp.status != 200:
            return resp
        slots = self._callback_slots()
        if not slots.acquire(blocking=False):
            # a callback holds its request thread for up to callback_timeout per URL:
            # never all of them, so plain GET/PUT keep a thread (OSS has this message too)
            answer, failure = b"", "Too many callback requests."
        else:
            try:
                values = self._callback_values(callback, operation, req, resp, request_id)
            except OssError:  # the object went away between the upload and its callback
                answer, failure = b"", "Get image info failed."
            else:
                body = render(callback.body, values,
                              callback.body_type == "application/json")
                answer, failure = self._deliver(callback, body, req, request_id)
            finally:
                slots.release()
        keep = {k: v for k, v in resp.headers.items()
                if k in ("ETag", "Content-MD5", "x-oss-hash-crc64ecma")}
        if failure is None:
            return Response(200, {**keep, "Content-Type": "application/json"}, answer)
        err = error("CallbackFailed", failure, 203)
        out = self.error_response(err, req, request_id)
        out.headers.update(keep)
        return out

    def _callback_slots(self) -> threading.BoundedSemaphore:
        """Callbacks in flight at once: all request threads but 4, as for image work."""
        with _SLOTS_LOCK:
            slots = self.__dict__.get("_callback_semaphore")
            if slots is None:
                slots = threading.BoundedSemaphore(max(1, self.config.threads - 4))
                self.__dict__["_callback_semaphore"] = slots
            return slots

    def _callback_signer(self):
        """The loaded signing key, or None when callbacks go unsigned."""
        if self.config.callback_key is None:
            return None
        with _SLOTS_LOCK:
            key = self.__dict__.get("_callback_key_loaded")
            if key is None:
                key = self.__dict__["_callback_key_loaded"] = load_signing_key(
                    self.config.callback_key)
            return key

    def _sign(self, prepared) -> None:
        """OSS's callback signature over the path and query as they are sent (requests
        normalises a URL's escapes, e.g. %7E to ~)."""
        signer = self._callback_signer()
        if signer is None:
            return
        parts = urlsplit(prepared.url)
        prepared.headers["authorization"] = sign_callback(signer, parts.path, parts.query,
                                                          prepared.body or b"")
        prepared.headers["x-oss-pub-key-url"] = base64.b64encode(
            self.config.callback_pub_key_url.encode("utf-8")).decode("ascii")

    def _callback_values(self, callback: Callback, operation: str, req: Request,
                         resp: Response, request_id: str) -> dict:
        f, st = self.store.open(req.bucket, req.key)
        with f:
            meta = self._object_meta(req.bucket, req.key, f, st)
            values = {"bucket": req.bucket, "object": req.key, "etag": meta.etag.strip('"'),
                      "size": st.st_size, "crc64": meta.crc64,
                      "mimeType": meta.headers.get("Content-Type")
                      or content_type_for(req.key),
                      "contentMd5": resp.headers.get("Content-MD5", ""),
                      "operation": operation, "reqId": request_id}
            if "${imageInfo." in callback.body and st.st_size <= codec.MAX_SOURCE_BYTES:
                try:
                    header = codec.read_header(f.read())
                    values.update({"imageInfo.height": header.height,
                                   "imageInfo.width": header.width,
                                   "imageInfo.format": header.format})
                except (OssError, OSError, ValueError):
                    pass   # not an image: the imageInfo variables are empty, as OSS
        values.update(callback.variables)
        return values

    def _deliver(self, callback: Callback, body: str, req: Request, request_id: str
                 ) -> tuple[bytes, str | None]:
        """(the callback server's answer, None) or (b"", why it failed)."""
        import requests

        failure = "No callback URL was tried."
        timeout = self.config.callback_timeout
        for url in callback.urls:
            full = url if "://" in url else "http://" + url
            parts = urlsplit(full)
            if (parts.scheme not in ("http", "https") or not parts.hostname
                    or "@" in parts.netloc):
                failure = f"The callbackUrl {url!r} is not an http(s) URL of a host."
                continue
            if not host_allowed(parts.hostname, self.config.callback_hosts):
                failure = (f"Error status : -1.This server does not call back "
                           f"{parts.hostname} (allowed: "
                           f"{', '.join(self.config.callback_hosts) or 'none'}; see "
                           "oss-img serve --allow-callback-hosts).")
                continue
            headers = {"Host": callback.host or parts.netloc,
                       "Content-Type": callback.body_type, "Date": http_date(time.time()),
                       "User-Agent": "aliyun-oss-callback", "x-oss-bucket": req.bucket,
                       "x-oss-request-id": request_id, "x-oss-tag": "CALLBACK"}
            session = requests.Session()
            session.trust_env = False        # never through a proxy from the environment
            try:
                prepared = session.prepare_request(requests.Request(
                    "POST", full, data=body.encode("utf-8"), headers=headers))
                self._sign(prepared)
                with session.send(prepared, timeout=timeout, allow_redirects=False,
                                  stream=True) as r:
                    answer = r.raw.read(MAX_ANSWER + 1, decode_content=True)
                    status = r.status_code
            except requests.Timeout:
                failure = "Cost too long time."
                continue
            except (requests.RequestException, ValueError):
                failure = ("Error status : -1.OSS can not connect to your callbackUrl, "
                           "please check it.")
                continue
            except OssError as e:     # the signing key became unreadable after start-up
                failure = f"The callback could not be signed: {e.message}"
                continue
            finally:
                session.close()
            if status != 200:
                failure = f"Error status : {status}."
            elif len(answer) > MAX_ANSWER:
                failure = "Error status : 400.User server return too long content-length value."
            else:
                try:   # UTF-8 text: json.loads would skip a BOM (or read UTF-16), OSS not
                    json.loads(answer.decode("utf-8"))
                except ValueError:
                    failure = "Response body is not valid json format."
                else:
                    return answer, None
        log.info("upload callback for %s/%s failed: %s", req.bucket, req.key, failure)
        return b"", failure
