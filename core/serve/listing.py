"""Paging rules of ListObjects (V1 and V2) and ListBuckets, shared by their handlers."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Sequence

from .config import error, small_int


@dataclass(frozen=True)
class Page:
    contents: list[str]
    prefixes: list[str]
    truncated: bool
    next_marker: str


def page(keys: Sequence[str], prefix: str, marker: str, delimiter: str,
         max_keys: int) -> Page:
    """One page of a listing: keys and common prefixes after ``marker``, together at most
    ``max_keys``, in order."""
    contents: list[str] = []
    prefixes: list[str] = []
    last = ""
    truncated = False
    for key in keys:
        if key <= marker or not key.startswith(prefix):
            continue
        if delimiter:
            i = key.find(delimiter, len(prefix))
            if i >= 0:
                common = key[:i + len(delimiter)]
                if common <= marker or (prefixes and prefixes[-1] == common):
                    continue
                if len(contents) + len(prefixes) >= max_keys:
                    truncated = True
                    break
                prefixes.append(common)
                last = common
                continue
        if len(contents) + len(prefixes) >= max_keys:
            truncated = True
            break
        contents.append(key)
        last = key
    return Page(contents, prefixes, truncated, last)


def max_keys(raw: str | None, default: int = 100, name: str = "max-keys") -> int:
    if raw is None or raw == "":
        return default
    try:
        value = small_int(raw, name, digits=6)
    except Exception:
        value = None
    if value is None or not 1 <= value <= 1000:
        raise error("InvalidArgument", f"The value: {raw[:20]} of parameter: {name} is "
                    "invalid.reason:must be 1-1000", 400, ArgumentName=name)
    return value


def encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii")


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise error("InvalidArgument", "The continuation-token is not valid.", 400) from None
