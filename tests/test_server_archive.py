"""Storage classes and RestoreObject (core/serve/archive.py), with oss2 as the client.

Expected values from the OSS documentation (RestoreObject; error pages 0016-00000701,
-703, -704, -708, 0016-00000503; "The operation is not valid for the object's state")
and from oss2's own functional tests (test_object.py restore tests). The server's clock
and oss2's are the same fake, moved by the tests: no waiting, no wall clock.
"""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from email.utils import formatdate

import oss2
import oss2.credentials
import oss2.models
import pytest
import requests
from PIL import Image

from core.oss.credentials import Credentials
from core.serve.runner import serve
from tests.sdk_clock import freeze_sdk_clocks

T0 = 1767225600          # 2026-01-01T00:00:00Z
DAY = 86400
CREDS = Credentials("LTAI5tArchiveKey0001", "Archive+Secret/0001")
BUCKET = "archive-bucket"


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = T0
        self._mp = monkeypatch
        freeze_sdk_clocks(monkeypatch, self.now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds
        freeze_sdk_clocks(self._mp, self.now)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def server(tmp_path, clock):
    (tmp_path / BUCKET).mkdir()
    srv = serve(tmp_path, "127.0.0.1", 0, "private", (CREDS,), clock=clock)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def bucket(server):
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url,
                       BUCKET)


def _class(cls: str) -> dict[str, str]:
    return {"x-oss-storage-class": cls}


def _restore(bucket, key, days=None, tier=None):
    config = None
    if days is not None:
        jobs = oss2.models.RestoreJobParameters(tier) if tier else None
        config = oss2.models.RestoreConfiguration(days=days, job_parameters=jobs)
    return bucket.restore_object(key, input=config)


def _error(call, *args, **kw) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as err:
        call(*args, **kw)
    return err.value


@pytest.mark.parametrize("cls", ["Standard", "IA", "Archive", "ColdArchive",
                                 "DeepColdArchive"])
def test_storage_class_is_kept_and_listed(bucket, cls):
    bucket.put_object("k.txt", b"abc", headers=_class(cls))
    assert bucket.head_object("k.txt").headers["x-oss-storage-class"] == cls
    assert [o.storage_class for o in bucket.list_objects().object_list] == [cls]
    assert [o.storage_class for o in bucket.list_objects_v2().object_list] == [cls]
    if cls in ("Standard", "IA"):
        assert bucket.get_object("k.txt").read() == b"abc"
    else:
        err = _error(bucket.get_object, "k.txt")
        assert (err.status, err.code) == (403, "InvalidObjectState")
        assert err.message == "The operation is not valid for the object's state"


def test_default_and_bad_storage_class(bucket):
    bucket.put_object("plain.txt", b"x")
    assert bucket.head_object("plain.txt").headers["x-oss-storage-class"] == "Standard"
    err = _error(bucket.put_object, "bad.txt", b"x", headers=_class("Glacier"))
    assert (err.status, err.code) == (400, "InvalidArgument")


