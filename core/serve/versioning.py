"""Bucket versioning: Put/GetBucketVersioning, ListObjectVersions, and the versioned
side of PUT, GET/HEAD, DELETE and DeleteMultipleObjects (storage in
:mod:`core.serve.versions`).

As OSS: with versioning Enabled every write gets a new version id and keeps the
previous version; Suspended writes and deletes the ``null`` version; a DELETE without
``versionId`` adds a delete marker (the key then answers 404 with
``x-oss-delete-marker: true``); a DELETE with ``versionId`` removes that version for
good, and the newest remaining one becomes current. An unversioned bucket lists each
object once, with version id ``null``. What is not done answers 501 (see
``check_versioned``): image processing and ACLs of a previous version, AppendObject and
PutSymlink in a versioned bucket.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from urllib.parse import quote

from ..errors import OssError
from ..storage import open_regular
from .config import NOT_ALLOWED, error, iso_time, not_implemented
from .listing import max_keys
from .messages import Operation, Request, Response
from .meta import ObjectMeta
from .versions import (NULL, STATUSES, VersionStore, check_version_id, new_version_id,
                       no_such_version)
from .xmlio import el, owner, read_xml, xml_doc

# Object operations that take ?versionId; any other with it is 501.
_WITH_VERSION_ID = frozenset({"GetObject", "HeadObject", "GetObjectMeta", "DeleteObject"})
# Not done in a versioned bucket (they would silently drop or mix versions): 501.
_NOT_IN_VERSIONED = {"AppendObject": "AppendObject", "PutSymlink": "PutSymlink"}


@dataclass
class Entry:
    """One version of a key in a listing."""
    key: str
    version_id: str
    latest: bool
    marker: bool
    mtime: float
    size: int = 0
    etag: str = ""
    type: str = "Normal"
    storage_class: str = "Standard"


class VersioningOps:
    """Mixed into :class:`core.serve.service.OssService` (needs ``self.versions``)."""

    versions: VersionStore

    # -- routing and guards ------------------------------------------------------------
    def _route_versioning(self, req: Request) -> Operation | None:
        m, q = req.method, req.query
        if "versioning" in q:
            if m == "PUT":
                return Operation("PutBucketVersioning", self._put_bucket_versioning)
            if m == "GET":
                return Operation("GetBucketVersioning", self._get_bucket_versioning)
            raise self._not_allowed(m)
        if "versions" in q:
            if m == "GET":
                return Operation("ListObjectVersions", self._list_object_versions)
            raise self._not_allowed(m)
        return None

    def check_versioned(self, operation: str, req: Request) -> None:
        """501 for what this server does not do with versions, never a silent answer."""
        if "versionId" in req.query:
            if operation not in _WITH_VERSION_ID:
                raise not_implemented(f"{operation} with versionId")
            check_version_id(req.query["versionId"])
            if req.query.get("x-oss-process"):
                raise not_implemented("Image processing of a given versionId")
        if "?" in req.headers.get("x-oss-copy-source", ""):
            raise not_implemented("CopyObject from a given source versionId")
        if operation in _NOT_IN_VERSIONED and req.bucket and self.versions.status(req.bucket):
            raise not_implemented(f"{_NOT_IN_VERSIONED[operation]} in a bucket with "
                                  "versioning")

    # -- bucket calls ------------------------------------------------------------------
    def _put_bucket_versioning(self, req: Request) -> Response:
        root = read_xml(req)
        status = root.findtext("Status") if root is not None else None
        if root is None or root.tag != "VersioningConfiguration" or status not in STATUSES:
            raise error("MalformedXML", "The XML you provided was not well-formed or did "
                        "not validate: Status must be Enabled or Suspended.", 400)
        if status == "Suspended" and not self.versions.status(req.bucket):
            # OSS: a bucket that never had versioning cannot be suspended
            raise error("InvalidArgument", "Versioning has never been enabled for this "
                        "bucket; it cannot be suspended.", 400)
        self.versions.set_status(req.bucket, status)
        return Response(200)

    def _get_bucket_versioning(self, req: Request) -> Response:
        status = self.versions.status(req.bucket)
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("VersioningConfiguration", el("Status", status) if status
                                else ""))

    # -- writes (called by ObjectOps._write / _remove) ---------------------------------
    def versioned_write_prepare(self, bucket: str, meta: ObjectMeta) -> str:
        """The bucket's status; sets the new version's id in ``meta``."""
        status = self.versions.status(bucket)
        if status:
            meta.version_id = new_version_id() if status == "Enabled" else ""
        return status

    def keep_previous(self, bucket: str, key: str, status: str) -> None:
        """Before the new file replaces the current one: keep the current as a previous
        version (Enabled, or Suspended and not the null version), and drop an older
        null version the new one replaces (Suspended)."""
        current = self._current(bucket, key)
        if status == "Suspended":
            self.versions.remove(bucket, key, NULL)
        if current is not None:
            path, st, meta = current
            if status == "Enabled" or meta.version_id:
                self.versions.archive(bucket, key, path, meta, st.st_mtime)

    def versioned_delete(self, bucket: str, key: str, version_id: str | None
                         ) -> tuple[str, bool]:
        """Delete as OSS does in a bucket with versioning (status set, or a versionId
        given): (version id, whether it names a delete marker)."""
        status = self.versions.status(bucket)
        if not status and version_id in (None, NULL):
            self._remove(bucket, key)     # never versioned: only null versions exist
            return NULL, False
        with self.versions.lock(bucket, key):
            current = self._current(bucket, key)
            if current is None:
                self._remove_link(bucket, key)
            if version_id is None:
                marker = new_version_id() if status == "Enabled" else NULL
                if current is not None:
                    path, st, meta = current
                    if status == "Enabled" or meta.version_id:
                        self.versions.archive(bucket, key, path, meta, st.st_mtime)
                    self._remove(bucket, key)
                self.versions.add_marker(bucket, key, marker, self._clock())
                return marker, True
            if current is not None and (current[2].version_id or NULL) == version_id:
                self._remove(bucket, key)
                self._promote(bucket, key)
                return version_id, False
            record = self.versions.remove(bucket, key, version_id)
            if record is None:
                return version_id, False
            if current is None:
                self._promote(bucket, key)
            return version_id, bool(record["marker"])

    def _current(self, bucket: str, key: str):
        """(path, stat, metadata) of the current version, or None."""
        try:
            literal, _ = self.store.paths(bucket, key)
            f, st = self.store.open(bucket, key)
        except OssError:
            return None
        with f:
            meta = self._object_meta(bucket, key, f, st)
        return literal, st, meta

    def _remove_link(self, bucket: str, key: str) -> None:
        """A dangling symlink object is not versioned (PutSymlink is 501 in a versioned
        bucket; one made before is removed like an unversioned object)."""
        try:
            literal, _ = self.store.paths(bucket, key)
        except OssError:
            return
        if literal.is_symlink():
            self._remove(bucket, key)

    def _promote(self, bucket: str, key: str) -> None:
        """Make the newest previous version current, unless it is a delete marker."""
        records = self.versions.records(bucket, key)
        if not records or records[0]["marker"]:
            return
        record = records[0]
        meta = ObjectMeta.from_json(record["meta"])
        src = self.versions.data_path(bucket, key, record["id"])
        st = self.store.put_file(bucket, key, src)
        self.metas.put(bucket, key, st, meta)
        self.versions.save(bucket, key, records[1:])

    # -- reads -------------------------------------------------------------------------
    def open_version(self, bucket: str, key: str, version_id: str):
        """(file, stat, metadata) of one version for GET/HEAD; NoSuchVersion, or 405
        with ``x-oss-delete-marker`` for a delete marker."""
        current = self._current(bucket, key)
        if current is not None and (current[2].version_id or NULL) == version_id:
            f, st = self.store.open(bucket, key)
            return f, st, current[2]
        for record in self.versions.records(bucket, key):
            if record["id"] != version_id:
                continue
            if record["marker"]:
                raise error("MethodNotAllowed", NOT_ALLOWED, 405, Method="GET",
                            ResourceType="DeleteMarker",
                            **{"x-oss-delete-marker": "true", "x-oss-version-id": version_id})
            f, st = open_regular(self.versions.data_path(bucket, key, version_id))
            return f, st, ObjectMeta.from_json(record["meta"])
        raise no_such_version(key, version_id)

    def latest_marker(self, bucket: str, key: str) -> str | None:
        """The id of the delete marker that hides ``key``, if that is why it is absent."""
        records = self.versions.records(bucket, key)
        return records[0]["id"] if records and records[0]["marker"] else None

    # -- ListObjectVersions ------------------------------------------------------------
    def _list_object_versions(self, req: Request) -> Response:
        q = req.query
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        key_marker, vid_marker = q.get("key-marker", ""), q.get("version-id-marker", "")
        limit = max_keys(q.get("max-keys"))
        if q.get("encoding-type") not in (None, "", "url"):
            raise error("InvalidArgument", "encoding-type must be url.", 400,
                        ArgumentName="encoding-type")
        url = q.get("encoding-type") == "url"
        enc = (lambda s: quote(s, safe="/")) if url else (lambda s: s)

        items: list[Entry | str] = []
        truncated, last_key, last_vid = False, "", ""
        for key, versions in self._versions_by_key(req.bucket, prefix, key_marker):
            if delimiter:
                i = key.find(delimiter, len(prefix))
                if i >= 0:
                    common = key[:i + len(delimiter)]
                    if common <= key_marker or (items and items[-1] == common):
                        continue
                    if len(items) >= limit:
                        truncated = True
                        break
                    items.append(common)
                    last_key, last_vid = common, ""
                    continue
            if key == key_marker and not vid_marker:
                continue          # a key marker alone: after all versions of that key
            skipping = bool(vid_marker) and key == key_marker
            for entry in versions:
                if skipping:
                    skipping = entry.version_id != vid_marker
                    continue
                if len(items) >= limit:
                    truncated = True
                    break
                items.append(entry)
                last_key, last_vid = entry.key, entry.version_id
            if truncated:
                break

        parts = [el("Name", req.bucket), el("Prefix", enc(prefix)),
                 el("KeyMarker", enc(key_marker)), el("VersionIdMarker", vid_marker),
                 el("MaxKeys", limit), el("Delimiter", enc(delimiter)),
                 el("IsTruncated", "true" if truncated else "false")]
        if url:
            parts.append(el("EncodingType", "url"))
        if truncated:
            parts += [el("NextKeyMarker", enc(last_key)),
                      el("NextVersionIdMarker", last_vid)]
        for item in items:
            if isinstance(item, str):
                parts.append("<CommonPrefixes>" + el("Prefix", enc(item))
                             + "</CommonPrefixes>")
                continue
            common = (el("Key", enc(item.key)) + el("VersionId", item.version_id)
                      + el("IsLatest", "true" if item.latest else "false")
                      + el("LastModified", iso_time(item.mtime)))
            if item.marker:
                parts.append(f"<DeleteMarker>{common}{owner()}</DeleteMarker>")
            else:
                parts.append(f"<Version>{common}" + el("ETag", item.etag)
                             + el("Type", item.type) + el("Size", item.size)
                             + el("StorageClass", item.storage_class) + owner()
                             + "</Version>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("ListVersionsResult", "".join(parts)))

    def _versions_by_key(self, bucket: str, prefix: str, key_marker: str):
        """(key, [Entry newest first]) for every key at or after ``key_marker``, in
        order: the current file (if any) then the previous versions."""
        current = dict(self.store.listing(bucket, prefix))
        previous = self.versions.all_keys(bucket, prefix)
        for key in sorted(set(current) | set(previous)):
            if key < key_marker:
                continue
            entries: list[Entry] = []
            path = current.get(key)
            if path is not None:
                listed = self._listed(bucket, key, path)
                if listed is not None:
                    size, mtime, etag, meta = listed     # meta: None when not recorded
                    entries.append(Entry(
                        key, (meta.version_id if meta else "") or NULL, True, False, mtime,
                        size, etag, meta.type if meta else "Normal",
                        meta.storage_class if meta else "Standard"))
            for record in previous.get(key, ()):
                meta = record.get("meta") or {}
                size = 0
                if not record["marker"]:
                    try:
                        size = os.stat(self.versions.data_path(bucket, key,
                                                               record["id"])).st_size
                    except OSError:
                        continue
                entries.append(Entry(key, record["id"], not entries, bool(record["marker"]),
                                     float(record.get("mtime") or time.time()), size,
                                     str(meta.get("etag", "")),
                                     str(meta.get("type", "Normal")),
                                     str(meta.get("storage_class", "Standard"))))
            if entries:
                yield key, entries
