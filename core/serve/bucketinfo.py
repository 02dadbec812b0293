"""GetBucketInfo, GetBucketLocation and GetBucketStat, and PutBucket's
``DataRedundancyType`` (LRS; its storage class is :mod:`core.serve.archive`'s, its ACL
:mod:`core.serve.access`'s).

Endpoints: GetBucketInfo, like ListBuckets, advertises the endpoint the client reached
(``Host``: ``127.0.0.1:9000``, without the scheme and without a virtual-host bucket
label), as OSS advertises ``oss-cn-hangzhou.aliyuncs.com`` and its ``-internal`` twin;
a local server has one address for both.
"""
from __future__ import annotations

import os
from xml.sax.saxutils import escape

from .config import iso_time, not_implemented
from .messages import Operation, Request, Response
from .xmlio import el, owner, xml_doc

REDUNDANCY = ("LRS",)
_STAT_CLASSES = (("Standard", "Standard"), ("IA", "InfrequentAccess"),
                 ("Archive", "Archive"), ("ColdArchive", "ColdArchive"),
                 ("DeepColdArchive", "DeepColdArchive"))


def check_redundancy(root) -> None:
    """PutBucket's ``DataRedundancyType``: LRS (one copy on one file system is what this
    server has) or absent; ZRS is 501, never accepted and dropped."""
    value = (root.findtext("DataRedundancyType") if root is not None else None) or "LRS"
    if value.strip() not in REDUNDANCY:
        raise not_implemented(f"Data redundancy {value.strip()[:20]}")


class BucketInfoOps:
    """Mixed into :class:`core.serve.service.OssService`."""

    def _route_bucket_info(self, req: Request) -> Operation | None:
        for name, op, handler in (("bucketInfo", "GetBucketInfo", self._get_bucket_info),
                                  ("location", "GetBucketLocation", self._get_location),
                                  ("stat", "GetBucketStat", self._get_bucket_stat)):
            if name in req.query:
                if req.method != "GET":
                    raise self._not_allowed(req.method)
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
        acl, _ = self.bucket_acl(bucket)
        created = os.stat(self.store.bucket_dir(bucket)).st_mtime
        endpoint = self._endpoint(req)
        versioning = self.versions.status(bucket)
        body = (el("AccessMonitor", "Disabled") + el("CreationDate", iso_time(created))
                + el("ExtranetEndpoint", endpoint) + el("IntranetEndpoint", endpoint)
                + el("Location", f"oss-{self.config.region}")
                + el("StorageClass", self.metas.bucket_class(bucket))
                + el("TransferAcceleration", "Disabled")
                + el("CrossRegionReplication", "Disabled")
                + el("DataRedundancyType", "LRS")
                + el("Name", bucket) + el("ResourceGroupId", "")
                # no public-access block here: the bucket's ACL decides
                + el("BlockPublicAccess", "false")
                + (el("Versioning", versioning) if versioning else "")
                + owner()
                + f"<AccessControlList>{el('Grant', acl)}</AccessControlList>"
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
