"""Object operations: Get/Head (raw and processed), Put, Append, Copy, the object ACL
and symlinks (deleting: :mod:`core.serve.deletes`)."""
from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import os
from contextlib import nullcontext
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import quote, unquote

from werkzeug.http import parse_range_header

from .. import codec
from ..errors import OssError
from ..oss import signing
from ..resolver import no_such_key
from .config import (OBJECT_ACLS, content_type_for, entity_too_large, error, http_date,
                     iso_time, quoted_etag, small_int)
from .archive import check_readable, class_headers, storage_class_from
from .crc64 import Crc64
from .messages import Request, Response
from .meta import ObjectMeta, headers_from_request
from .config import TMP_PREFIX
from .store import ObjectInfo, invalid_object_name, path_key
from .tagging import tagging_directive, tags_from_header
from .xmlio import el, owner, xml_doc

IN_MEMORY_LIMIT = 64 * 1024 * 1024      # raw GETs above this are streamed from disk
_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
# What OSS compresses for ``Accept-Encoding: gzip`` (objects of at least 1 KB; OSS FAQ
# "How do I compress objects that I download from OSS in the GZIP format?").
GZIP_TYPES = frozenset({"text/cache-manifest", "text/xml", "text/plain", "text/css",
                        "text/html", "application/javascript", "application/x-javascript",
                        "application/rss+xml", "application/json", "text/json"})
GZIP_MIN = 1024
_CSE_META = "x-oss-meta-client-side-encryption-"
# What OSS stores when an upload names no Content-Type (oss2's
# test_put_object_with_sign_url); SDKs usually send one guessed from the key. Files put
# into ROOT by hand have no upload, and get a type from their extension.
UPLOAD_DEFAULT_TYPE = "application/octet-stream"


class ObjectOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    # -- reading -----------------------------------------------------------------------
    def _get_object(self, req: Request) -> Response:
        head = req.method == "HEAD"
        bucket, key = req.bucket, req.key
        process = req.query.get("x-oss-process")
        if "objectMeta" in req.query:
            process = None
        if "versionId" in req.query:
            opened = self.open_version(bucket, key, req.query["versionId"])
            return self._raw(req, bucket, key, head, opened)
        if not self.store.exists(bucket, key):
            split = self._split_separator(bucket, key)
            if split is None:
                self.store.paths(bucket, key)   # NoSuchBucket / NoSuchKey as appropriate
                missing = no_such_key(key)
                marker = self.latest_marker(bucket, key)
                if marker is not None:          # hidden by a delete marker, as OSS says
                    missing.details.update({"x-oss-delete-marker": "true",
                                            "x-oss-version-id": marker})
                raise missing
            if process:
                raise error("InvalidArgument", "A style separator URL cannot also carry "
                            "x-oss-process.", 400)
            key, style = split
            process = f"style/{style}"
        if process:
            return self._processed(req, bucket, key, process, head)
        return self._raw(req, bucket, key, head)

    def _split_separator(self, bucket: str, key: str) -> tuple[str, str] | None:
        """(object key, style) for ``<key><sep><style>`` when ``key`` is not an object:
        from the last separator leftwards (the longest object key first), the first whose
        suffix names a style of the bucket and whose prefix is an object wins."""
        seps = self.config.separators
        if not seps or not key:
            return None
        try:
            names = self.styles.names(bucket)
        except OssError:
            return None
        if not names:
            return None
        lowest = max(0, len(key) - 64)   # a style name is at most 63 characters
        for i in range(len(key) - 1, lowest - 1, -1):
            if key[i] in seps:
                obj, style = key[:i], key[i + 1:]
                if obj and style in names and self.store.exists(bucket, obj):
                    return obj, style
        return None

    def _object_meta(self, bucket: str, key: str, f: BinaryIO, st: os.stat_result
                     ) -> ObjectMeta:
        """The stored metadata of this file version; computed (and kept) when missing."""
        meta = self.metas.get(bucket, key, st)
        if meta is not None:
            return meta
        md5, crc = hashlib.md5(), Crc64()
        f.seek(0)
        while chunk := f.read(1 << 20):
            md5.update(chunk)
            crc.update(chunk)
        f.seek(0)
        meta = ObjectMeta([], quoted_etag(md5.hexdigest()), str(crc.value))
        try:
            self.metas.put(bucket, key, st, meta)
        except OSError:
            pass   # a read-only ROOT still serves
        return meta

    def _meta_headers(self, key: str, meta: ObjectMeta, mtime: float) -> dict[str, str]:
        headers = {"Content-Type": content_type_for(key)}
        headers.update(meta.headers)
        headers.update({"ETag": meta.etag, "Last-Modified": http_date(mtime),
                        "x-oss-object-type": meta.type, "x-oss-hash-crc64ecma": meta.crc64})
        headers.update(class_headers(meta, self._clock()))
        if meta.tags:
            headers["x-oss-tagging-count"] = str(len(meta.tags))
        return headers

    def _raw(self, req: Request, bucket: str, key: str, head: bool,
             opened: tuple | None = None) -> Response:
        """The object's bytes; ``opened`` (file, stat, metadata) of a given version."""
        f, st = opened[:2] if opened else self.store.open(bucket, key)
        keep_open = False
        try:
            meta = opened[2] if opened else self._object_meta(bucket, key, f, st)
            headers = self._meta_headers(key, meta, st.st_mtime)
            headers.update(self._version_header(bucket, meta))
            headers["Accept-Ranges"] = "bytes"
            if meta.type == "Appendable":
                headers["x-oss-next-append-position"] = str(st.st_size)
            if not head:
                check_readable(meta, self._clock())
            not_modified = self._conditions(req, meta.etag, st.st_mtime)
            if not_modified is not None:
                return not_modified
            self._overrides(req, headers)
            size = st.st_size
            start, length, status = 0, size, 200
            rng = parse_range_header(req.headers.get("range"))
            # OSS answers an invalid, unsatisfiable or multi-part range with the whole object
            span = _byte_span(rng, size)
            if span is not None:
                start, stop = span
                length, status = stop - start, 206
                headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
            elif self._wants_gzip(req, headers) and GZIP_MIN <= size <= IN_MEMORY_LIMIT:
                # As the OSS FAQ says, GetObject and HeadObject then answer
                # Content-Encoding: gzip without ETag, Content-Length and Accept-Ranges;
                # the body is sent chunked (oss2's test_gzip_get checks content_length is
                # None; test_get_object_with_url_to_file_chunked, Transfer-Encoding)
                headers["Content-Encoding"] = "gzip"
                del headers["ETag"], headers["Accept-Ranges"]
                body = b"" if head else gzip.compress(f.read(), 6, mtime=0)
                return Response(status, headers, body, chunked=True)
            if head:
                headers["Content-Length"] = str(length)
                return Response(status, headers)
            f.seek(start)
            if length <= IN_MEMORY_LIMIT:
                return Response(status, headers, f.read(length))
            keep_open = True
            return Response(status, headers, stream=f, length=length)
        finally:
            if not keep_open:
                f.close()

    @staticmethod
    def _wants_gzip(req: Request, headers: dict[str, str]) -> bool:
        accepted = [p.split(";")[0].strip().lower()
                    for p in req.headers.get("accept-encoding", "").split(",")]
        ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
        return ("gzip" in accepted and ctype in GZIP_TYPES
                and "Content-Encoding" not in headers)

    def _processed(self, req: Request, bucket: str, key: str, process: str,
                   head: bool) -> Response:
        data, st = self.store.read(bucket, key, limit=codec.MAX_SOURCE_BYTES)
        meta = self.metas.get(bucket, key, st)
        check_readable(meta, self._clock())
        result = self.process(bucket, data, process)
        etag = quoted_etag(hashlib.md5(result.data).hexdigest())
        headers = {"Content-Type": result.content_type, "ETag": etag,
                   "Last-Modified": http_date(st.st_mtime), "x-oss-object-type": "Normal",
                   **class_headers(meta, self._clock())}
        not_modified = self._conditions(req, etag, st.st_mtime)
        if not_modified is not None:
            return not_modified
        self._overrides(req, headers)
        if head:
            headers["Content-Length"] = str(len(result.data))
            return Response(200, headers)
        return Response(200, headers, result.data)

    @staticmethod
    def _conditions(req: Request, etag: str, mtime: float, prefix: str = "",
                    code: int = 304) -> Response | None:
        """If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since
        (304); ``prefix`` ``x-oss-copy-source-`` for CopyObject (both 412 there)."""
        h = req.headers
        bare = etag.strip('"')

        def matches(value: str) -> bool:
            tags = [t.strip().removeprefix("W/").strip('"') for t in value.split(",")]
            return "*" in tags or bare in tags or bare.lower() in tags

        failed = ""         # the condition that failed, named as OSS's message names it
        if prefix + "if-match" in h:
            failed = "" if matches(h[prefix + "if-match"]) else "If-Match"
        elif prefix + "if-unmodified-since" in h:
            since = _parse_http_date(h[prefix + "if-unmodified-since"])
            failed = "If-Unmodified-Since" if since is not None and int(mtime) > since else ""
        not_modified = ""
        if prefix + "if-none-match" in h:
            not_modified = "If-None-Match" if matches(h[prefix + "if-none-match"]) else ""
        elif prefix + "if-modified-since" in h:
            since = _parse_http_date(h[prefix + "if-modified-since"])
            not_modified = ("If-Modified-Since" if since is not None and int(mtime) <= since
                            else "")
        if failed or (not_modified and code == 412):
            # OSS's message (ali-oss's object tests assert it whole, for GET and CopyObject)
            raise error("PreconditionFailed", "At least one of the pre-conditions you "
                        f"specified did not hold. (condition: {failed or not_modified})",
                        412)
        if not_modified:
            return Response(304, {"ETag": etag, "Last-Modified": http_date(mtime)})
        return None

    @staticmethod
    def _overrides(req: Request, headers: dict[str, str]) -> None:
        for param, header in _RESPONSE_OVERRIDES.items():
            value = req.query.get(param)
            if value is None:
                continue
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise error("InvalidArgument", f"The value of {param} contains characters "
                            "not allowed in a header.", 400)
            headers[header] = value

    # -- writing -----------------------------------------------------------------------
    def _new_meta(self, req: Request, headers: dict[str, str] | None = None,
                  kind: str = "Normal", *, with_tags: bool = True) -> ObjectMeta:
        acl = req.headers.get("x-oss-object-acl", "default")
        if acl not in OBJECT_ACLS:
            raise error("InvalidArgument", f"The object ACL {acl!r} is not one of "
                        + ", ".join(OBJECT_ACLS) + ".", 400, ArgumentName="x-oss-object-acl")
        storage = storage_class_from(req.headers, append=kind == "Appendable")
        stored = headers_from_request(req.headers) if headers is None else headers
        # Kept headers are sent back on every read: none may hold a control character
        # (HTTP forbids them; waitress refuses them, another WSGI front end might not).
        for name, value in stored.items():
            if any(ord(c) < 32 and c != "\t" for c in value):
                raise error("InvalidArgument", "A header value contains control "
                            "characters.", 400, ArgumentName=name)
        return ObjectMeta([], "", "", stored, acl, kind,
                          storage or self.metas.bucket_class(req.bucket),
                          tags=tags_from_header(req.headers) if with_tags else {})

    def _write(self, req: Request, bucket: str, key: str, chunks, meta: ObjectMeta, *,
               limit: int, check_digests: bool = True) -> ObjectInfo:
        versioning = self.versioned_write_prepare(bucket, meta)

        def keep_meta(info: ObjectInfo, st: os.stat_result) -> None:
            if not meta.etag:
                meta.etag = info.etag
            meta.crc64 = info.crc64
            if versioning:
                self.keep_previous(bucket, key, versioning)
            self.metas.put(bucket, key, st, meta)

        sha = req.headers.get("x-oss-content-sha256") if check_digests else None
        # OSS ignores x-oss-forbid-overwrite in a bucket with versioning
        forbid = (req.headers.get("x-oss-forbid-overwrite", "").lower() == "true"
                  and not versioning)
        with self.versions.lock(bucket, key) if versioning else nullcontext():
            return self.store.write(
                bucket, key, chunks, limit=limit,
                content_md5=req.headers.get("content-md5") if check_digests else None,
                content_sha256=sha if sha and sha != signing.UNSIGNED_PAYLOAD else None,
                forbid_overwrite=forbid, before_rename=keep_meta)

    def _version_header(self, bucket: str, meta: ObjectMeta) -> dict[str, str]:
        """``x-oss-version-id`` of an object in a bucket that has (had) versioning."""
        if meta.version_id or self.versions.status(bucket):
            return {"x-oss-version-id": meta.version_id or "null"}
        return {}

    def _put_object(self, req: Request) -> Response:
        limit = self.config.max_body_bytes
        if req.content_length is not None and req.content_length > limit:
            raise entity_too_large(limit)
        meta = self._new_meta(req)
        meta.headers.setdefault("Content-Type", UPLOAD_DEFAULT_TYPE)
        info = self._write(req, req.bucket, req.key, req.body, meta, limit=limit)
        return Response(200, {"ETag": info.etag, "Content-MD5": _b64_md5(info.md5_hex),
                              "x-oss-hash-crc64ecma": info.crc64,
                              **self._version_header(req.bucket, meta)})

    def _append_object(self, req: Request) -> Response:
        # the ECs are OSS's (its EC pages 0016-00000501/502, 0026-00000016/17)
        if "position" not in req.query:
            raise error("MissingArgument", "AppendObject needs position.", 400,
                        "0016-00000501")
        try:
            position = small_int(req.query["position"], "position")
        except OssError as e:
            e.ec = "0016-00000502"
            raise
        limit = self.config.max_body_bytes
        if req.content_length is not None and req.content_length > limit:
            raise entity_too_large(limit)
        bucket, key = req.bucket, req.key
        existing = None
        if self.store.exists(bucket, key):
            existing, st = self.store.open(bucket, key)
        with existing if existing is not None else nullcontext():
            if existing is None:
                size, meta = 0, self._new_meta(req, kind="Appendable")
                meta.headers.setdefault("Content-Type", UPLOAD_DEFAULT_TYPE)
            else:
                size = st.st_size
                meta = self._object_meta(bucket, key, existing, st)
                if meta.type != "Appendable":
                    raise error("ObjectNotAppendable", "The object is not appendable.", 409,
                                "0026-00000017")
            if position != size:
                # OSS's words: ali-oss's object tests assert them whole, without a period
                raise error("PositionNotEqualToLength", "Position is not equal to file "
                            "length", 409, "0026-00000016",
                            **{"x-oss-next-append-position": str(size)})
            old = _file_chunks(existing) if existing is not None else ()
            meta.etag = ""
            info = self._write(req, bucket, key, itertools.chain(old, _file_chunks(req.body)),
                               meta, limit=size + limit, check_digests=False)
        return Response(200, {"ETag": info.etag, "x-oss-next-append-position": str(info.size),
                              "x-oss-hash-crc64ecma": info.crc64})

    def _copy_object(self, req: Request) -> Response:
        src_bucket, src_key = _copy_source(req.headers["x-oss-copy-source"])
        self.store.bucket_dir(src_bucket)
        f, st = self.store.open(src_bucket, src_key)
        with f:
            src_meta = self._object_meta(src_bucket, src_key, f, st)
            check_readable(src_meta, self._clock())
            self._conditions(req, src_meta.etag, st.st_mtime, "x-oss-copy-source-", 412)
            directive = req.headers.get("x-oss-metadata-directive", "COPY").upper()
            if directive not in ("COPY", "REPLACE"):
                raise error("InvalidArgument", "x-oss-metadata-directive must be COPY or "
                            "REPLACE.", 400, ArgumentName="x-oss-metadata-directive")
            headers = dict(src_meta.headers) if directive == "COPY" else None
            copy_tags = tagging_directive(req.headers) == "COPY"
            meta = self._new_meta(req, headers, with_tags=not copy_tags)
            if copy_tags:
                meta.tags = dict(src_meta.tags)
            if directive == "REPLACE":
                # As OSS (alibabacloud-oss-v2's copier tests): REPLACE without a
                # Content-Type keeps the source's, and client-side encryption metadata
                # stays with the bytes it describes.
                for name, value in src_meta.headers.items():
                    if name == "Content-Type" or name.startswith(_CSE_META):
                        meta.headers.setdefault(name, value)
            # a file dropped into ROOT has no stored type: the copy keeps the one its
            # source is served with (from the source key's extension)
            meta.headers.setdefault("Content-Type", content_type_for(src_key))
            info = self._write(req, req.bucket, req.key, _file_chunks(f), meta,
                               limit=max(st.st_size, self.config.max_body_bytes),
                               check_digests=False)
        body = el("ETag", info.etag) + el("LastModified", iso_time(info.mtime))
        return Response(200, {"Content-Type": "application/xml", "ETag": info.etag,
                              "x-oss-hash-crc64ecma": info.crc64,
                              **self._version_header(req.bucket, meta)},
                        xml_doc("CopyObjectResult", body))

    # -- object ACL --------------------------------------------------------------------
    def _get_object_acl(self, req: Request) -> Response:
        f, st = self.store.open(req.bucket, req.key)
        with f:
            grant = self._object_meta(req.bucket, req.key, f, st).acl
        body = owner() + f"<AccessControlList>{el('Grant', grant)}</AccessControlList>"
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("AccessControlPolicy", body))

    def _put_object_acl(self, req: Request) -> Response:
        acl = req.headers.get("x-oss-object-acl")
        if acl not in OBJECT_ACLS:      # ECs: OSS's pages 0017-00000105 (none) and 104
            raise error("InvalidArgument", "x-oss-object-acl must be one of "
                        + ", ".join(OBJECT_ACLS) + ".", 400,
                        "0017-00000104" if acl else "0017-00000105",
                        ArgumentName="x-oss-object-acl")
        f, st = self.store.open(req.bucket, req.key)
        with f:
            meta = self._object_meta(req.bucket, req.key, f, st)
            meta.acl = acl
            self.metas.put(req.bucket, req.key, st, meta)
        return Response(200)


    # -- symlinks ----------------------------------------------------------------------
    def _put_symlink(self, req: Request) -> Response:
        """A symlink object is a relative filesystem link to its target's file in the
        same bucket (it may dangle, as on OSS); its own metadata is kept like an
        object's, with the target's ETag and CRC while the target is unchanged."""
        target = unquote(req.headers.get("x-oss-symlink-target", ""))
        if not target:
            raise error("MissingArgument", "PutSymlink needs x-oss-symlink-target.", 400)
        bucket = req.bucket
        link, _ = self.store.paths(bucket, req.key, for_write=True)
        target_path, _ = self.store.paths(bucket, target, for_write=True)
        meta = self._new_meta(req, kind="Symlink")
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.parent / f"{TMP_PREFIX}{os.getpid()}-{id(req)}"
        os.symlink(os.path.relpath(target_path, link.parent), tmp)
        try:
            os.replace(tmp, link)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise invalid_object_name(req.key, "names a folder of other objects")
        if self.store.exists(bucket, req.key):
            f, st = self.store.open(bucket, req.key)
            with f:
                target_meta = self._object_meta(bucket, target, f, st)
                meta.etag, meta.crc64 = target_meta.etag, target_meta.crc64
                self.metas.put(bucket, req.key, st, meta)
        return Response(200)

    def _get_symlink(self, req: Request) -> Response:
        link, _ = self.store.paths(req.bucket, req.key)
        if not link.is_symlink():
            if link.exists():
                raise error("NotSymlink", "The specified object is not a symlink.", 400)
            raise no_such_key(req.key)
        base = self.store.bucket_dir(req.bucket)
        target = os.path.normpath(os.path.join(link.parent, os.readlink(link)))
        rel = os.path.relpath(target, base)
        if rel.startswith(".."):
            raise no_such_key(req.key)
        return Response(200, {"x-oss-symlink-target": quote(path_key(rel.replace(os.sep, "/")),
                                                            safe="")})


# ----------------------------------------------------------------------------- helpers

def _byte_span(rng, size: int) -> tuple[int, int] | None:
    """[start, stop) of a single satisfiable range; a suffix longer than the object is
    the whole object (bytes=-150 of 100 bytes is 0-99, 206), as OSS answers."""
    if rng is None or not size or rng.units != "bytes" or len(rng.ranges) != 1:
        return None
    start, stop = rng.ranges[0]
    if start < 0 and stop is None:
        return max(0, size + start), size
    return rng.range_for_length(size)


def _b64_md5(md5_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")


def _file_chunks(f: BinaryIO | None):
    if f is None:
        return
    while chunk := f.read(1 << 16):
        yield chunk


def _copy_source(value: str) -> tuple[str, str]:
    """(bucket, key) of ``x-oss-copy-source: /bucket/key`` (the key URL-encoded)."""
    text = unquote(value)
    bucket, _, key = text.lstrip("/").partition("/")
    if not bucket or not key:
        raise error("InvalidArgument", "x-oss-copy-source must be /<bucket>/<key>.", 400,
                    ArgumentName="x-oss-copy-source")
    return bucket, key


def _parse_http_date(value: str) -> int | None:
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
