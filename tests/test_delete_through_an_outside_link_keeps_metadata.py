"""A DELETE of a key whose folder was swapped (by hand) for a link leading out of the bucket
touches nothing: the key is not an object now (204, as OSS answers a missing key), and
when the folder comes back its object keeps its metadata (x-oss-meta-*, "PutObject"
user metadata returned by HeadObject): nothing the user has is lost.
"""
from __future__ import annotations

import os

from tests.service_env import handle, one_bucket_service

B = "outside-link"


def test_delete_through_a_link_outside_the_bucket_keeps_the_objects_metadata(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    assert handle(svc, "PUT", B, "d/x.txt", body=b"kept",
                  headers={"x-oss-meta-owner": "alice"}).status == 200
    folder, aside = tmp_path / B / "d", tmp_path / "aside"
    os.rename(folder, aside)                      # keeps the file's inode and times
    os.symlink(aside, folder)                     # d/ now leads out of the bucket
    assert handle(svc, "HEAD", B, "d/x.txt").status == 404
    assert handle(svc, "DELETE", B, "d/x.txt").status == 204
    assert (aside / "x.txt").read_bytes() == b"kept"
    os.unlink(folder)
    os.rename(aside, folder)
    head = handle(svc, "HEAD", B, "d/x.txt")
    assert head.status == 200
    assert head.headers["x-oss-meta-owner"] == "alice"
