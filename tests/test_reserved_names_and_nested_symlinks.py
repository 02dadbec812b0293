"""Two things the local store owes the user at any depth of the key:

* a key with a segment the store keeps for itself (``.oss-tmp-*``: in-flight writes, removed
  when the store starts; ``.oss-folder-object``: a folder object's file) is never stored,
  in the top folder or any below it: a write is InvalidObjectName (HTTP 400), a read is
  NoSuchKey (HTTP 404), as the store documents (core/serve/store.py, core.serve.config) --
  storing one would lose it at the next start;
* PutSymlink under folders that do not exist yet works as at the top (OSS has no folders:
  "PutSymlink": 200, no body; "GetSymlink": the target in x-oss-symlink-target, URL-encoded,
  ``/`` included; a read through a dangling link is NoSuchKey, through a live one the
  target's bytes; x-oss-object-type ``Symlink`` in HeadObject's documented values).
"""
from __future__ import annotations

import pytest

from core.serve.config import FOLDER_OBJECT, TMP_PREFIX
from tests.service_env import error_fields, handle, one_bucket_service

B = "reserved"


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, B)


@pytest.mark.parametrize("key", [f"a/{TMP_PREFIX}x", f"a/b/{TMP_PREFIX}", f"a/{TMP_PREFIX}x/y",
                                 f"{TMP_PREFIX}1/z", f"a/{FOLDER_OBJECT}",
                                 f"a/{FOLDER_OBJECT}/b"])
def test_a_reserved_segment_anywhere_is_refused_and_never_stored(svc, tmp_path, key):
    error_fields(handle(svc, "PUT", B, key, body=b"data"), 400, "InvalidObjectName")
    error_fields(handle(svc, "GET", B, key), 404, "NoSuchKey")
    assert sorted(p.name for p in (tmp_path / B).rglob("*") if p.is_file()) == []


@pytest.mark.parametrize("key", [f"a/b{TMP_PREFIX}x", f"a/x{FOLDER_OBJECT}"])
def test_the_reserved_text_inside_a_segment_is_an_ordinary_key(svc, key):
    assert handle(svc, "PUT", B, key, body=b"kept").status == 200
    assert handle(svc, "GET", B, key).body == b"kept"


def test_a_symlink_under_new_folders_dangles_then_reads_its_target(svc):
    put = handle(svc, "PUT", B, "x/y/z/link", {"symlink": ""},
                 headers={"x-oss-symlink-target": "t/a b.txt"})
    assert (put.status, put.body) == (200, b"")
    got = handle(svc, "GET", B, "x/y/z/link", {"symlink": ""})
    assert got.status == 200 and got.headers["x-oss-symlink-target"] == "t%2Fa%20b.txt"
    error_fields(handle(svc, "GET", B, "x/y/z/link"), 404, "NoSuchKey")
    assert handle(svc, "PUT", B, "t/a b.txt", body=b"target bytes").status == 200
    read = handle(svc, "GET", B, "x/y/z/link")
    assert (read.status, read.body) == (200, b"target bytes")


def test_a_symlink_under_new_folders_to_an_existing_target(svc):
    assert handle(svc, "PUT", B, "t.txt", body=b"tt").status == 200
    put = handle(svc, "PUT", B, "deep/er/link", {"symlink": ""},
                 headers={"x-oss-symlink-target": "t.txt"})
    assert put.status == 200
    head = handle(svc, "HEAD", B, "deep/er/link")
    assert head.status == 200 and head.headers["x-oss-object-type"] == "Symlink"
    assert handle(svc, "GET", B, "deep/er/link").body == b"tt"