def test_archive_restore_life_cycle(bucket, clock):
    bucket.put_object("a.txt", b"frozen bytes", headers=_class("Archive"))
    assert "x-oss-restore" not in bucket.head_object("a.txt").headers
    assert _restore(bucket, "a.txt").status == 202
    # restoring: HEAD and listings say so, GET is still refused, a second request is 409
    assert bucket.head_object("a.txt").headers["x-oss-restore"] == 'ongoing-request="true"'
    assert bucket.list_objects().object_list[0].restore_info == 'ongoing-request="true"'
    assert bucket.list_objects_v2().object_list[0].restore_info == 'ongoing-request="true"'
    assert _error(bucket.get_object, "a.txt").code == "InvalidObjectState"
    err = _error(_restore, bucket, "a.txt")
    assert (err.status, err.code, err.ec) == (409, "RestoreAlreadyInProgress",
                                              "0016-00000701")
    # restored after the server's restore time (60 s, OSS's "about 1 minute"), for 1 day
    clock.advance(59)
    assert bucket.head_object("a.txt").headers["x-oss-restore"] == 'ongoing-request="true"'
    clock.advance(1)
    expiry = formatdate(T0 + 60 + DAY, usegmt=True)
    restored = f'ongoing-request="false", expiry-date="{expiry}"'
    assert bucket.head_object("a.txt").headers["x-oss-restore"] == restored
    assert bucket.list_objects().object_list[0].restore_info == restored
    assert bucket.get_object("a.txt").read() == b"frozen bytes"
    # another request while restored: 200, one more day (at most 7 days in all)
    assert _restore(bucket, "a.txt").status == 200
    later = formatdate(T0 + 60 + 2 * DAY, usegmt=True)
    assert bucket.head_object("a.txt").headers["x-oss-restore"] == \
        f'ongoing-request="false", expiry-date="{later}"'
    assert _restore(bucket, "a.txt", days=7).status == 200
    capped = formatdate(T0 + 60 + 7 * DAY, usegmt=True)
    assert capped in bucket.head_object("a.txt").headers["x-oss-restore"]
    # frozen again when the period ends
    clock.advance(7 * DAY)
    assert "x-oss-restore" not in bucket.head_object("a.txt").headers
    assert _error(bucket.get_object, "a.txt").code == "InvalidObjectState"
    assert _restore(bucket, "a.txt", days=2).status == 202


def test_a_restored_image_is_processed_with_its_restore_header(bucket, clock):
    """A restored Archive image can be processed; the processed answer carries the
    object's class and x-oss-restore as a plain GET does."""
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 10, 10)).save(out, "PNG")
    bucket.put_object("r.png", out.getvalue(), headers=_class("Archive"))
    _restore(bucket, "r.png")
    clock.advance(60)
    got = bucket.get_object("r.png", process="image/resize,w_10")
    with Image.open(io.BytesIO(got.read())) as im:
        assert im.size == (10, 5)
    expiry = formatdate(T0 + 60 + DAY, usegmt=True)
    assert got.headers["x-oss-restore"] == f'ongoing-request="false", expiry-date="{expiry}"'
    assert got.headers["x-oss-storage-class"] == "Archive"


def test_frozen_object_cannot_be_processed_or_copied(bucket, server):
    bucket.put_object("p.txt", b"abc", headers=_class("ColdArchive"))
    err = _error(bucket.get_object, "p.txt", process="image/resize,w_10")
    assert (err.status, err.code) == (403, "InvalidObjectState")
    err = _error(bucket.copy_object, BUCKET, "p.txt", "copy.txt")
    assert (err.status, err.code) == (403, "InvalidObjectState")
    err = _error(bucket.get_object, "p.txt", byte_range=(0, 1))
    assert err.code == "InvalidObjectState"
    # HEAD and object metadata stay readable
    assert bucket.get_object_meta("p.txt").content_length == 3


@pytest.mark.parametrize("tier", ["Expedited", "Standard", "Bulk"])
def test_cold_archive_tiers(bucket, clock, tier):
    """oss2's test_restore_object_with_config: the tier comes back in
    x-oss-object-restore-priority."""
    bucket.put_object("c.txt", b"cold", headers=_class("ColdArchive"))
    result = _restore(bucket, "c.txt", days=5, tier=tier)
    assert result.status == 202
    assert result.headers["x-oss-object-restore-priority"] == tier
    clock.advance(60)
    assert formatdate(T0 + 60 + 5 * DAY, usegmt=True) in \
        bucket.head_object("c.txt").headers["x-oss-restore"]


