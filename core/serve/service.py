"""OSS semantics, HTTP-free: ``OssService.handle(Request) -> Response``.

Routing, access checks and error answers live here; the operations are grouped in
:mod:`core.serve.objects`, :mod:`core.serve.buckets` and :mod:`core.serve.multipart`
(mix-ins of this class). Signatures are checked with :mod:`core.oss.signing`.
"""
from __future__ import annotations

import base64
import time
from typing import Callable

from .. import codec
from ..cascade import Cascade, parse, resolve
from ..engine import Result
from ..errors import Cancelled, OssError
from ..oss import signing, verify
from ..oss.credentials import static_lookup
from ..oss.urls import validate_bucket
from .archive import RestoreOps
from .access import AccessOps, BucketAclStore
from .bucketinfo import BucketInfoOps
from .buckets import BucketOps
from .callback import CallbackOps
from .config import (NOT_ALLOWED, ServiceConfig, error, internal_error, log,
                     new_request_id, redact, timeout_error)
from .deletes import DeleteOps
from .imaging import ImageWorkers
from .live import LiveChannelStore, LiveOps
from .messages import Operation, Request, Response
from .meta import MetaStore
from .multipart import MultipartOps, UploadStore
from .objects import ObjectOps
from .saveas import SaveAsOps, refuse_pipe_in_get
from .store import ObjectStore
from .styles import StyleStore
from .tagging import TaggingOps
from .versioning import VersioningOps
from .versions import VersionStore

READ_OPERATIONS = frozenset({"GetObject", "HeadObject", "GetObjectMeta", "ListObjects",
                             "ListObjectsV2", "HeadBucket", "GetObjectAcl",
                             "GetSymlink", "ListObjectVersions"})
# Sub-resources this server implements, per level; any other V1 sub-resource is 501.
_BUCKET_SUBRESOURCES_OK = frozenset({"style", "styleName", "security-token",
                                     "continuation-token", "acl", "uploads", "delete",
                                     "live", "versioning", "versions", "bucketInfo",
                                     "location", "stat"})
_OBJECT_SUBRESOURCES_OK = frozenset({
    "x-oss-process", "security-token", "objectMeta", "x-oss-traffic-limit", "acl",
    "response-content-type", "response-content-language", "response-expires",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
    "uploads", "uploadId", "partNumber", "append", "position", "symlink", "restore",
    "cleanRestoredObject", "callback", "callback-var", "x-oss-async-process", "tagging",
    "versionId",
})
# Bucket calls OSS checks the signature of before it looks the bucket up (PutBucket
# creates it; PutBucketAcl: alibabacloud-oss-v2's test_put_bucket_acl_fail gets 403
# InvalidAccessKeyId for an unknown key on a missing bucket, where GetBucketAcl and
# every other bucket call get 404 NoSuchBucket).
_SIGNATURE_FIRST = frozenset({"PutBucket", "PutBucketAcl"})
# Request headers whose feature this server does not have: 501, never silently dropped.
_UNSUPPORTED_HEADERS = {
    "x-oss-server-side-encryption": "Server-side encryption",
    "x-oss-server-side-data-encryption": "Server-side encryption",
}


