"""Storage classes and RestoreObject, as OSS has them.

Every object has a storage class (``x-oss-storage-class`` on PutObject, CopyObject,
InitiateMultipartUpload, AppendObject and PutSymlink; Standard when not given), kept in
its metadata and answered on GET/HEAD and in listings. The bytes are the same file
whatever the class: only the rules of access differ.

Archive, ColdArchive and DeepColdArchive objects are *frozen*: HEAD works, GET (raw or
processed) and copying from them answer 403 InvalidObjectState until they are restored.
``POST /<key>?restore`` starts a restore (202); while it runs the object is *restoring*
(a second request: 409 RestoreAlreadyInProgress; HEAD: ``x-oss-restore:
ongoing-request="true"``); when it is done the object is *restored* for ``Days`` days
(HEAD: ``ongoing-request="false", expiry-date="<date>"``; another request: 200, the
period extended up to the class's maximum), then frozen again -- or at once with
``POST /<key>?cleanRestoredObject``.

How long a restore takes here: ``ServiceConfig.restore_seconds`` (``oss-img serve
--restore-seconds``), 60 s by default for every class and tier. OSS documents about
1 minute for Archive and hours for the colder classes (ColdArchive 1 h Expedited to
12 h Bulk; DeepColdArchive 12-48 h); a local server that made a client wait hours would
help nobody, so one configurable delay stands for all of them. All times come from the
service's ``clock``, so tests move through the states without waiting. See
docs/COMPATIBILITY.md ("Storage classes and RestoreObject").
"""
from __future__ import annotations

from ..errors import OssError
from .config import error, http_date, malformed_xml, small_int
from .messages import Request, Response
from .meta import ObjectMeta
from .xmlio import read_xml

STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
# Classes that must be restored before reading -> longest restored period (days).
MAX_RESTORE_DAYS = {"Archive": 7, "ColdArchive": 365, "DeepColdArchive": 365}
# Restore priorities (JobParameters/Tier) per class; Archive takes none.
TIERS = {"ColdArchive": ("Expedited", "Standard", "Bulk"),
         "DeepColdArchive": ("Expedited", "Standard")}
DEFAULT_TIER = "Standard"       # when JobParameters is left out (OSS documentation)
DAY = 86400
DEFAULT_RESTORE_SECONDS = 60.0  # OSS: "about 1 minute" for Archive


def storage_class_from(headers: dict[str, str], *, append: bool = False) -> str | None:
    """The ``x-oss-storage-class`` of a write (None when not given), checked."""
    value = headers.get("x-oss-storage-class")
    if value is None:
        return None
    if value not in STORAGE_CLASSES:
        raise error("InvalidArgument", f"The storage class {value[:40]!r} is not one of "
                    + ", ".join(STORAGE_CLASSES) + ".", 400,
                    ArgumentName="x-oss-storage-class")
    if append and value in ("ColdArchive", "DeepColdArchive"):
        raise error("InvalidArgument", f"An appendable object cannot be {value}; use "
                    "Standard, IA or Archive.", 400, "0016-00000503",
                    ArgumentName="x-oss-storage-class")
    return value


def restore_state(meta: ObjectMeta | None, now: float) -> str:
    """``readable`` (not an archive class), ``frozen``, ``restoring`` or ``restored``."""
    if meta is None or meta.storage_class not in MAX_RESTORE_DAYS:
        return "readable"
    r = meta.restore
    if not r or now >= r.get("expiry", 0):
        return "frozen"
    return "restoring" if now < r.get("ready", 0) else "restored"


def restore_value(meta: ObjectMeta | None, now: float) -> str | None:
    """The ``x-oss-restore`` header (and ListObjects ``RestoreInfo``); None when the
    object is neither restoring nor restored."""
    state = restore_state(meta, now)
    if state == "restoring":
        return 'ongoing-request="true"'
    if state == "restored":
        return f'ongoing-request="false", expiry-date="{http_date(meta.restore["expiry"])}"'
    return None


def class_headers(meta: ObjectMeta | None, now: float) -> dict[str, str]:
    """``x-oss-storage-class`` and, while restoring or restored, ``x-oss-restore``."""
    headers = {"x-oss-storage-class": meta.storage_class if meta else "Standard"}
    value = restore_value(meta, now)
    if value:
        headers["x-oss-restore"] = value
    return headers


