"""Multipart upload: initiate, upload part, complete, abort, list uploads, list parts.

Uploads in progress live in ``ROOT/.oss-uploads/<bucket>/<upload id>/``: ``info.json``
(key, time, the object's headers, ACL and tags) and one file per part (``<n>``, written
like an object: temporary file, fsync, rename). Complete streams the parts into the object
through the store's atomic write, then removes the upload.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import secrets
import shutil
import time
from pathlib import Path
from urllib.parse import quote

from werkzeug.http import parse_range_header

from ..oss.urls import validate_bucket
from ..storage import atomic_write, open_temp, removed_on_failure
from .config import (TMP_PREFIX, UPLOAD_DIR, entity_too_large, error, invalid_digest,
                     iso_time, malformed_xml, quoted_etag, small_int)
from .archive import check_readable
from .crc64 import Crc64
from .listing import max_keys
from .messages import Operation, Request, Response
from .meta import ObjectMeta
from .objects import UPLOAD_DEFAULT_TYPE
from .objects import _byte_span as byte_span, _copy_source as copy_source  # one parser each
from .store import check_key_shape, decode_content_md5, open_regular
from .xmlio import el, read_xml, xml_doc

MAX_PARTS = 10000
MIN_PART = 100 * 1024            # every part but the last (OSS)


def no_such_upload(upload_id: str) -> Exception:
    return error("NoSuchUpload", "The specified upload does not exist. The upload ID may "
                 "be invalid, or the upload may have been aborted or completed.", 404,
                 UploadId=upload_id)


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.folder = root / UPLOAD_DIR

    def _dir(self, bucket: str, upload_id: str) -> Path:
        if not (len(upload_id) == 32 and all(c in "0123456789ABCDEF" for c in upload_id)):
            raise no_such_upload(upload_id)
        return self.folder / validate_bucket(bucket) / upload_id

    def create(self, bucket: str, key: str, meta: ObjectMeta, now: float) -> str:
        upload_id = secrets.token_hex(16).upper()
        folder = self._dir(bucket, upload_id)
        folder.mkdir(parents=True)
        atomic_write(folder / "info.json", json.dumps(
            {"key": key, "initiated": now, "headers": meta.headers, "acl": meta.acl,
             "storage_class": meta.storage_class, "tags": meta.tags}))
        return upload_id

    def info(self, bucket: str, key: str | None, upload_id: str) -> tuple[Path, dict]:
        folder = self._dir(bucket, upload_id)
        try:
            info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise no_such_upload(upload_id) from None
        if key is not None and info.get("key") != key:
            raise no_such_upload(upload_id)
        return folder, info

    def parts(self, folder: Path) -> list[tuple[int, int, float, str, str]]:
        """(number, size, mtime, quoted ETag, CRC-64) of each uploaded part, by number."""
        out = []
        for entry in os.scandir(folder):
            if entry.name.endswith(".json") and entry.name[:-5].isdigit():
                try:
                    d = json.loads(Path(entry.path).read_text(encoding="utf-8"))
                    out.append((int(entry.name[:-5]), d["size"], d["mtime"], d["etag"],
                                str(d.get("crc64", ""))))
                except (OSError, ValueError, KeyError):
                    continue
        return sorted(out)

    def uploads(self, bucket: str) -> list[tuple[str, str, float]]:
        """(key, upload id, initiated) of every upload of ``bucket``."""
        base = self.folder / validate_bucket(bucket)
        out = []
        try:
            entries = list(os.scandir(base))
        except OSError:
            return []
        for entry in entries:
            try:
                info = json.loads(Path(entry.path, "info.json").read_text(encoding="utf-8"))
                out.append((info["key"], entry.name, float(info["initiated"])))
            except (OSError, ValueError, KeyError):
                continue
        return sorted(out)

    def any(self, bucket: str) -> bool:
        return bool(self.uploads(bucket))


class MultipartOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    def _route_multipart(self, req: Request):
        m, q = req.method, req.query
        if "uploads" in q and m == "POST":
            return Operation("InitiateMultipartUpload", self._initiate)
        if "uploadId" in q:
            if m == "PUT" and "partNumber" in q:
                if "x-oss-copy-source" in req.headers:
                    return Operation("UploadPartCopy", self._upload_part_copy)
                return Operation("UploadPart", self._upload_part)
            if m == "POST":
                return Operation("CompleteMultipartUpload", self._complete)
            if m == "DELETE":
                return Operation("AbortMultipartUpload", self._abort)
            if m == "GET":
                return Operation("ListParts", self._list_parts)
        raise self._not_allowed(m)

    def _initiate(self, req: Request) -> Response:
        check_key_shape(req.key, for_write=True)
        meta = self._new_meta(req)
        # an upload that names no Content-Type is application/octet-stream, as PutObject
        meta.headers.setdefault("Content-Type", UPLOAD_DEFAULT_TYPE)
        upload_id = self.uploads.create(req.bucket, req.key, meta, self._clock())
        url = req.query.get("encoding-type") == "url"
        body = (el("Bucket", req.bucket) + el("Key", quote(req.key) if url else req.key)
                + el("UploadId", upload_id) + (el("EncodingType", "url") if url else ""))
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("InitiateMultipartUploadResult", body))

    def _part_target(self, req: Request) -> tuple[int, Path]:
        number = small_int(req.query.get("partNumber"), "partNumber", digits=6)
        if number is None or not 1 <= number <= MAX_PARTS:
            raise error("InvalidArgument", f"Part number must be an integer between 1 and "
                        f"{MAX_PARTS}, inclusive.", 400, ArgumentName="partNumber")
        folder, _ = self.uploads.info(req.bucket, req.key, req.query["uploadId"])
        return number, folder

    def _upload_part(self, req: Request) -> Response:
        number, folder = self._part_target(req)
        limit = self.config.max_body_bytes
        if req.content_length is not None and req.content_length > limit:
            raise entity_too_large(limit)
        body = req.body
        chunks = iter(lambda: body.read(1 << 16), b"") if body is not None else iter(())
        etag, crc, md5 = self._store_part(folder, number, chunks, limit,
                                          req.headers.get("content-md5"))
        return Response(200, {"ETag": etag, "x-oss-hash-crc64ecma": crc,
                              "Content-MD5": base64.b64encode(md5).decode("ascii")})

    def _upload_part_copy(self, req: Request) -> Response:
        """A part copied from an object of this server (``x-oss-copy-source``), whole or
        ``x-oss-copy-source-range: bytes=first-last``, with the copy-source conditions."""
        number, folder = self._part_target(req)
        src_bucket, src_key = copy_source(req.headers["x-oss-copy-source"])
        self.store.bucket_dir(src_bucket)
        f, st = self.store.open(src_bucket, src_key)
        with f:
            meta = self._object_meta(src_bucket, src_key, f, st)
            check_readable(meta, self._clock())      # an Archive source needs a restore
            self._conditions(req, meta.etag, st.st_mtime, "x-oss-copy-source-", 412)
            span = byte_span(parse_range_header(req.headers.get("x-oss-copy-source-range")),
                             st.st_size)
            start, stop = span if span is not None else (0, st.st_size)
            f.seek(start)
            etag, crc, _ = self._store_part(folder, number, _read_span(f, stop - start),
                                            stop - start, None)
        body = el("LastModified", iso_time(self._clock())) + el("ETag", etag)
        return Response(200, {"Content-Type": "application/xml", "ETag": etag,
                              "x-oss-hash-crc64ecma": crc,
                              "x-oss-copy-source-version-id": meta.version_id or "null"},
                        xml_doc("CopyPartResult", body))

    def _store_part(self, folder: Path, number: int, chunks, limit: int,
                    content_md5: str | None) -> tuple[str, str, bytes]:
        """Write part ``number`` (temporary file, fsync, rename) and its record:
        (quoted ETag, CRC-64, MD5 digest)."""
        fd, tmp = open_temp(folder, prefix=TMP_PREFIX)
        with removed_on_failure(tmp):
            md5, crc, size = hashlib.md5(), Crc64(), 0
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise entity_too_large(limit)
                    md5.update(chunk)
                    crc.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if content_md5 is not None:
                if decode_content_md5(content_md5) != md5.digest():
                    raise invalid_digest()
            os.replace(tmp, folder / str(number))
        etag = quoted_etag(md5.hexdigest())
        atomic_write(folder / f"{number}.json",
                     json.dumps({"size": size, "mtime": time.time(), "etag": etag,
                                 "crc64": str(crc.value)}))
        return etag, str(crc.value), md5.digest()

    def _complete(self, req: Request) -> Response:
        upload_id = req.query["uploadId"]
        folder, info = self.uploads.info(req.bucket, req.key, upload_id)
        uploaded = {n: (size, etag) for n, size, _, etag, _ in self.uploads.parts(folder)}
        if req.headers.get("x-oss-complete-all", "").lower() == "yes":
            chosen = [(n, uploaded[n][1]) for n in sorted(uploaded)]
        else:
            root = read_xml(req)
            if root is None or root.tag != "CompleteMultipartUpload":
                raise malformed_xml()
            chosen = []
            for p in root.findall("Part"):
                n = small_int(p.findtext("PartNumber"), "PartNumber", digits=6)
                chosen.append((n, (p.findtext("ETag") or "").strip()))
        if not chosen:
            raise error("InvalidPart", "One or more of the specified parts could not be "
                        "found.", 400)
        if [n for n, _ in chosen] != sorted({n for n, _ in chosen}):
            raise error("InvalidPartOrder", "The list of parts was not in ascending order. "
                        "Parts list must specified in order by part number.", 400)
        for i, (n, etag) in enumerate(chosen):
            if n not in uploaded or etag.strip('"').upper() != uploaded[n][1].strip('"'):
                raise error("InvalidPart", "One or more of the specified parts could not be "
                            "found or the specified entity tag might not have matched the "
                            "part's entity tag.", 400, PartNumber=str(n))
            if i < len(chosen) - 1 and uploaded[n][0] < MIN_PART:
                raise error("EntityTooSmall", "Your proposed upload smaller than the minimum "
                            "allowed size.", 400, PartNumber=str(n),
                            MinSizeAllowed=str(MIN_PART))
        digest = hashlib.md5(b"".join(bytes.fromhex(uploaded[n][1].strip('"'))
                                      for n, _ in chosen))
        acl = info.get("acl", "default")
        if "x-oss-object-acl" in req.headers:     # Complete may set it too
            acl = self._new_meta(req, with_tags=False).acl     # (validated there)
        meta = ObjectMeta([], f'"{digest.hexdigest().upper()}-{len(chosen)}"', "",
                          dict(info.get("headers", {})), acl, "Multipart",
                          str(info.get("storage_class", "Standard")),
                          tags=dict(info.get("tags", {})))

        def part_chunks():
            for n, _ in chosen:
                f, _ = open_regular(folder / str(n))
                with f:
                    while chunk := f.read(1 << 20):
                        yield chunk

        total = sum(uploaded[n][0] for n, _ in chosen)
        result = self._write(req, req.bucket, req.key, itertools.chain(part_chunks()), meta,
                             limit=total, check_digests=False)
        shutil.rmtree(folder, ignore_errors=True)
        url = req.query.get("encoding-type") == "url"
        body = ((el("EncodingType", "url") if url else "")
                + el("Location", f"/{req.bucket}/{quote(req.key)}")   # a URL: encoded
                + el("Bucket", req.bucket)
                + el("Key", quote(req.key) if url else req.key) + el("ETag", meta.etag))
        return Response(200, {"Content-Type": "application/xml", "ETag": meta.etag,
                              "x-oss-hash-crc64ecma": result.crc64,
                              **self._version_header(req.bucket, meta)},
                        xml_doc("CompleteMultipartUploadResult", body))

    def _abort(self, req: Request) -> Response:
        folder, _ = self.uploads.info(req.bucket, req.key, req.query["uploadId"])
        shutil.rmtree(folder, ignore_errors=True)
        return Response(204)

    def _list_parts(self, req: Request) -> Response:
        upload_id = req.query["uploadId"]
        folder, info = self.uploads.info(req.bucket, req.key, upload_id)
        marker = small_int(req.query.get("part-number-marker") or "0", "part-number-marker",
                           digits=6)
        limit = max_keys(req.query.get("max-parts"), 1000, "max-parts")
        parts = [p for p in self.uploads.parts(folder) if p[0] > marker]
        truncated = len(parts) > limit
        parts = parts[:limit]
        url = req.query.get("encoding-type") == "url"
        body = [el("Bucket", req.bucket), el("Key", quote(req.key) if url else req.key),
                el("UploadId", upload_id), el("PartNumberMarker", marker),
                el("NextPartNumberMarker", parts[-1][0] if parts else marker),
                el("MaxParts", limit), el("IsTruncated", "true" if truncated else "false"),
                el("StorageClass", info.get("storage_class", "Standard"))]
        if url:
            body.insert(0, el("EncodingType", "url"))
        for n, size, mtime, etag, crc in parts:
            body.append("<Part>" + el("PartNumber", n) + el("LastModified", iso_time(mtime))
                        + el("ETag", etag) + el("Size", size)
                        + (el("HashCrc64ecma", crc) if crc else "") + "</Part>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("ListPartsResult", "".join(body)))

    def _list_uploads(self, req: Request) -> Response:
        q = req.query
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        key_marker, id_marker = q.get("key-marker", ""), q.get("upload-id-marker", "")
        limit = max_keys(q.get("max-uploads"), 1000, "max-uploads")
        url = q.get("encoding-type") == "url"
        enc = (lambda s: quote(s, safe="/")) if url else (lambda s: s)
        uploads, prefixes = [], []
        truncated = False
        last = ("", "")                  # (key or common prefix, upload id) emitted last
        for key, uid, initiated in self.uploads.uploads(req.bucket):
            if not key.startswith(prefix):
                continue
            if key < key_marker or (key == key_marker and (not id_marker or uid <= id_marker)):
                continue
            if delimiter and (i := key.find(delimiter, len(prefix))) >= 0:
                common = key[:i + len(delimiter)]
                if common in prefixes or common <= key_marker:
                    continue             # already emitted, on this page or an earlier one
                if len(uploads) + len(prefixes) >= limit:
                    truncated = True
                    break
                prefixes.append(common)
                last = (common, "")
                continue
            if len(uploads) + len(prefixes) >= limit:
                truncated = True
                break
            uploads.append((key, uid, initiated))
            last = (key, uid)
        body = [el("Bucket", req.bucket), el("KeyMarker", enc(key_marker)),
                el("UploadIdMarker", id_marker),
                el("NextKeyMarker", enc(last[0])), el("NextUploadIdMarker", last[1]),
                el("Delimiter", enc(delimiter)), el("Prefix", enc(prefix)),
                el("MaxUploads", limit), el("IsTruncated", "true" if truncated else "false")]
        if url:
            body.append(el("EncodingType", "url"))
        for key, uid, initiated in uploads:
            body.append("<Upload>" + el("Key", enc(key)) + el("UploadId", uid)
                        + el("StorageClass", "Standard") + el("Initiated", iso_time(initiated))
                        + "</Upload>")
        for p in prefixes:
            body.append("<CommonPrefixes>" + el("Prefix", enc(p)) + "</CommonPrefixes>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("ListMultipartUploadsResult", "".join(body)))


def _read_span(f, length: int):
    while length > 0 and (chunk := f.read(min(1 << 20, length))):
        length -= len(chunk)
        yield chunk

