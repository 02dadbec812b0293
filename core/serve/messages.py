"""One request and one response in OSS terms, independent of HTTP and WSGI."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO, Callable


@dataclass
class Request:
    """``key`` is the decoded object key ("" or None for bucket and service calls); ``query``
    holds decoded values (:func:`core.oss.urls.parse_query`); ``headers`` lower-case names,
    values as the client sent them (UTF-8 decoded). ``body`` is read by the service, at
    most ``max_body_bytes`` (+1 to detect excess); ``content_length`` is the declared
    length (None when unknown).
    """

    method: str
    bucket: str | None = None
    key: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: BinaryIO | None = None
    content_length: int | None = 0
    host: str = ""
    anonymous: bool = False     # set by the service: the request carries no signature

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.headers = {k.lower(): str(v) for k, v in self.headers.items()}


@dataclass
class Response:
    """``body`` bytes, or ``stream`` (an open file) of ``length`` bytes from its position."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: BinaryIO | None = None
    length: int | None = None
    chunked: bool = False      # no Content-Length: the server sends it chunked

    @property
    def content_length(self) -> int:
        return self.length if self.stream is not None else len(self.body)


@dataclass(frozen=True)
class Operation:
    """A routed request: the OSS API name (for access checks and logs) and its handler."""

    name: str
    run: Callable[[Request], Response]
