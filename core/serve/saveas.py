"""POST ``?x-oss-process`` (``sys/saveas``) and POST ``?x-oss-async-process``.

``sys/saveas`` ("Save processed images" in the OSS docs): the body is
``x-oss-process=image/...|sys/saveas,o_<base64url key>[,b_<base64url bucket>]``; the
processing runs exactly as for a GET (styles, watermark objects, the image workers' time,
memory and admission limits) and the result is written atomically to the target object,
with the result's Content-Type. The answer is OSS's JSON: ``bucket`` (the ``b_`` value as
given, "" when it was left out: oss2's test_process_object checks both), ``fileSize``,
``object`` and ``status`` ``OK``.

``x-oss-async-process`` is OSS's asynchronous processing, which OSS routes to Intelligent
Media Management: documents (``doc/``), video and audio, and of images only
``image/deblindwatermark``. OSS refuses ordinary image actions there with the error code
``Imm Client`` (oss2's test_async_process_object asserts exactly that), and this server has
neither IMM's document/media engines nor blind watermarks; so every async request gets the
OSS error for its kind and nothing is queued (docs/COMPATIBILITY.md, "Asynchronous
processing").
"""
from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import unquote

from .. import codec
from ..cascade import MAX_PROCESS_LENGTH
from ..errors import OssError
from ..oss.urls import validate_bucket
from .archive import check_readable
from .config import error, not_implemented
from .messages import Request, Response
from .meta import ObjectMeta
from .xmlio import read_small

SAVEAS = "sys/saveas"
# The form body: the parameter name, "=", and a process string of at most OSS's length.
_MAX_FORM = MAX_PROCESS_LENGTH + 64
# What OSS runs asynchronously (through IMM); everything else is refused there.
_ASYNC_KINDS = ("doc", "video", "audio")


def read_form(req: Request, name: str) -> str:
    """The value of ``<name>=<value>`` in a small POST body (percent-decoded when a client
    form-encoded it; '+' is kept, it is a base64 character)."""
    data = read_small(req, _MAX_FORM)
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise error("InvalidArgument", f"The {name} body is not UTF-8 text.", 400) from None
    prefix = name + "="
    if not text.startswith(prefix):
        raise error("MissingArgument", f"The request body must be {name}=<process>.", 400,
                    ArgumentName=name)
    value = text[len(prefix):]
    return unquote(value) if "%" in value else value


def _b64(value: str, what: str) -> str:
    """A urlsafe-base64 parameter (padding optional, as OSS accepts both)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        text = ""
    if not text:
        raise error("InvalidArgument", f"The saveas parameter {what} is not valid URL-safe "
                    "base64 of a UTF-8 name.", 400, ArgumentName=what)
    return text


def split_saveas(process: str) -> tuple[str, str | None, str]:
    """(process before the pipe, target bucket or None, target key) of
    ``<process>|sys/saveas,o_...[,b_...]``."""
    head, pipe, tail = process.partition("|")
    if not pipe:
        raise error("InvalidArgument", "A POST x-oss-process needs sys/saveas: "
                    "<process>|sys/saveas,o_<base64url key>[,b_<base64url bucket>].", 400,
                    ArgumentName="x-oss-process")
    action, _, params = tail.partition(",")
    if action != SAVEAS:
        raise error("InvalidArgument", f"The action after '|' must be {SAVEAS} (got "
                    f"{action!r}).", 400, ArgumentName="x-oss-process")
    if "|" in params:
        raise error("InvalidArgument", f"Only one '|{SAVEAS}' may follow the process.",
                    400, ArgumentName="x-oss-process")
    values: dict[str, str] = {}
    for item in params.split(",") if params else ():
        name, sep, value = item.partition("_")
        if not sep or name not in ("o", "b") or name in values:
            raise error("InvalidArgument", f"Unknown or repeated saveas parameter {item!r} "
                        "(o_ and b_ are).", 400, ArgumentName="x-oss-process")
        values[name] = value
    if "o" not in values:
        raise error("MissingArgument", "sys/saveas needs o_<base64url target key>.", 400,
                    ArgumentName="o")
    bucket = _b64(values["b"], "b") if "b" in values else None
    return head, bucket, _b64(values["o"], "o")


def refuse_pipe_in_get(process: str) -> None:
    """``sys/saveas`` is only for POST (OSS answers a GET carrying it with 400)."""
    if "|" in process:
        raise error("InvalidArgument", "sys/saveas (a '|' in x-oss-process) is only "
                    "allowed in POST /<key>?x-oss-process.", 400,
                    ArgumentName="x-oss-process")


class SaveAsOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    def _process_object(self, req: Request) -> Response:
        process, target_bucket, target_key = split_saveas(read_form(req, "x-oss-process"))
        bucket = target_bucket or req.bucket
        if target_bucket is not None:
            validate_bucket(target_bucket)
        self.store.paths(bucket, target_key, for_write=True)  # NoSuchBucket / bad name first
        if req.anonymous and not self._may("PutObject", bucket, target_key, frozenset()):
            # the source bucket let this unsigned request in; the target must allow the write
            raise error("AccessDenied", "You have no right to access this object because "
                        "of bucket acl.", 403)
        data, st = self.store.read(req.bucket, req.key, limit=codec.MAX_SOURCE_BYTES)
        check_readable(self.metas.get(req.bucket, req.key, st), self._clock())  # Archive
        result = self.process(req.bucket, data, process)
        # the bucket's ACL and storage class, as OSS documents for saved images
        meta = ObjectMeta([], "", "", {"Content-Type": result.content_type}, "default",
                          "Normal", self.metas.bucket_class(bucket))
        info = self._write(req, bucket, target_key, [result.data], meta,
                           limit=len(result.data), check_digests=False)
        body = {"bucket": target_bucket or "", "fileSize": info.size,
                "object": target_key, "status": "OK"}
        return Response(200, {"Content-Type": "application/json"},
                        json.dumps(body).encode("utf-8"))

    def _async_process_object(self, req: Request) -> Response:
        process = read_form(req, "x-oss-async-process")
        kind = process.split("|", 1)[0].split("/", 1)[0]
        self.store.open(req.bucket, req.key)[0].close()     # NoSuchKey first, as OSS
        if kind in _ASYNC_KINDS:
            raise not_implemented(f"Asynchronous {kind} processing (Intelligent Media "
                                  "Management)")
        if process.startswith("image/deblindwatermark"):   # the one async image action
            raise not_implemented("Blind watermark decoding (image/deblindwatermark)")
        if kind in ("image", "style"):
            raise OssError("Imm Client", "InvalidArgument, image processing does not run "
                           "asynchronously; use x-oss-process (with sys/saveas to keep "
                           "the result).", status=400)
        raise error("InvalidArgument", f"The value: {kind} of parameter: "
                    "x-oss-async-process is invalid.", 400,
                    ArgumentName="x-oss-async-process")
