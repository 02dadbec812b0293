"""A listing goes on past an entry that vanishes under it.

The local store lists a bucket by walking its folders; another process (or a DELETE in
flight) can remove a file between the folder read and the entry's stat, which then fails
with an OSError. That entry is simply not listed; every other object of the folder still is
(nothing the user has goes missing from ListObjects: OSS lists every object of the bucket,
"ListObjects (GetBucket)"). The vanishing entry is made deterministic here by handing the
store's walk a folder read whose first entry fails to stat.
"""
from __future__ import annotations

import os

from tests.service_env import handle, one_bucket_service, xml_document

B = "vanishing"
KEYS = ["a.txt", "b.txt", "dir/c.txt", "dir/d.txt", "z.txt"]


class _Vanished:
    """A directory entry whose file was removed after the folder was read."""

    def __init__(self, folder: str) -> None:
        self.name = "gone.txt"
        self.path = os.path.join(folder, self.name)

    def _gone(self, *args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", self.path)

    is_symlink = is_dir = is_file = stat = _gone


class _FolderRead:
    def __init__(self, real) -> None:
        self._real = real

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._real.close()

    def __iter__(self):
        yield _Vanished(self._real_path)
        yield from self._real


def test_objects_after_a_vanished_entry_are_still_listed(tmp_path, monkeypatch):
    svc = one_bucket_service(tmp_path, B)
    for key in KEYS:
        assert handle(svc, "PUT", B, key, body=b"x").status == 200
    real_scandir = os.scandir

    def scandir(path):
        read = _FolderRead(real_scandir(path))
        read._real_path = os.fspath(path)
        return read

    monkeypatch.setattr(os, "scandir", scandir)
    root = xml_document(handle(svc, "GET", B), "ListBucketResult")
    assert [c.findtext("Key") for c in root.findall("Contents")] == KEYS
    root = xml_document(handle(svc, "GET", B, None, {"list-type": "2", "prefix": "dir/"}),
                        "ListBucketResult")
    monkeypatch.undo()
    assert [c.findtext("Key") for c in root.findall("Contents")] == ["dir/c.txt", "dir/d.txt"]
