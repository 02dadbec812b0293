"""Who may do what without a signature: per-bucket ACLs and the object ACL.

A bucket's ACL is the one PutBucketAcl (or ``x-oss-acl`` on PutBucket) gave it, kept in
``ROOT/.oss-bucket-acl/<bucket>``; a bucket without one has the server's ``--acl``. As on
OSS, an object whose ACL is not ``default`` is governed by its own ACL, otherwise by its
bucket's; ``public-read`` lets anyone read (GetObject, HeadObject, ListObjects ...),
``public-read-write`` also write objects. Bucket settings (ACL, styles, deleting the
bucket) need a signature once a bucket has an ACL of its own. A bucket without one on a
``public-read-write`` server is open to everything, as before per-bucket ACLs existed (the
server's documented "no checks" mode). Changing an ACL always needs a signed request.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import OssError
from ..oss.urls import validate_bucket
from ..storage import atomic_write, open_regular
from .config import ACLS, BUCKET_ACL_DIR, error, log
from .messages import Request, Response
from .objects import _copy_source
from .xmlio import el, owner, xml_doc

# Operations public-read-write lets anyone do (besides the reads public-read allows).
OBJECT_WRITES = frozenset({
    "PutObject", "AppendObject", "CopyObject", "DeleteObject", "DeleteMultipleObjects",
    "PutSymlink", "InitiateMultipartUpload", "UploadPart", "UploadPartCopy",
    "CompleteMultipartUpload",
    "AbortMultipartUpload", "ListParts", "ListMultipartUploads"})
# Operations on one object that the object's own ACL (when not "default") decides.
OBJECT_ACL_GOVERNS = frozenset({"GetObject", "HeadObject", "GetObjectMeta", "GetSymlink",
                                "PutObject", "AppendObject", "DeleteObject", "CopyObject"})


class BucketAclStore:
    def __init__(self, root: Path) -> None:
        self.folder = root / BUCKET_ACL_DIR

    def get(self, bucket: str) -> str | None:
        """The bucket's own ACL, or None (it has the server's)."""
        path = self.folder / validate_bucket(bucket)
        try:
            f, _ = open_regular(path, limit=64)     # never a FIFO, never a huge file
            with f:
                acl = f.read().decode("utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            log.warning("bucket ACL %s is unreadable (%s); the server's applies", path, e)
            return None
        if acl not in ACLS:
            log.warning("bucket ACL %s holds %r; the server's applies", path, acl[:40])
            return None
        return acl

    def put(self, bucket: str, acl: str) -> None:
        atomic_write(self.folder / validate_bucket(bucket), acl)

    def drop(self, bucket: str) -> None:
        (self.folder / validate_bucket(bucket)).unlink(missing_ok=True)


def requested_acl(req: Request) -> str | None:
    """The ``x-oss-acl`` of a PutBucket/PutBucketAcl, checked; None when absent."""
    acl = req.headers.get("x-oss-acl")
    if acl is not None and acl not in ACLS:
        raise error("InvalidArgument", "no such bucket access control exists", 400,
                    ArgumentName="x-oss-acl", ArgumentValue=acl[:64])
    return acl


class AccessOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    def bucket_acl(self, bucket: str) -> tuple[str, bool]:
        """(ACL, whether the bucket has its own) of an existing bucket."""
        own = self.bucket_acls.get(bucket)
        return (own, True) if own is not None else (self.config.acl, False)

    def _anonymous_may(self, operation: str, req: Request, reads: frozenset[str]) -> bool:
        """Whether an unsigned request may run ``operation``."""
        if operation == "PutBucketAcl" or (operation == "PutBucket"
                                           and "x-oss-acl" in req.headers):
            return False
        if not req.bucket or operation == "PutBucket":
            return self._acl_allows(self.config.acl, False, operation, reads)
        if not self._may(operation, req.bucket, req.key, reads):
            return False
        if operation in ("CopyObject", "UploadPartCopy"):   # the source must be readable too
            src_bucket, src_key = _copy_source(req.headers["x-oss-copy-source"])
            try:
                self.store.bucket_dir(src_bucket)
            except OssError:
                return True               # the copy itself answers NoSuchBucket
            return self._may("GetObject", src_bucket, src_key, reads)
        return True

    def _may(self, operation: str, bucket: str, key: str | None,
             reads: frozenset[str]) -> bool:
        acl, own = self.bucket_acl(bucket)
        if key and operation in OBJECT_ACL_GOVERNS:
            object_acl = self._stored_object_acl(bucket, key)
            if object_acl not in (None, "default"):
                acl, own = object_acl, True
        return self._acl_allows(acl, own, operation, reads)

    @staticmethod
    def _acl_allows(acl: str, own: bool, operation: str, reads: frozenset[str]) -> bool:
        if acl == "public-read-write" and not own:
            return True                    # the server's open mode: no checks
        if acl in ("public-read", "public-read-write") and operation in reads:
            return True
        return acl == "public-read-write" and operation in OBJECT_WRITES

    def _stored_object_acl(self, bucket: str, key: str) -> str | None:
        """The ACL of the object ``key`` (or of the object a style-separator URL names);
        None when there is no such object."""
        try:
            if not self.store.exists(bucket, key):
                split = self._split_separator(bucket, key)
                if split is None:
                    return None
                key = split[0]
            f, st = self.store.open(bucket, key)
        except OssError:
            return None
        with f:
            meta = self.metas.get(bucket, key, st)
        return meta.acl if meta is not None else None

    # -- GetBucketAcl / PutBucketAcl -----------------------------------------------------
    def _get_bucket_acl(self, req: Request) -> Response:
        acl, _ = self.bucket_acl(req.bucket)
        body = owner() + f"<AccessControlList>{el('Grant', acl)}</AccessControlList>"
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("AccessControlPolicy", body))

    def _put_bucket_acl(self, req: Request) -> Response:
        acl = requested_acl(req)
        if acl is None:
            raise error("MissingArgument", "PutBucketAcl needs the x-oss-acl header.", 400,
                        ArgumentName="x-oss-acl")
        self.bucket_acls.put(req.bucket, acl)
        return Response(200)
