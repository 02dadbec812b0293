"""What a bucket is: its configuration at creation (storage class, redundancy) and
GetBucketInfo, GetBucketLocation and GetBucketStat.

The configuration PutBucket's ``CreateBucketConfiguration`` gives is kept in
``ROOT/.oss-buckets/<bucket>.json``: ``StorageClass`` (Standard or IA: the class of
objects uploaded without ``x-oss-storage-class``) and ``DataRedundancyType`` (LRS: one
copy on one file system is what this server has). Other classes and ZRS are 501, never
accepted and dropped. A bucket made as a folder by hand has the defaults.

Endpoints: GetBucketInfo, like ListBuckets, advertises the endpoint the client reached
(``Host``: ``127.0.0.1:9000``, without the scheme and without a virtual-host bucket
label), as OSS advertises ``oss-cn-hangzhou.aliyuncs.com`` and its ``-internal`` twin;
a local server has one address for both.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from xml.sax.saxutils import escape

from ..oss.urls import validate_bucket
from ..storage import atomic_write
from .config import error, iso_time, log, not_implemented
from .messages import Operation, Request, Response
from .xmlio import el, owner, xml_doc

BUCKETS_DIR = ".oss-buckets"
BUCKET_STORAGE_CLASSES = ("Standard", "IA")
REDUNDANCY = ("LRS",)
_STAT_CLASSES = (("Standard", "Standard"), ("IA", "InfrequentAccess"),
                 ("Archive", "Archive"), ("ColdArchive", "ColdArchive"),
                 ("DeepColdArchive", "DeepColdArchive"))


class BucketConfigStore:
    def __init__(self, root: Path) -> None:
        self.folder = root / BUCKETS_DIR

    def _path(self, bucket: str) -> Path:
        return self.folder / f"{validate_bucket(bucket)}.json"

    def get(self, bucket: str) -> dict:
        try:
            data = json.loads(self._path(bucket).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            log.warning("bucket configuration of %s is unreadable (%s); defaults are "
                        "used", bucket, e)
            return {}
        return data if isinstance(data, dict) else {}

    def storage_class(self, bucket: str) -> str:
        value = self.get(bucket).get("storage_class", "Standard")
        return value if value in BUCKET_STORAGE_CLASSES else "Standard"

    def put_new(self, bucket: str, config: dict) -> None:
        """Keep ``config`` for a bucket that has none (PutBucket on an existing bucket
        does not change it)."""
        path = self._path(bucket)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(config))

    def drop(self, bucket: str) -> None:
        self._path(bucket).unlink(missing_ok=True)


def creation_config(root) -> dict:
    """The kept part of a CreateBucketConfiguration element (None: defaults)."""
    if root is None:
        return {}
    if root.tag != "CreateBucketConfiguration":
        raise error("MalformedXML", "The XML you provided was not well-formed or did not "
                    "validate against our published schema.", 400)
    storage = (root.findtext("StorageClass") or "Standard").strip()
    redundancy = (root.findtext("DataRedundancyType") or "LRS").strip()
    if storage not in BUCKET_STORAGE_CLASSES:
        raise not_implemented(f"A bucket of storage class {storage}")
    if redundancy not in REDUNDANCY:
        raise not_implemented(f"Data redundancy {redundancy}")
    return {"storage_class": storage, "data_redundancy": redundancy}


class BucketInfoOps:
    """Mixed into :class:`core.serve.service.OssService` (needs ``self.bucket_configs``)."""

    bucket_configs: BucketConfigStore

    def _route_bucket_info(self, req: Request) -> Operation | None:
        for name, op, handler in (("bucketInfo", "GetBucketInfo", self._get_bucket_info),
                                  ("location", "GetBucketLocation", self._get_location),
                                  ("stat", "GetBucketStat", self._get_bucket_stat)):
            if name in req.query:
                if req.method != "GET":
                    raise self._not_allowed(req.method, f"a bucket's {name}")
                return Operation(op, handler)
        return None

    def _endpoint(self, req: Request) -> str:
        """host[:port] the client used, without a virtual-host bucket label."""
        host = req.host or self.config.domain
        if req.bucket and host.lower().startswith(req.bucket + "."):
            host = host[len(req.bucket) + 1:]
        return host

    def _get_location(self, req: Request) -> Response:
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("LocationConstraint", escape(f"oss-{self.config.region}")))

    def _get_bucket_info(self, req: Request) -> Response:
        bucket = req.bucket
        config = self.bucket_configs.get(bucket)
        created = os.stat(self.store.bucket_dir(bucket)).st_mtime
        endpoint = self._endpoint(req)
        versioning = self.versions.status(bucket)
        body = (el("AccessMonitor", "Disabled") + el("CreationDate", iso_time(created))
                + el("ExtranetEndpoint", endpoint) + el("IntranetEndpoint", endpoint)
                + el("Location", f"oss-{self.config.region}")
                + el("StorageClass", self.bucket_configs.storage_class(bucket))
                + el("TransferAcceleration", "Disabled")
                + el("CrossRegionReplication", "Disabled")
                + el("DataRedundancyType", config.get("data_redundancy", "LRS"))
                + el("Name", bucket) + el("ResourceGroupId", "")
                # nothing is public unless the server's --acl makes it so (object ACLs
                # are stored, not enforced)
                + el("BlockPublicAccess", "true" if self.config.acl == "private"
                     else "false")
                + (el("Versioning", versioning) if versioning else "")
                + owner()
                + f"<AccessControlList>{el('Grant', self.config.acl)}</AccessControlList>"
                + "<ServerSideEncryptionRule>" + el("SSEAlgorithm", "None")
                + "</ServerSideEncryptionRule>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("BucketInfo", f"<Bucket>{body}</Bucket>"))

    def _get_bucket_stat(self, req: Request) -> Response:
        """Sizes and counts of the current objects and previous versions, by class."""
        bucket = req.bucket
        sizes = {cls: 0 for cls, _ in _STAT_CLASSES}
        counts = dict.fromkeys(sizes, 0)
        last = 0
        markers = 0
        for key, path in self.store.listing(bucket):
            st = self.store.stat_listed(path)
            if st is None:
                continue
            meta = self.metas.get(bucket, key, st)
            cls = meta.storage_class if meta is not None else "Standard"
            sizes[cls] = sizes.get(cls, 0) + st.st_size
            counts[cls] = counts.get(cls, 0) + 1
            last = max(last, int(st.st_mtime))
        for key, records in self.versions.all_keys(bucket).items():
            for record in records:
                if record["marker"]:
                    markers += 1
                    continue
                cls = (record.get("meta") or {}).get("storage_class", "Standard")
                try:
                    size = os.stat(self.versions.data_path(bucket, key, record["id"])).st_size
                except OSError:
                    continue
                sizes[cls] = sizes.get(cls, 0) + size
                counts[cls] = counts.get(cls, 0) + 1
        body = (el("Storage", sum(sizes.values())) + el("ObjectCount", sum(counts.values()))
                + el("MultipartUploadCount", len(self.uploads.uploads(bucket)))
                + el("LiveChannelCount", 0) + el("LastModifiedTime", last))
        for cls, tag in _STAT_CLASSES:
            body += el(f"{tag}Storage", sizes.get(cls, 0))
            if cls != "Standard":       # stored as written: no minimum billable size
                body += el(f"{tag}RealStorage", sizes.get(cls, 0))
            body += el(f"{tag}ObjectCount", counts.get(cls, 0))
        body += el("DeleteMarkerCount", markers)
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("BucketStat", body))
