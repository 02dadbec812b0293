"""ListObjects (V1) answers: one page of a bucket's keys under a prefix.

OSS answers ``GET /?prefix=&marker=&max-keys=&delimiter=`` with a ``ListBucketResult``
holding ``Contents`` (Key, LastModified, ETag, Size, ...), ``CommonPrefixes`` when a
delimiter is given, ``IsTruncated`` and ``NextMarker`` to ask for the next page
(https://www.alibabacloud.com/help/en/oss/developer-reference/listobjects).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..errors import OssError

MAX_KEYS_LIMIT = 1000   # OSS's upper bound for max-keys


@dataclass(frozen=True)
class ObjectEntry:
    key: str
    size: int
    last_modified: str = ""
    etag: str = ""


@dataclass(frozen=True)
class ObjectListing:
    objects: tuple[ObjectEntry, ...]
    prefixes: tuple[str, ...] = ()
    truncated: bool = False
    next_marker: str = ""


def list_query(prefix: str = "", marker: str = "", max_keys: int = 100,
               delimiter: str = "") -> dict[str, str]:
    """The query of one ListObjects request (empty parameters left out)."""
    if not 1 <= max_keys <= MAX_KEYS_LIMIT:
        raise OssError("InvalidArgument", f"max-keys must be 1-{MAX_KEYS_LIMIT}, not "
                       f"{max_keys}.", key="max-keys")
    query = {"prefix": prefix, "marker": marker, "delimiter": delimiter}
    query = {k: v for k, v in query.items() if v}
    query["max-keys"] = str(max_keys)
    return query


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return child.text or ""
    return ""


def parse_listing(body: bytes) -> ObjectListing:
    """Read a ListBucketResult; a body that is not one is a clear error."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise OssError("InvalidResponse", f"ListObjects answer is not XML: {e}.") from None
    if _local(root.tag) != "ListBucketResult":
        raise OssError("InvalidResponse",
                       f"ListObjects answered <{_local(root.tag)}>, not <ListBucketResult>.")
    objects, prefixes = [], []
    for child in root:
        name = _local(child.tag)
        if name == "Contents":
            try:
                size = int(_text(child, "Size") or 0)
            except ValueError:
                size = 0
            objects.append(ObjectEntry(_text(child, "Key"), size,
                                       _text(child, "LastModified"),
                                       _text(child, "ETag").strip('"')))
        elif name == "CommonPrefixes":
            prefixes.append(_text(child, "Prefix"))
    return ObjectListing(tuple(objects), tuple(prefixes),
                         _text(root, "IsTruncated").lower() == "true",
                         _text(root, "NextMarker"))


__all__ = ["ObjectEntry", "ObjectListing", "list_query", "parse_listing", "MAX_KEYS_LIMIT"]
