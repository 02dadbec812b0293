"""The service without HTTP, as the in-process tests drive it: an OssService over a folder,
each request handed to ``OssService.handle`` directly (the bucket's ACL decides: unsigned)."""
from __future__ import annotations

import io
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


def set_versioning(svc: OssService, bucket: str, status: str) -> None:
    """PutBucketVersioning with ``status`` (Enabled / Suspended), which must succeed."""
    body = (f"<VersioningConfiguration><Status>{status}</Status>"
            "</VersioningConfiguration>").encode()
    assert handle(svc, "PUT", bucket, None, {"versioning": ""}, body).status == 200
