"""Object tagging: PutObjectTagging, GetObjectTagging, DeleteObjectTagging (``?tagging``)
and the ``x-oss-tagging`` header of PutObject, AppendObject (first append), CopyObject
(``x-oss-tagging-directive: Replace``), PutSymlink and InitiateMultipartUpload.

Tags are kept in the object's metadata record (:mod:`core.serve.meta`), so they go away
with the object. OSS's rules (docs "Object tagging", error pages 0010-00000209 ... 219;
a key given twice is 0010-00000210):
at most 10 tags, unique keys of 1-128 characters, values of 0-256 characters, made of
letters, digits, spaces and ``+ - = . _ : /``; in the header, URL-encoded
``k1=v1&k2=v2``. The docs list ASCII letters, but OSS stores Chinese ones (oss2's own
suite tags an object ``中文``), so any Unicode letter or digit is taken.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote

from .config import error, malformed_xml
from .messages import Operation, Request, Response
from .xmlio import el, read_xml, xml_doc

MAX_TAGS = 10
MAX_KEY = 128
MAX_VALUE = 256
_SPECIAL = frozenset(" +-=._:/")
DIRECTIVES = ("COPY", "REPLACE")


def _allowed(text: str) -> bool:
    return all(c in _SPECIAL or unicodedata.category(c)[0] in "LN" for c in text)


def _invalid_key(key: str, ec: str) -> Exception:
    return error("InvalidTag", "The TagKey you have provided is invalid.", 400, ec=ec,
                 TagKey=key[:MAX_KEY + 1])


def validate_tags(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The tags as a dict, in the order given, or OSS's error for the first bad one."""
    tags: dict[str, str] = {}
    for key, value in pairs:
        if not key or not _allowed(key):
            raise _invalid_key(key, "0010-00000212")
        if len(key) > MAX_KEY:
            raise _invalid_key(key, "0010-00000209")
        if len(value) > MAX_VALUE:
            raise error("InvalidTag", "The TagValue you have provided is invalid.", 400,
                        ec="0010-00000214", TagKey=key)
        if not _allowed(value):
            raise error("InvalidTag", "The TagValue you have provided is invalid.", 400,
                        ec="0010-00000217", TagKey=key)
        if key in tags:
            raise error("InvalidTag", "Cannot provide multiple Tags with the same key.",
                        400, ec="0010-00000210", TagKey=key)
        tags[key] = value
    if len(tags) > MAX_TAGS:
        raise error("BadRequest", f"Object tags cannot be greater than {MAX_TAGS}.", 400,
                    ec="0010-00000217")
    return tags


def tags_from_header(headers: dict[str, str]) -> dict[str, str]:
    """The tags of ``x-oss-tagging: k1=v1&k2=v2`` (keys and values URL-encoded; ``k``
    alone is an empty value; empty items are skipped). ``{}`` when absent."""
    raw = headers.get("x-oss-tagging")
    if raw is None:
        return {}
    pairs = []
    for item in raw.split("&"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if "=" in value:
            raise _header_error()
        try:
            pairs.append((unquote(key, errors="strict"), unquote(value, errors="strict")))
        except UnicodeDecodeError:
            raise _header_error() from None
    return validate_tags(pairs)


def _header_error() -> Exception:
    return error("InvalidArgument", "The header 'x-oss-tagging' shall be encoded as UTF-8 "
                 "then URLEncoded URL query parameters without tag name duplicates.", 400,
                 ec="0010-00000219", ArgumentName="x-oss-tagging")


def tagging_directive(headers: dict[str, str]) -> str:
    """CopyObject's ``x-oss-tagging-directive``: COPY (the default) or REPLACE."""
    directive = headers.get("x-oss-tagging-directive", "COPY").upper()
    if directive not in DIRECTIVES:
        raise error("InvalidArgument", "x-oss-tagging-directive must be Copy or Replace.",
                    400, ArgumentName="x-oss-tagging-directive")
    return directive


def tagging_xml(tags: dict[str, str]) -> bytes:
    body = "".join(f"<Tag>{el('Key', k)}{el('Value', v)}</Tag>" for k, v in tags.items())
    return xml_doc("Tagging", f"<TagSet>{body}</TagSet>")


class TaggingOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    def _route_tagging(self, req: Request) -> Operation:
        table = {"GET": ("GetObjectTagging", self._get_object_tagging),
                 "PUT": ("PutObjectTagging", self._put_object_tagging),
                 "DELETE": ("DeleteObjectTagging", self._delete_object_tagging)}
        if req.method not in table:
            raise self._not_allowed(req.method)
        return Operation(*table[req.method])

    def _set_tags(self, req: Request, tags: dict[str, str]) -> None:
        """Replace the object's tags; its data, ETag and Last-Modified stay as they are."""
        f, st = self.store.open(req.bucket, req.key)
        with f:
            meta = self._object_meta(req.bucket, req.key, f, st)
            meta.tags = tags
            self.metas.put(req.bucket, req.key, st, meta)

    def _get_object_tagging(self, req: Request) -> Response:
        f, st = self.store.open(req.bucket, req.key)
        with f:
            tags = self._object_meta(req.bucket, req.key, f, st).tags
        return Response(200, {"Content-Type": "application/xml"}, tagging_xml(tags))

    def _put_object_tagging(self, req: Request) -> Response:
        root = read_xml(req)
        tag_set = root.find("TagSet") if root is not None and root.tag == "Tagging" else None
        if tag_set is None:
            raise malformed_xml("0010-00000101")
        pairs = [(t.findtext("Key") or "", t.findtext("Value") or "")
                 for t in tag_set.findall("Tag")]
        self._set_tags(req, validate_tags(pairs))
        return Response(200)

    def _delete_object_tagging(self, req: Request) -> Response:
        self._set_tags(req, {})
        return Response(204)