class OssService(ObjectOps, DeleteOps, BucketOps, MultipartOps, RestoreOps, LiveOps,
                 TaggingOps, AccessOps, SaveAsOps, CallbackOps, VersioningOps,
                 BucketInfoOps):
    """OSS semantics over an :class:`ObjectStore`; no HTTP here.

    ``clock`` (Unix seconds) is what signatures and expiry are checked against;
    ``monotonic`` drives the in-process processing deadline. Tests pass fakes for both.
    """

    def __init__(self, config: ServiceConfig, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.store = ObjectStore(config.root, clean=True)
        self.styles = StyleStore(config.root)
        self.metas = MetaStore(config.root)
        self.uploads = UploadStore(config.root)
        self.live = LiveChannelStore(config.root)
        self.bucket_acls = BucketAclStore(config.root)
        self.versions = VersionStore(config.root)
        self._clock = clock
        self._lookup = static_lookup(*config.credentials)
        self.images = ImageWorkers(config, self.store, codec.MAX_SOURCE_BYTES,
                                   monotonic=monotonic)

    def close(self) -> None:
        """Stop the image worker processes (if any were started)."""
        self.images.close()

    # -- entry point -------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        """Answer ``req``; never raises. Errors become OSS error responses."""
        request_id = new_request_id()
        try:
            try:
                op, refused = self._route(req), None
            except OssError as e:
                if e.status not in (405, 501):
                    raise
                op, refused = None, e   # after NoSuchBucket and signatures, as OSS
            signature_first = op is not None and op.name in _SIGNATURE_FIRST
            if req.bucket and not signature_first:
                self.store.bucket_dir(req.bucket)   # NoSuchBucket before signatures, as OSS
            verified = verify.verify_request(
                req.method, req.bucket, req.key or None, req.query, req.headers,
                self._lookup, now=self._clock(), region=self.config.region)
            if signature_first and op.name != "PutBucket":
                self.store.bucket_dir(req.bucket)
            if refused is not None:
                self._authorize(refused.code, verified, req)
                raise refused
            self._authorize(op.name, verified, req)
            req.anonymous = verified is None
            self.check_versioned(op.name, req)
            callback = self._callback_for(op.name, req)     # checked before the upload
            resp = op.run(req)
            if callback is not None:
                resp = self._run_callback(callback, op.name, req, resp, request_id)
        except Cancelled:
            resp = self.error_response(timeout_error(self.config.process_timeout), req,
                                       request_id)
        except OssError as e:
            resp = self.error_response(e, req, request_id)
        except Exception:  # the boundary: one bad request never takes the server down
            log.exception("internal error in request %s (%s %s)", request_id, req.method,
                          redact(f"/{req.bucket or ''}/{req.key or ''}"))
            resp = self.error_response(internal_error(), req, request_id)
        resp.headers["x-oss-request-id"] = request_id
        return resp

    def error_response(self, err: OssError, req: Request, request_id: str) -> Response:
        status = err.status or 400
        if status == 499:
            status = 400
        host_id = req.host or (f"{req.bucket}.{self.config.domain}" if req.bucket
                               else self.config.domain)
        body = err.to_xml(request_id, host_id).encode("utf-8")
        headers = {"Content-Type": "application/xml", "x-oss-request-id": request_id}
        if err.ec:
            headers["x-oss-ec"] = err.ec
        for name in ("x-oss-next-append-position", "x-oss-delete-marker", "x-oss-version-id"):
            if name in err.details:
                headers[name] = err.details[name]
        if req.method == "HEAD":
            # No body on HEAD: both SDKs decode the error from this header instead.
            headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
        return Response(status, headers, body)

    # -- routing and access ------------------------------------------------------------
    def _route(self, req: Request) -> Operation:
        m, q = req.method, req.query
        if not req.bucket:
            self._refuse_subresources(q, frozenset({"security-token"}), extra=("regions",))
            if m == "GET":
                return Operation("ListBuckets", self._list_buckets)
            raise self._not_allowed(m)
        validate_bucket(req.bucket)
        if not req.key:
            return self._route_bucket(req)
        if "live" in q or "vod" in q:
            return Operation(*self._route_live(req))
        self._refuse_subresources(q, _OBJECT_SUBRESOURCES_OK)
        if m in ("PUT", "POST"):
            for name, what in _UNSUPPORTED_HEADERS.items():
                if name in req.headers:
                    raise error("NotImplemented", f"{what} ({name}) is not implemented by "
                                "this server.", 501, Header=name)
        if "uploadId" in q or "uploads" in q:
            return self._route_multipart(req)
        if "tagging" in q:
            return self._route_tagging(req)
        if "symlink" in q:
            if m == "PUT":
                return Operation("PutSymlink", self._put_symlink)
            if m == "GET":
                return Operation("GetSymlink", self._get_symlink)
            raise self._not_allowed(m)
        if "acl" in q:
            if m == "GET":
                return Operation("GetObjectAcl", self._get_object_acl)
            if m == "PUT":
                return Operation("PutObjectAcl", self._put_object_acl)
            raise self._not_allowed(m)
        if m == "GET":
            return Operation("GetObject", self._get_object)
        if m == "HEAD":
            return Operation("GetObjectMeta" if "objectMeta" in q else "HeadObject",
                             self._get_object)
        if m == "PUT":
            if "x-oss-copy-source" in req.headers:
                return Operation("CopyObject", self._copy_object)
            return Operation("PutObject", self._put_object)
        if m == "DELETE":
            return Operation("DeleteObject", self._delete_object)
        if m == "POST":
            if "append" in q:
                return Operation("AppendObject", self._append_object)
            if "restore" in q:
                return Operation("RestoreObject", self._restore_object)
            if "cleanRestoredObject" in q:
                return Operation("CleanRestoredObject", self._clean_restored_object)
            if "x-oss-process" in q:
                return Operation("ProcessObject", self._process_object)
            if "x-oss-async-process" in q:
                return Operation("AsyncProcessObject", self._async_process_object)
            raise error("NotImplemented", "This POST object operation is not implemented "
                        "by this server.", 501)
        raise self._not_allowed(m)

    def _route_bucket(self, req: Request) -> Operation:
        m, q = req.method, req.query
        if "style" in q:
            has_name = "styleName" in q
            if m == "PUT" and has_name:
                return Operation("PutStyle", self._put_style)
            if m == "GET":
                return Operation("GetStyle" if has_name else "ListStyle",
                                 self._get_style if has_name else self._list_style)
            if m == "DELETE" and has_name:
                return Operation("DeleteStyle", self._delete_style)
            if m in ("PUT", "DELETE"):
                raise error("MissingArgument", "Missing styleName.", 400)
            raise self._not_allowed(m)
        self._refuse_subresources(q, _BUCKET_SUBRESOURCES_OK)
        special = self._route_versioning(req) or self._route_bucket_info(req)
        if special is not None:
            return special
        if "acl" in q:
            if m == "GET":
                return Operation("GetBucketAcl", self._get_bucket_acl)
            if m == "PUT":
                return Operation("PutBucketAcl", self._put_bucket_acl)
            raise self._not_allowed(m)
        if "uploads" in q:
            if m == "GET":
                return Operation("ListMultipartUploads", self._list_uploads)
            raise self._not_allowed(m)
        if "live" in q:
            if m == "GET":
                return Operation("ListLiveChannel", self._list_live_channels)
            raise self._not_allowed(m)
        if "delete" in q:
            if m == "POST":
                return Operation("DeleteMultipleObjects", self._delete_multiple)
            raise self._not_allowed(m)
        table = {"GET": ("ListObjects", self._list_objects),
                 "HEAD": ("HeadBucket", self._head_bucket),
                 "PUT": ("PutBucket", self._put_bucket),
                 "DELETE": ("DeleteBucket", self._delete_bucket)}
        if m == "GET" and q.get("list-type") == "2":
            return Operation("ListObjectsV2", self._list_objects)
        if m in table:
            return Operation(*table[m])
        raise self._not_allowed(m)

    @staticmethod
    def _refuse_subresources(query: dict[str, str], allowed: frozenset[str],
                             extra: tuple[str, ...] = ()) -> None:
        unknown = sorted(k for k in query if (k in signing.V1_SUBRESOURCES or k in extra)
                         and k not in allowed)
        if unknown:
            raise error("NotImplemented", f"The sub-resource {unknown[0]} is not "
                        "implemented by this server.", 501)

    @staticmethod
    def _not_allowed(method: str) -> OssError:
        """405 in OSS's words (its "HTTP status code 405" page), naming the method."""
        return error("MethodNotAllowed", NOT_ALLOWED, 405, Method=method)

    def _authorize(self, operation: str, verified: signing.Verified | None,
                   req: Request) -> None:
        if verified is not None or self._anonymous_may(operation, req, READ_OPERATIONS):
            return
        raise error("AccessDenied", "You have no right to access this object because of "
                    "bucket acl.", 403)

    # -- image processing --------------------------------------------------------------
    def process(self, bucket: str, data: bytes, process: str | Cascade) -> Result:
        """Run ``process`` on ``data`` with the bucket's styles and objects, within the
        server's pixel, memory, concurrency and time limits."""
        if isinstance(process, str):
            refuse_pipe_in_get(process)
        cascade = parse(process) if isinstance(process, str) else process
        cascade = resolve(cascade, lambda name: self.styles.content(bucket, name))
        header = codec.read_header(data)
        frames = max(1, header.frames)
        pixels = header.width * header.height * frames
        if pixels > self.config.max_source_pixels:
            raise OssError("ImageTooLarge", f"The source image has {pixels} pixels; this "
                           f"server allows {self.config.max_source_pixels}.",
                           ec="0040-00000012")
        # What fits in memory is the engine's rule (its decode budget, checked before the
        # decode and before every step), sized in each worker to its address space.
        uses_objects = any(op.uses_objects() for op in cascade.steps)
        return self.images.run(bucket, data, cascade, uses_objects, pixels)
