"""Deleting objects: DeleteObject and DeleteMultipleObjects, plain or versioned (the
versioned side is :mod:`core.serve.versioning`)."""
from __future__ import annotations

from urllib.parse import quote

from ..errors import OssError
from .config import error, malformed_xml
from .messages import Request, Response
from .store import check_key_shape
from .versions import check_version_id
from .xmlio import el, read_xml, xml_doc


class DeleteOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    def _delete_object(self, req: Request) -> Response:
        version_id = req.query.get("versionId")
        if version_id is None and not self.versions.status(req.bucket):
            self._remove(req.bucket, req.key)
            return Response(204)
        try:
            check_key_shape(req.key, for_write=False)
        except OssError:
            return Response(204)       # no such key: nothing to delete, as OSS
        version, marker = self.versioned_delete(req.bucket, req.key, version_id)
        headers = {"x-oss-version-id": version}
        if marker:
            headers["x-oss-delete-marker"] = "true"
        return Response(204, headers)

    def _remove(self, bucket: str, key: str) -> None:
        if self.store.delete(bucket, key):
            self.metas.delete(bucket, key)

    def _delete_multiple(self, req: Request) -> Response:
        if "content-md5" not in req.headers:
            raise error("MissingArgument", "DeleteMultipleObjects needs Content-MD5.", 400)
        root = read_xml(req)   # checks the Content-MD5
        if root is None or root.tag != "Delete":
            raise malformed_xml()
        quiet = (root.findtext("Quiet") or "false").strip().lower() == "true"
        url = req.query.get("encoding-type") == "url"
        objects = [(o.findtext("Key") or "", o.findtext("VersionId"))
                   for o in root.findall("Object")]
        if not objects or len(objects) > 1000:
            raise error("MalformedXML", "Delete needs 1-1000 objects.", 400)
        if req.anonymous and not all(self._may("DeleteObject", req.bucket, k, frozenset())
                                     for k, _ in objects):
            raise error("AccessDenied", "You have no right to delete one of these objects "
                        "because of its acl.", 403)
        versioned = bool(self.versions.status(req.bucket))
        parts = []
        for key, version_id in objects:   # encoding-type=url applies to the answer only
            extra = ""
            try:
                if version_id is None and not versioned:
                    self._remove(req.bucket, key)
                else:
                    check_version_id(version_id) if version_id is not None else None
                    check_key_shape(key, for_write=False)
                    version, marker = self.versioned_delete(req.bucket, key, version_id)
                    if version_id is not None:
                        extra = el("VersionId", version_id)
                    if marker:
                        extra += el("DeleteMarker", "true") + el("DeleteMarkerVersionId",
                                                                 version)
            except OssError as e:
                if e.code not in ("InvalidObjectName", "NoSuchKey"):
                    raise
            if not quiet:
                parts.append("<Deleted>" + el("Key", quote(key, safe="/") if url else key)
                             + extra + "</Deleted>")
        if url:
            parts.insert(0, el("EncodingType", "url"))
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("DeleteResult", "".join(parts)))