def test_restore_request_errors(bucket):
    bucket.put_object("arch.txt", b"a", headers=_class("Archive"))
    bucket.put_object("cold.txt", b"c", headers=_class("ColdArchive"))
    bucket.put_object("deep.txt", b"d", headers=_class("DeepColdArchive"))
    bucket.put_object("std.txt", b"s", headers=_class("IA"))
    # JobParameters is for the cold classes only (oss2's
    # test_restore_archive_object_with_job_parameters)
    assert _error(_restore, bucket, "arch.txt", 5, "Bulk").code == "MalformedXML"
    err = _error(_restore, bucket, "cold.txt", 5, "wrong-tier")
    assert (err.code, err.ec) == ("InvalidArgument", "0016-00000703")
    assert _error(_restore, bucket, "deep.txt", 5, "Bulk").ec == "0016-00000703"
    assert _error(_restore, bucket, "arch.txt", 8).ec == "0016-00000708"
    assert _error(_restore, bucket, "cold.txt", 366).ec == "0016-00000704"
    assert _error(_restore, bucket, "cold.txt", 0).ec == "0016-00000704"
    err = _error(_restore, bucket, "std.txt")
    assert (err.status, err.code) == (400, "OperationNotSupported")
    err = _error(_restore, bucket, "missing.txt")
    assert (err.status, err.code) == (404, "NoSuchKey")
    # a valid request after the bad ones starts the restore
    assert _restore(bucket, "deep.txt", 365, "Expedited").status == 202


def test_restore_body_with_unknown_element_is_malformed(bucket, server):
    bucket.put_object("u.txt", b"u", headers=_class("ColdArchive"))
    body = b"<RestoreRequest><Days>2</Days><Unknown/></RestoreRequest>"
    url = bucket.sign_url("POST", "u.txt", 60, params={"restore": ""})
    resp = requests.post(url, data=body, timeout=10)
    assert resp.status_code == 400 and b"<Code>MalformedXML</Code>" in resp.content


def test_storage_class_on_multipart_copy_and_append(bucket):
    upload = bucket.init_multipart_upload("mp.bin", headers=_class("IA")).upload_id
    part = bucket.upload_part("mp.bin", upload, 1, b"part")
    bucket.complete_multipart_upload("mp.bin", upload,
                                     [oss2.models.PartInfo(1, part.etag)])
    assert bucket.head_object("mp.bin").headers["x-oss-storage-class"] == "IA"
    # CopyObject sets the class of the copy (changing an object's class, as OSS)
    bucket.copy_object(BUCKET, "mp.bin", "mp.bin", headers=_class("Archive"))
    assert bucket.head_object("mp.bin").headers["x-oss-storage-class"] == "Archive"
    bucket.append_object("ap.log", 0, b"one", headers=_class("Archive"))
    assert bucket.head_object("ap.log").headers["x-oss-storage-class"] == "Archive"
    err = _error(bucket.append_object, "cold.log", 0, b"x", headers=_class("ColdArchive"))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0016-00000503")


def test_restore_seconds_zero_restores_at_once(tmp_path, clock):
    (tmp_path / BUCKET).mkdir()
    srv = serve(tmp_path, "127.0.0.1", 0, "private", (CREDS,), clock=clock,
                restore_seconds=0)
    srv.start()
    try:
        b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                        BUCKET)
        b.put_object("z.txt", b"zero", headers=_class("Archive"))
        assert _restore(b, "z.txt").status == 202
        assert b.get_object("z.txt").read() == b"zero"
    finally:
        srv.stop()


def test_bucket_storage_class_is_the_default_of_its_objects(server):
    auth = oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret)
    cold = oss2.Bucket(auth, server.url, "cold-bucket")
    cold.create_bucket(oss2.BUCKET_ACL_PRIVATE,
                       oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_ARCHIVE))
    cold.put_object("a.txt", b"a")
    assert cold.head_object("a.txt").headers["x-oss-storage-class"] == "Archive"
    assert _error(cold.get_object, "a.txt").code == "InvalidObjectState"
    cold.put_object("b.txt", b"b", headers=_class("IA"))        # the header wins
    assert cold.get_object("b.txt").read() == b"b"
    # creating it again does not change its class (OSS keeps an existing bucket as is)
    cold.create_bucket(oss2.BUCKET_ACL_PRIVATE,
                       oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_STANDARD))
    service = oss2.Service(auth, server.url)
    classes = {b.name: b.storage_class for b in service.list_buckets().buckets}
    assert classes == {"cold-bucket": "Archive", BUCKET: "Standard"}
    bad = oss2.Bucket(auth, server.url, "bad-class-bucket")
    err = _error(bad.create_bucket, oss2.BUCKET_ACL_PRIVATE,
                 oss2.models.BucketCreateConfig("Glacier"))
    assert (err.status, err.code) == (400, "InvalidArgument")
    cold.delete_object("a.txt")
    cold.delete_object("b.txt")
    cold.delete_bucket()
    assert [b.name for b in service.list_buckets().buckets] == [BUCKET]


