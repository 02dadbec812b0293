"""The service without HTTP, as the in-process tests drive it: an OssService over a folder,
each request handed to ``OssService.handle`` directly (the bucket's ACL decides: unsigned)."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from core.serve.config import ServiceConfig
from core.serve.messages import Request, Response
from core.serve.service import OssService

T0 = 1_700_000_000                    # 2023-11-14T22:13:20Z


class SettableClock:
    """The service's clock, moved by the test (``clock.now = ...``)."""

    def __init__(self, now: float = T0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now


def one_bucket_service(root: Path, bucket: str, *, clock: Callable[[], float] = lambda: float(T0),
                       acl: str = "public-read-write", **config) -> OssService:
    """A service over ``root`` holding one empty bucket; ``config``: more ServiceConfig."""
    (root / bucket).mkdir()
    return OssService(ServiceConfig(root, acl=acl, **config), clock=clock)


def handle(svc: OssService, method: str, bucket: str | None, key: str | None = None,
           query=None, body: bytes = b"", headers=None, *, length: int | None | str = "auto",
           host: str = "127.0.0.1:9000") -> Response:
    """One unsigned request; ``length`` is the body's size unless given (None: unknown)."""
    return svc.handle(Request(method, bucket, key, dict(query or {}), dict(headers or {}),
                              io.BytesIO(body), len(body) if length == "auto" else length,
                              host=host))


def calls_to(bucket: str) -> Callable[..., Response]:
    """:func:`handle` bound to one bucket: ``call(svc, method, key=None, query=None,
    body=b"", headers=None, **handle's keywords)``."""
    def call(svc: OssService, method: str, key: str | None = None, query=None,
             body: bytes = b"", headers=None, **kw) -> Response:
        return handle(svc, method, bucket, key, query, body, headers, **kw)
    return call


def set_versioning(svc: OssService, bucket: str, status: str) -> None:
    """PutBucketVersioning with ``status`` (Enabled / Suspended), which must succeed."""
    body = (f"<VersioningConfiguration><Status>{status}</Status>"
            "</VersioningConfiguration>").encode()
    assert handle(svc, "PUT", bucket, None, {"versioning": ""}, body).status == 200


def xml_document(resp: Response, tag: str, status: int = 200) -> ET.Element:
    """The XML body of an answer, checked: status, Content-Type application/xml (OSS's for
    every XML body), root element ``tag``."""
    assert resp.status == status, resp.body
    assert resp.headers["Content-Type"] == "application/xml"
    root = ET.fromstring(resp.body)
    assert root.tag == tag
    return root


def error_fields(resp: Response, status: int, code: str) -> dict[str, str]:
    """The elements of an OSS error answer, after checking its HTTP status and Code."""
    fields = {child.tag: child.text or "" for child in xml_document(resp, "Error", status)}
    assert fields["Code"] == code, fields
    return fields
