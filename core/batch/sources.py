"""What a batch runs over: a folder, a text file of paths or URLs, or an OSS prefix.

:func:`discover` turns the SOURCES argument into :class:`Item` values -- a relative
``name`` (where the output goes under OUT_DIR, and the key of the manifest) and a
``ref`` saying where the bytes are. Items are small and picklable: the bytes are read by
whoever processes the item (:func:`read_bytes`), a local process or a Dask worker, so a
bucket of millions never passes through the machine that started the run.

Credentials for OSS come from the environment of the process that reads
(``OSS_ACCESS_KEY_ID`` ...); they never travel with the work.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator
from urllib.parse import unquote, urlsplit

from .. import codec
from ..errors import OssError

FILE, URL, OSS = "file", "url", "oss"
MANIFEST = "manifest.jsonl"
URL_TIMEOUT = 30.0


@dataclass(frozen=True)
class OssSpec:
    """How to reach a bucket (no secrets): the connection options of ``oss-img url``."""

    endpoint: str
    bucket: str
    https: bool | None = None
    cname: str | None = None
    path_style: bool = False
    version: str = "v4"
    region: str | None = None
    timeout: float = 30.0

    def client(self):
        from ..oss.client import OssClient
        from ..oss.credentials import Credentials
        from ..oss.urls import BucketAddress

        address = BucketAddress.from_endpoint(self.endpoint, self.bucket, https=self.https,
                                              cname=self.cname, path_style=self.path_style)
        try:
            credentials = Credentials.from_env()
        except OssError:
            credentials = None   # anonymous: public-read buckets
        return OssClient(address, credentials, version=self.version, region=self.region,
                         timeout=(self.timeout, self.timeout))


@dataclass(frozen=True)
class Item:
    name: str          # relative POSIX path under OUT_DIR, unique within a run
    kind: str          # FILE, URL or OSS
    ref: str           # file path, URL or object key
    keep_suffix: bool = False   # another source has the same name but another extension


def safe_name(text: str) -> str:
    """A relative POSIX path that stays inside OUT_DIR: no root, no ``..``, no empties."""
    parts = []
    for part in text.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        part = ".._" if part == ".." else re.sub(r"[\x00-\x1f]", "_", part)
        parts.append(part)
    return "/".join(parts) or "_"


def discover(sources: str, oss: OssSpec | None = None,
             exclude: str | os.PathLike | None = None) -> list[Item]:
    """The items of a run, sorted by name (so every run lists them in the same order).
    ``exclude``: a folder never walked into (OUT_DIR inside the source folder must not
    feed the outputs of one run to the next)."""
    if sources.startswith("oss://"):
        items = list(_oss_items(sources, oss))
    else:
        path = Path(os.path.abspath(sources))   # workers may run in another folder
        if path.is_dir():
            items = list(_folder_items(path, exclude))
        elif path.is_file():
            items = list(_list_items(path))
        else:
            raise OssError("InvalidArgument",
                           f"SOURCES {sources} is neither a folder, a text file of paths or "
                           "URLs, nor oss://bucket/prefix.", key="sources")
    items.sort(key=lambda i: i.name)
    # a.png and a.gif would both write a.jpg: such outputs keep the source's extension
    # (a.png.jpg, a.gif.jpg).
    stems: dict[str, int] = {}
    for i in items:
        stem = str(PurePosixPath(i.name).with_suffix(""))
        stems[stem] = stems.get(stem, 0) + 1
    items = [Item(i.name, i.kind, i.ref,
                  stems[str(PurePosixPath(i.name).with_suffix(""))] > 1) for i in items]
    for a, b in zip(items, items[1:]):
        if a.name == b.name:
            raise OssError("InvalidArgument",
                           f"Two sources would write the same output: {a.ref} and {b.ref}.",
                           key="sources")
    return items


def _folder_items(root: Path, exclude: str | os.PathLike | None) -> Iterator[Item]:
    skip = os.path.realpath(exclude) if exclude is not None else None
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and os.path.realpath(os.path.join(folder, d)) != skip)
        for f in sorted(files):
            if f.startswith("."):
                continue
            path = Path(folder) / f
            if path.is_file():
                yield Item(path.relative_to(root).as_posix(), FILE, str(path))


def _list_items(listing: Path) -> Iterator[Item]:
    try:
        text = listing.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise OssError("InvalidArgument", f"SOURCES {listing} is not a text file of paths "
                       "or URLs (one per line).", key="sources") from None
    except OSError as e:
        raise OssError("InvalidArgument", f"Cannot read {listing}: {e.strerror}",
                       key="sources") from None
    base = listing.parent
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"(?i)https?://", line):
            parts = urlsplit(line)
            yield Item(safe_name(parts.netloc + "/" + unquote(parts.path)), URL, line)
            continue
        path = Path(line)
        if not path.is_absolute():
            path = base / path
        yield Item(safe_name(line), FILE, str(path))


def parse_oss(sources: str) -> tuple[str, str]:
    """``oss://bucket/prefix`` -> (bucket, prefix)."""
    rest = sources[len("oss://"):]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise OssError("InvalidArgument", f"No bucket in {sources}; expected "
                       "oss://bucket/prefix.", key="sources")
    return bucket, prefix