def test_clean_restored_object(bucket, clock, server):
    """CleanRestoredObject ends the restored period at once; the 409 codes are the ones
    alibabacloud-oss-v2's test_clean_restored_object_client.py expects from OSS."""
    bucket.put_object("c.txt", b"c", headers=_class("ColdArchive"))

    # V4: oss2's V1 leaves cleanRestoredObject unsigned, alibabacloud-oss-v2's (and
    # OSS's) V1 signs it; oss2 has no CleanRestoredObject call of its own
    v4 = oss2.Bucket(oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret)), server.url, BUCKET,
        region="cn-hangzhou")

    def clean():
        url = v4.sign_url("POST", "c.txt", 60, params={"cleanRestoredObject": ""})
        return requests.post(url, timeout=10)

    def answer(resp):
        fields = {e.tag: e.text for e in ET.fromstring(resp.content)}
        return resp.status_code, fields["Code"], fields["Message"], fields.get("EC")

    # Code, Message and EC of OSS's error pages 0016-00000718 and 0016-00000719
    assert answer(clean()) == (409, "ArchiveRestoreFileStale",
                               "The archive file or restore info stale", "0016-00000718")
    _restore(bucket, "c.txt", days=3, tier="Expedited")
    assert answer(clean()) == (409, "ArchiveRestoreNotFinished",
                               "The archive file's restore is not finished.",
                               "0016-00000719")
    clock.advance(60)
    assert bucket.get_object("c.txt").read() == b"c"
    assert clean().status_code == 200
    assert "x-oss-restore" not in bucket.head_object("c.txt").headers
    assert _error(bucket.get_object, "c.txt").code == "InvalidObjectState"


@pytest.mark.parametrize("body,code", [
    (b"<RestoreRequest><Days>" + b"9" * 5000 + b"</Days></RestoreRequest>",
     "InvalidArgument"),
    ("<RestoreRequest><Days>\u00b2</Days></RestoreRequest>".encode("utf-8"),
     "InvalidArgument"),
    (b"<RestoreRequest><Days>-1</Days></RestoreRequest>", "InvalidArgument"),
    (b"\xff\xfe<x", "MalformedXML"),
    (b"<!DOCTYPE x><RestoreRequest/>", "MalformedXML"),
    (b"<Restore><Days>1</Days></Restore>", "MalformedXML"),
    (b"<RestoreRequest><Days>1</Days><JobParameters><Tier/></JobParameters>"
     b"</RestoreRequest>", "InvalidArgument"),
])
def test_hostile_restore_bodies_are_oss_errors(bucket, body, code):
    bucket.put_object("h.txt", b"h", headers=_class("ColdArchive"))
    url = bucket.sign_url("POST", "h.txt", 60, params={"restore": ""})
    resp = requests.post(url, data=body, timeout=10)
    assert resp.status_code == 400 and f"<Code>{code}</Code>".encode() in resp.content
    assert "x-oss-restore" not in bucket.head_object("h.txt").headers   # nothing started


def test_a_restore_record_without_an_expiry_is_no_restore():
    """A sidecar whose restore record lost its ``expiry`` (hand-edited, cut short) leaves
    the object frozen, as if never restored, instead of failing every read."""
    from core.serve.archive import restore_state
    from core.serve.meta import ObjectMeta

    def state(restore):
        return restore_state(ObjectMeta([], '"e"', "0", storage_class="Archive",
                                        restore=restore), 1000.0)

    assert state({"ready": 10}) == "frozen"
    assert state({"ready": 10, "expiry": 1000.0}) == "frozen"       # expired at the second
    assert state({"ready": 10, "expiry": 1000.5}) == "restored"
    assert state({"ready": 1000.5, "expiry": 2000}) == "restoring"
