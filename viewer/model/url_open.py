"""What to do with an OSS URL that carries processing: open the stored object, load the
cascade -- the same whether the URL was opened with "URL…", pasted or dropped.

``http://host/bucket/cat.jpg?x-oss-process=image/resize,w_150/rotate,45`` is the stored
``cat.jpg`` plus a cascade. Fetching it as is would load the *processed* image as the
source and the cascade would then be applied a second time. So: fetch the URL without
``x-oss-process``, then put the cascade in the editor, and say so.

- ``?x-oss-process=style/<name>`` and the custom-separator forms (``cat.jpg!thumb``,
  ``cat.jpg-thumb``, ``cat.jpg_thumb``, ``cat.jpg/thumb``: the part before the separator
  must look like an image file, or the URL is taken as a plain object) open the stored
  object; the style's actions live in the bucket, so the notice names the style.
- A signed URL's signature covers ``x-oss-process``: without it the URL would be
  refused. Such a URL is fetched as given (the processed image becomes the source) and the
  notice says why the cascade was not loaded.

Pure: no Qt, no network.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from core.oss.urls import SEPARATORS

SIGNATURE_PARAMS = ("signature", "x-oss-signature", "x-oss-credential")
IMAGE_NAME_RE = re.compile(r".+\.(jpe?g|png|webp|gif|bmp|tiff?|heic|heif|avif)$",
                           re.IGNORECASE)
STYLE_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,64}\Z")


@dataclass(frozen=True)
class UrlPlan:
    fetch_url: str               # what to download as the source
    process: str = ""            # the image/... cascade to load after, if any
    style: str = ""              # a style named by the URL (not expandable here)
    notice: str = ""             # what the user is told once the source is open


def _split_query(query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


def _join_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{n}={v}" if v else n for n, v in pairs)


def plan_url(url: str) -> UrlPlan:
    parts = urlsplit(url.strip())
    pairs = _split_query(parts.query)
    process = ""
    rest = []
    for name, value in pairs:
        if unquote(name).lower() == "x-oss-process":
            process = unquote(value)     # '+' stays literal, as OSS reads it
        else:
            rest.append((name, value))
    signed = any(unquote(n).lower() in SIGNATURE_PARAMS for n, _ in pairs)
    if process:
        if signed:
            return UrlPlan(url, notice=(
                f"Opened the processed image: the URL is signed and its signature covers "
                f"x-oss-process={process}, so the stored object cannot be fetched with it. "
                "The cascade was not loaded (it would apply twice)."))
        stored = urlunsplit(parts._replace(query=_join_query(rest)))
        if process.startswith("style/"):
            style = process[len("style/"):]
            return UrlPlan(stored, style=style, notice=(
                f"Opened the stored object, without style/{style}: a style's actions "
                "live in the bucket (the Styles panel lists and copies them)."))
        return UrlPlan(stored, process=process, notice=(
            "Opened the stored object and loaded its cascade into the editor "
            f"({process})."))
    if not signed:
        path = parts.path
        head, _, last = path.rpartition("/")
        for sep in SEPARATORS:
            if sep == "/":
                obj, style = head.rsplit("/", 1)[-1], last
                base = head
            elif sep in last:
                obj, _, style = last.rpartition(sep)
                base = f"{head}/{obj}"
            else:
                continue
            if IMAGE_NAME_RE.match(unquote(obj)) and STYLE_NAME_RE.match(unquote(style)) \
                    and not IMAGE_NAME_RE.match(unquote(last)):
                stored = urlunsplit(parts._replace(path=base))
                return UrlPlan(stored, style=unquote(style), notice=(
                    f"Opened the stored object {unquote(obj)}, without style "
                    f"{unquote(style)} (custom separator '{sep}'): a style's actions live "
                    "in the bucket."))
    return UrlPlan(url)


__all__ = ["UrlPlan", "plan_url"]