def check_readable(meta: ObjectMeta | None, now: float) -> None:
    """403 InvalidObjectState for a frozen or restoring archived object."""
    if restore_state(meta, now) in ("frozen", "restoring"):
        raise error("InvalidObjectState", "The operation is not valid for the object's "
                    "state", 403)


def parse_restore_request(req: Request, storage_class: str) -> tuple[int, str | None]:
    """(Days, Tier) of a RestoreObject body (none: 1 day, the default tier)."""
    root = read_xml(req)
    tiers = TIERS.get(storage_class)
    default = (1, DEFAULT_TIER if tiers else None)
    if root is None:
        return default
    malformed = malformed_xml()
    if root.tag != "RestoreRequest" or any(c.tag not in ("Days", "JobParameters")
                                           for c in root):
        raise malformed
    days_text = root.findtext("Days")
    try:
        days = 1 if days_text is None else small_int(days_text, "Days", digits=4)
    except OssError:
        days = None
    top = MAX_RESTORE_DAYS[storage_class]
    if days is None or not 1 <= days <= top:
        raise error("InvalidArgument", f"Days must be an integer from 1 to {top} for "
                    f"{storage_class} objects.", 400,
                    "0016-00000708" if storage_class == "Archive" else "0016-00000704",
                    ArgumentName="Days")
    jobs = root.find("JobParameters")
    if jobs is None:
        return days, default[1]
    if tiers is None or any(c.tag != "Tier" for c in jobs):
        raise malformed     # JobParameters is for ColdArchive and DeepColdArchive only
    tier = (jobs.findtext("Tier") or "").strip()
    if tier not in tiers:
        raise error("InvalidArgument", f"The restore Tier {tier[:40]!r} is not one of "
                    + ", ".join(tiers) + f" for {storage_class} objects.", 400,
                    "0016-00000703", ArgumentName="Tier")
    return days, tier


class RestoreOps:
    """Mixed into :class:`core.serve.service.OssService`: RestoreObject."""

    def _restore_object(self, req: Request) -> Response:
        bucket, key = req.bucket, req.key
        f, st = self.store.open(bucket, key)
        with f:
            meta = self._object_meta(bucket, key, f, st)
        if meta.storage_class not in MAX_RESTORE_DAYS:
            raise error("OperationNotSupported", "The operation is not supported for this "
                        f"resource: {meta.storage_class} objects need no restore.", 400)
        days, tier = parse_restore_request(req, meta.storage_class)
        now = self._clock()
        state = restore_state(meta, now)
        if state == "restoring":
            raise error("RestoreAlreadyInProgress", "The restore operation is in progress.",
                        409, "0016-00000701")
        if state == "restored":      # extend the restored period, up to the class maximum
            r = meta.restore
            r["expiry"] = min(r["expiry"] + days * DAY,
                              r["ready"] + MAX_RESTORE_DAYS[meta.storage_class] * DAY)
            status = 200
        else:
            ready = now + self.config.restore_seconds
            meta.restore = {"ready": ready, "expiry": ready + days * DAY, "tier": tier or ""}
            status = 202
        self.metas.put(bucket, key, st, meta)
        headers = {"x-oss-object-restore-priority": tier} if tier else {}
        return Response(status, headers)

    def _clean_restored_object(self, req: Request) -> Response:
        """CleanRestoredObject: end the restored period now (the object is frozen again);
        409 ArchiveRestoreNotFinished while restoring, ArchiveRestoreFileStale when there
        is nothing restored (OSS's codes, asserted by alibabacloud-oss-v2's tests; the
        messages and ECs are those of OSS's error pages 0016-00000719 and -718)."""
        bucket, key = req.bucket, req.key
        f, st = self.store.open(bucket, key)
        with f:
            meta = self._object_meta(bucket, key, f, st)
        state = restore_state(meta, self._clock())
        if state == "restoring":
            raise error("ArchiveRestoreNotFinished", "The archive file's restore is not "
                        "finished.", 409, ec="0016-00000719")
        if state != "restored":
            raise error("ArchiveRestoreFileStale", "The archive file or restore info stale",
                        409, ec="0016-00000718")
        meta.restore = {}
        self.metas.put(bucket, key, st, meta)
        return Response(200)