def _oss_items(sources: str, oss: OssSpec | None) -> Iterator[Item]:
    if oss is None:
        raise OssError("MissingArgument", "An oss:// source needs --endpoint.",
                       key="endpoint")
    bucket, prefix = parse_oss(sources)
    if bucket != oss.bucket:
        raise OssError("InvalidArgument", "Bucket mismatch.", key="bucket")
    # Names are relative to the prefix's folder: oss://b/photos/ and oss://b/photos/im
    # both put photos/img1.jpg at img1.jpg.
    folder = prefix[:prefix.rfind("/") + 1]
    for key in _client(oss).list_objects(prefix):
        if not key.endswith("/"):
            yield Item(safe_name(key[len(folder):]), OSS, key)


# -- reading (runs where the item is processed) ----------------------------------------

_clients: dict[OssSpec, object] = {}


def use_client(spec: OssSpec, client) -> None:
    """Read ``spec``'s objects with ``client`` in this process (the viewer signs with the
    session's credentials this way; other processes build their own from the environment)."""
    _clients[spec] = client


def read_bytes(item: Item, oss: OssSpec | None = None) -> bytes:
    if item.kind == FILE:
        path = Path(item.ref)
        try:
            if path.stat().st_size > codec.MAX_SOURCE_BYTES:
                raise OssError("ImageTooLarge", "The source image is larger than 20 MB.",
                               ec="0040-00000009")
            return path.read_bytes()
        except FileNotFoundError:
            raise OssError("NoSuchKey", f"The specified file does not exist: {path}") from None
        except IsADirectoryError:
            raise OssError("BadRequest", f"Not a file: {path}") from None
        except OSError as e:
            raise OssError("BadRequest", f"Cannot read {path}: {e.strerror}") from None
    if item.kind == URL:
        return _read_url(item.ref)
    if oss is None:
        raise OssError("MissingArgument", "An oss:// source needs --endpoint.")
    return _client(oss).get_object(item.ref).data


def _client(oss: OssSpec):
    """This process's client for ``oss`` (kept open: one connection pool per process)."""
    client = _clients.get(oss)
    if client is None:
        client = _clients[oss] = oss.client()
    return client


def _read_url(url: str) -> bytes:
    import requests

    from ..oss.client import network_error

    try:
        with requests.get(url, timeout=URL_TIMEOUT, stream=True) as r:
            if r.status_code >= 300:
                code = "NoSuchKey" if r.status_code == 404 else (
                    "AccessDenied" if r.status_code == 403 else "BadRequest")
                raise OssError(code, f"GET {url} answered HTTP {r.status_code}.")
            data = r.raw.read(codec.MAX_SOURCE_BYTES + 1, decode_content=True)
    except requests.exceptions.RequestException as e:
        raise network_error(e, urlsplit(url).netloc, (URL_TIMEOUT, URL_TIMEOUT)) from None
    if len(data) > codec.MAX_SOURCE_BYTES:
        raise OssError("ImageTooLarge", "The source image is larger than 20 MB.",
                       ec="0040-00000009")
    return data


def output_name(item: Item, fmt: str) -> str:
    """Where the output of ``item`` goes: same relative path, extension from the format."""
    p = PurePosixPath(item.name)
    if item.keep_suffix or not p.suffix:
        return f"{item.name}.{fmt}"
    return str(p.with_suffix("." + fmt))
