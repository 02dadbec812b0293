"""An object file the server may not read (a file put into ROOT by hand with a mode the
server's user lacks) is refused as OSS refuses a read it does not allow, by every call that
reads it, and stays as it is; with oss2 as the client of a private ``oss-img serve``.

Expected values: OSS's "AccessDenied" error is HTTP 403 (OSS error-code reference, 403
AccessDenied), with the code in the XML body's ``Code``. The test opens such a file the way
a non-root server sees it: ``open(2)`` fails with EACCES (the suite may run as root, who
may read anything, so the refusal is made by wrapping ``os.open`` for that one path).
"""
from __future__ import annotations

import errno
import os

import oss2
import pytest

from core.oss.credentials import Credentials
from tests.helpers import running_server, solid

CREDS = Credentials("LTAI5tUnreadableObj01", "Unreadable+Object/Secret=1")
BUCKET = "unreadable"
LOCKED = "locked/photo.png"
PNG = solid(30, 20)


@pytest.fixture
def bucket(tmp_path, monkeypatch):
    (tmp_path / BUCKET / "locked").mkdir(parents=True)
    locked = tmp_path / BUCKET / "locked" / "photo.png"
    locked.write_bytes(PNG)
    real_open = os.open

    def no_read(path, flags, *args, **kwargs):
        if os.path.realpath(path) == str(locked.resolve()):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_read)
    with running_server(tmp_path, "private", (CREDS,)) as srv:
        yield oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                          BUCKET)
    assert locked.read_bytes() == PNG          # nothing the user has is lost


def access_denied(call) -> None:
    with pytest.raises(oss2.exceptions.OssError) as info:
        call()
    assert (info.value.status, info.value.code) == (403, "AccessDenied")


def test_get_of_an_unreadable_object_is_access_denied(bucket):
    access_denied(lambda: bucket.get_object(LOCKED))


def test_a_processed_get_of_an_unreadable_object_is_access_denied(bucket):
    access_denied(lambda: bucket.get_object(LOCKED, process="image/resize,w_10"))


def test_copy_from_an_unreadable_object_is_access_denied(bucket):
    access_denied(lambda: bucket.copy_object(BUCKET, LOCKED, "copy.png"))
    assert not bucket.object_exists("copy.png")


def test_object_acl_of_an_unreadable_object_is_access_denied(bucket):
    access_denied(lambda: bucket.get_object_acl(LOCKED))
    access_denied(lambda: bucket.put_object_acl(LOCKED, oss2.OBJECT_ACL_PUBLIC_READ))


def test_saveas_from_an_unreadable_object_is_access_denied(bucket):
    access_denied(lambda: bucket.process_object(LOCKED, "image/resize,w_10|sys/saveas,o_"
                                                "b3V0LnBuZw=="))    # o_ "out.png"
    assert not bucket.object_exists("out.png")


def test_append_to_an_unreadable_object_is_access_denied(bucket):
    access_denied(lambda: bucket.append_object(LOCKED, len(PNG), b"more"))


def test_other_objects_are_read_as_usual(bucket):
    bucket.put_object("open.txt", b"readable")
    assert bucket.get_object("open.txt").read() == b"readable"
