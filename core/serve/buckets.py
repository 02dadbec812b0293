"""Bucket operations: ListObjects (V1, V2), ListBuckets, bucket calls and styles."""
from __future__ import annotations

from urllib.parse import quote

from ..cascade import no_such_style, validate_style_name
from ..errors import OssError
from .archive import STORAGE_CLASSES, restore_value
from .access import requested_acl
from .bucketinfo import check_redundancy
from .config import OWNER_ID, error, iso_time
from .listing import decode_token, encode_token, max_keys, page
from .messages import Request, Response
from .store import identity
from .styles import StyleEntry
from .xmlio import el, owner, read_xml, xml_doc, xml_safe

NOT_EMPTY = "The bucket you tried to delete is not empty. "


class BucketOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    # -- listing -----------------------------------------------------------------------
    def _list_objects(self, req: Request) -> Response:
        q = req.query
        v2 = q.get("list-type") == "2"
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        limit = max_keys(q.get("max-keys"))
        url = q.get("encoding-type", "") == "url"
        if q.get("encoding-type") not in (None, "", "url"):
            raise error("InvalidArgument", "encoding-type must be url.", 400,
                        ArgumentName="encoding-type")
        if v2:
            token = q.get("continuation-token")
            marker = decode_token(token) if token else q.get("start-after", "")
        else:
            marker = q.get("marker", "")
        listing = self.store.listing(req.bucket, prefix)
        paths = dict(listing)
        pg = page([k for k, _ in listing], prefix, marker, delimiter, limit)

        enc = (lambda s: quote(s, safe="/")) if url else (lambda s: s)
        parts = [el("Name", req.bucket), el("Prefix", enc(prefix))]
        if v2:
            if "start-after" in q:
                parts.append(el("StartAfter", enc(q["start-after"])))
            if "continuation-token" in q:
                parts.append(el("ContinuationToken", q["continuation-token"]))
        else:
            parts.append(el("Marker", enc(marker)))
        parts += [el("MaxKeys", limit), el("Delimiter", enc(delimiter)),
                  el("IsTruncated", "true" if pg.truncated else "false")]
        if url:
            parts.append(el("EncodingType", "url"))
        if pg.truncated:
            if v2:
                parts.append(el("NextContinuationToken", encode_token(pg.next_marker)))
            else:
                parts.append(el("NextMarker", enc(pg.next_marker)))
        if v2:
            parts.append(el("KeyCount", len(pg.contents) + len(pg.prefixes)))
        show_owner = not v2 or q.get("fetch-owner") == "true"
        now = self._clock()
        for key in pg.contents:
            entry = self._listed(req.bucket, key, paths[key])
            if entry is None:
                continue
            size, mtime, etag, meta = entry
            restore = restore_value(meta, now)
            parts.append("<Contents>" + el("Key", enc(key))
                         + el("LastModified", iso_time(mtime)) + el("ETag", etag)
                         + el("Type", meta.type if meta else "Normal") + el("Size", size)
                         + el("StorageClass", meta.storage_class if meta else "Standard")
                         + (owner() if show_owner else "")
                         + (el("RestoreInfo", restore) if restore else "") + "</Contents>")
        for p in pg.prefixes:
            parts.append("<CommonPrefixes>" + el("Prefix", enc(p)) + "</CommonPrefixes>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("ListBucketResult", "".join(parts)))

    def _listed(self, bucket: str, key: str, path: str) -> tuple | None:
        """(size, mtime, ETag, metadata or None) of a listed object; None if it vanished
        meanwhile.
        ``path`` comes from the listing, which has already checked it stays inside."""
        st = self.store.stat_listed(path)
        if st is None:
            return None
        meta = self.metas.get(bucket, key, st)
        if meta is not None and tuple(meta.ident) == identity(st):
            return st.st_size, st.st_mtime, meta.etag, meta
        md5 = self.store.listed_md5(path, st)
        if md5 is None:
            return None
        return st.st_size, st.st_mtime, f'"{md5.upper()}"', None

    def _list_buckets(self, req: Request) -> Response:
        q = req.query
        prefix, marker = q.get("prefix", ""), q.get("marker", "")
        limit = max_keys(q.get("max-keys"))
        buckets = [(n, t) for n, t in self.store.buckets() if n.startswith(prefix) and n > marker]
        truncated = len(buckets) > limit
        buckets = buckets[:limit]
        region = self.config.region
        parts = [owner()]
        if prefix:
            parts.append(el("Prefix", prefix))
        if marker:
            parts.append(el("Marker", marker))
        parts.append(el("IsTruncated", "true" if truncated else "false"))
        if truncated:
            parts.append(el("NextMarker", buckets[-1][0]))
        parts.append("<Buckets>")
        host = req.host or self.config.domain
        for name, mtime in buckets:
            parts.append("<Bucket>" + el("CreationDate", iso_time(mtime))
                         + el("ExtranetEndpoint", host) + el("IntranetEndpoint", host)
                         + el("Location", f"oss-{region}") + el("Name", name)
                         + el("Region", region)
                         + el("StorageClass", self.metas.bucket_class(name))
                         + "</Bucket>")
        parts.append("</Buckets>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("ListAllMyBucketsResult", "".join(parts)))

    # -- buckets -----------------------------------------------------------------------
    def _head_bucket(self, req: Request) -> Response:
        return Response(200)

    def _put_bucket(self, req: Request) -> Response:
        root = read_xml(req)
        check_redundancy(root)
        storage = root.findtext("StorageClass") if root is not None else None
        if storage is not None and storage not in STORAGE_CLASSES:
            raise error("InvalidArgument", f"The storage class {storage[:40]!r} is not one "
                        "of " + ", ".join(STORAGE_CLASSES) + ".", 400,
                        ArgumentName="StorageClass")
        acl = requested_acl(req)
        existed = (self.config.root / req.bucket).is_dir()
        self.store.create_bucket(req.bucket)
        if storage and not existed:      # an existing bucket keeps its class, as OSS
            self.metas.set_bucket_class(req.bucket, storage)
        if acl is not None:
            self.bucket_acls.put(req.bucket, acl)
        return Response(200, {"Location": f"/{req.bucket}"})

    def _delete_bucket(self, req: Request) -> Response:
        # OSS's message first, whatever keeps the bucket (ossutil's rm matches it)
        if self.uploads.any(req.bucket):
            raise error("BucketNotEmpty", NOT_EMPTY + "It has multipart uploads in "
                        "progress; abort them first.", 409, BucketName=req.bucket)
        if self.versions.any(req.bucket):
            raise error("BucketNotEmpty", NOT_EMPTY + "It has previous object versions or "
                        "delete markers; delete them first.", 409, BucketName=req.bucket)
        if self.live.list(req.bucket):
            raise error("BucketNotEmpty", NOT_EMPTY + "It has live channels; delete them "
                        "first.", 409, BucketName=req.bucket)
        self.store.delete_bucket(req.bucket)
        self.versions.drop_bucket(req.bucket)
        self.styles.drop_bucket(req.bucket)
        self.metas.drop_bucket(req.bucket)
        self.live.drop_bucket(req.bucket)
        self.bucket_acls.drop(req.bucket)
        return Response(204)

    # -- styles ------------------------------------------------------------------------
    def _put_style(self, req: Request) -> Response:
        name = self._style_name(req)
        root = read_xml(req)
        node = root.find("Content") if root is not None and root.tag == "Style" else None
        content = (node.text or "") if node is not None else ""
        if not content.strip():
            raise error("InvalidArgument", "Style content is invalid.", 400)
        # Stored as given, as OSS does; a bad one fails when a request uses it.
        content = xml_safe(content, "style content")
        category = xml_safe(req.query.get("category") or "image", "category")
        self.styles.put(req.bucket, name, content, category, self._clock())
        return Response(200)

    @staticmethod
    def _style_name(req: Request) -> str:
        name = req.query.get("styleName", "")
        try:
            return validate_style_name(name)
        except OssError as e:
            raise error("InvalidArgument", e.message, 400, StyleName=name[:64]) from None

    def _get_style(self, req: Request) -> Response:
        name = self._style_name(req)
        entry = self.styles.get(req.bucket, name)
        if entry is None:
            raise no_such_style(name)
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("Style", _style_xml(entry)))

    def _list_style(self, req: Request) -> Response:
        body = "".join(f"<Style>{_style_xml(e)}</Style>" for e in self.styles.list(req.bucket))
        return Response(200, {"Content-Type": "application/xml"}, xml_doc("StyleList", body))

    def _delete_style(self, req: Request) -> Response:
        self.styles.delete(req.bucket, self._style_name(req))
        return Response(204)


def _style_xml(e: StyleEntry) -> str:
    return (el("Name", e.name) + el("Content", e.content) + el("Category", e.category)
            + el("CreateTime", e.create_time) + el("LastModifyTime", e.last_modify_time))


__all__ = ["BucketOps", "OWNER_ID"]
