"""One error family for everything the engine, the client and the service report.

Every error carries the OSS ``Code`` (``InvalidArgument``, ``BadRequest`` ...), the HTTP
status OSS would answer with, a message in OSS wording, the fine-grained ``EC`` where the
OSS documentation publishes one, and -- for processing errors -- the step index and the
parameter key at fault, so that a user interface can point at the exact token.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# HTTP status for each OSS code we emit.
STATUS = {
    "InvalidArgument": 400,
    "BadRequest": 400,
    "MissingArgument": 400,
    "ImageTooLarge": 400,
    "WatermarkError": 400,
    "InvalidRequest": 400,
    "EntityTooLarge": 400,
    "InvalidBucketName": 400,
    "InvalidObjectName": 400,
    "InvalidDigest": 400,
    "RequestTimeTooSkewed": 403,
    "AccessDenied": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidAccessKeyId": 403,
    "NoSuchKey": 404,
    "NoSuchBucket": 404,
    "NoSuchStyle": 404,
    "MethodNotAllowed": 405,
    "RequestTimeout": 400,
    "Cancelled": 499,
    "InternalError": 500,
    "NotImplemented": 501,
}


@dataclass
class OssError(Exception):
    """An error in OSS terms.

    ``step`` is the zero-based index of the action in the cascade (None when the error is not
    tied to one step); ``key`` is the parameter key (or ``"value"`` for the bare value of a
    single-value action); ``span`` is the (start, end) character range of the offending
    token in the process string when the parser knows it.
    """

    code: str
    message: str
    ec: str | None = None
    status: int | None = None
    step: int | None = None
    action: str | None = None
    key: str | None = None
    span: tuple[int, int] | None = None
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status is None:
            self.status = STATUS.get(self.code, 400)
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def where(self) -> str:
        """Human description of the location: ``step 2 (resize), key w``."""
        parts = []
        if self.step is not None:
            parts.append(f"step {self.step + 1}" + (f" ({self.action})" if self.action else ""))
        elif self.action:
            parts.append(self.action)
        if self.key:
            parts.append(f"key {self.key}")
        return ", ".join(parts)

    def at(self, *, step: int | None = None, action: str | None = None,
           span: tuple[int, int] | None = None) -> "OssError":
        """Fill in location fields that are still unknown (returns self)."""
        if self.step is None and step is not None:
            self.step = step
        if self.action is None and action is not None:
            self.action = action
        if self.span is None and span is not None:
            self.span = span
        return self

    def to_xml(self, request_id: str = "", host_id: str = "") -> str:
        from xml.sax.saxutils import escape

        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<Error>",
            f"  <Code>{escape(self.code)}</Code>",
            f"  <Message>{escape(self.message)}</Message>",
            f"  <RequestId>{escape(request_id)}</RequestId>",
            f"  <HostId>{escape(host_id)}</HostId>",
        ]
        for k, v in self.details.items():
            lines.append(f"  <{k}>{escape(str(v))}</{k}>")
        if self.ec:
            lines.append(f"  <EC>{escape(self.ec)}</EC>")
            lines.append(
                f"  <RecommendDoc>https://api.aliyun.com/troubleshoot?q={escape(self.ec)}</RecommendDoc>")
        lines.append("</Error>")
        return "\n".join(lines) + "\n"


def invalid(key: str, value: str, reason: str | None = None, ec: str | None = None,
            param: str | None = None) -> OssError:
    """OSS wording: ``The value: 0 of parameter: w is invalid.``"""
    msg = f"The value: {value} of parameter: {param or key} is invalid."
    if reason:
        msg += f"reason:{reason}"
    return OssError("InvalidArgument", msg, ec=ec, key=key)


class Cancelled(OssError):
    def __init__(self) -> None:
        super().__init__("Cancelled", "Processing was cancelled.")
