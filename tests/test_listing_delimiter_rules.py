"""ListObjects' grouping by delimiter where the delimiter is the first character after the
prefix, with alibabacloud-oss-v2 as the client (its models name every element).

Expected values: OSS "ListObjects (GetBucket)": a common prefix is the part of a key from
its start up to and including the first delimiter after ``prefix``; keys sharing it are
returned once in CommonPrefixes and not in Contents; a common prefix counts against
max-keys like a key and is the NextMarker of a page it ends. The delimiter may be any
character, not only ``/``.
"""
from __future__ import annotations

import alibabacloud_oss_v2 as osv2
import pytest

from tests.documented_env import B, serve_documented


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    for c, _, _ in serve_documented(tmp_path_factory.mktemp("delim")):
        yield c


def listing(client, **kw):
    r = client.list_objects(osv2.ListObjectsRequest(bucket=B, **kw))
    return ([o.key for o in r.contents or []], [p.prefix for p in r.common_prefixes or []],
            r)


def test_a_delimiter_at_the_start_of_keys_groups_them(client):
    # the documented bucket holds a.txt, dir/b.txt, dir/sub/c.txt, "e f+g.txt", z.bin
    keys, prefixes, _ = listing(client, delimiter="d")
    assert keys == ["a.txt", "e f+g.txt", "z.bin"]
    assert prefixes == ["d"]
    keys, prefixes, _ = listing(client, delimiter="a")
    assert keys == ["dir/b.txt", "dir/sub/c.txt", "e f+g.txt", "z.bin"]
    assert prefixes == ["a"]


def test_a_delimiter_right_after_the_prefix_groups_them(client):
    keys, prefixes, _ = listing(client, prefix="dir", delimiter="/")
    assert (keys, prefixes) == ([], ["dir/"])
    keys, prefixes, _ = listing(client, prefix="dir/", delimiter="s")
    assert (keys, prefixes) == (["dir/b.txt"], ["dir/s"])


def test_a_leading_common_prefix_ends_a_page_as_its_next_marker(client):
    keys, prefixes, r = listing(client, delimiter="d", max_keys=2)
    assert (keys, prefixes) == (["a.txt"], ["d"])
    assert r.is_truncated is True and r.next_marker == "d"
    keys, prefixes, r = listing(client, delimiter="d", marker="d")
    assert (keys, prefixes) == (["e f+g.txt", "z.bin"], [])
    assert r.is_truncated is False
