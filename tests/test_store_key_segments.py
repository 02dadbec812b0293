"""The local store refuses keys with a '..' (or '.', or empty) segment itself, whatever the
layers above it check: written, InvalidObjectName; read, NoSuchKey (the store's contract,
core.serve.store.check_key_shape). The fresh seed-2911 mutation sample found the '..' case
covered only by the service's own traversal checks."""
from __future__ import annotations

import pytest

from core.errors import OssError
from core.serve.store import check_key_shape


@pytest.mark.parametrize("key", ["a/../b", "..", "a/..", "a/./b", "a//b"])
def test_dot_dot_dot_and_empty_segments_are_refused(key):
    with pytest.raises(OssError) as err:
        check_key_shape(key, for_write=True)
    assert err.value.code == "InvalidObjectName"
    with pytest.raises(OssError) as err:
        check_key_shape(key, for_write=False)
    assert err.value.code == "NoSuchKey"


@pytest.mark.parametrize("key", ["a/b", "a..b/c", "...", "a/"])
def test_dots_inside_a_segment_and_a_folder_key_are_kept(key):
    check_key_shape(key, for_write=True)
