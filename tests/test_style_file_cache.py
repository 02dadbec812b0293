"""The style store reads ``ROOT/.oss-styles/<bucket>.json`` once while it is unchanged.

Every processed GET that names a style (``?x-oss-process=style/<name>`` or a style
separator) looks the style up, so the file is parsed again only when it changed: its
inode, modification time or size differ (a save, or a file replaced by hand), or it is
gone. What is served is always the file's current content. A file that cannot be read is
an InternalError whose log line names the file, and is left as it is. The file is UTF-8
text with non-ASCII characters as they are (it may be read and edited by hand).
"""
from __future__ import annotations

import json
import logging
import os

import pytest

from core.errors import OssError
from core.serve.styles import STYLE_FILE_FORMAT, StyleStore

B = "cachebkt"
T = 1_700_000_000.0


@pytest.fixture
def store(tmp_path, monkeypatch):
    s = StyleStore(tmp_path)
    s.parses = 0
    decode = StyleStore._decode

    def counting(data, fallback_time):
        s.parses += 1
        return decode(data, fallback_time)

    monkeypatch.setattr(StyleStore, "_decode", staticmethod(counting))
    return s


def test_an_unchanged_file_is_parsed_once(store):
    store.put(B, "small", "image/resize,w_8", "image", T)
    store.parses = 0
    for _ in range(3):
        assert store.content(B, "small") == "image/resize,w_8"
    assert store.names(B) == frozenset({"small"})
    assert [e.name for e in store.list(B)] == ["small"]
    assert store.parses == 1


def test_a_saved_or_replaced_file_is_read_again(store, tmp_path):
    store.put(B, "small", "image/resize,w_8", "image", T)
    assert store.content(B, "small") == "image/resize,w_8"
    store.put(B, "small", "image/resize,w_9", "image", T + 1)
    assert store.content(B, "small") == "image/resize,w_9"
    path = tmp_path / ".oss-styles" / f"{B}.json"
    # replaced by hand with a file of the same size and time: another inode
    doc = {"format": STYLE_FILE_FORMAT,
           "styles": {"small": {"Content": "image/resize,w_7"}}}
    st = path.stat()
    other = path.with_name("other.json")
    other.write_text(json.dumps(doc).ljust(st.st_size), "utf-8")
    assert other.stat().st_size == st.st_size
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    assert store.content(B, "small") == "image/resize,w_7"


def test_a_removed_file_has_no_styles(store, tmp_path):
    store.put(B, "small", "image/resize,w_8", "image", T)
    assert store.content(B, "small") == "image/resize,w_8"
    (tmp_path / ".oss-styles" / f"{B}.json").unlink()
    assert store.get(B, "small") is None
    assert store.names(B) == frozenset()


def test_an_unreadable_file_is_logged_by_its_path_and_kept(store, tmp_path, caplog):
    folder = tmp_path / ".oss-styles"
    folder.mkdir()
    path = folder / f"{B}.json"
    path.write_text("{not json", "utf-8")
    with caplog.at_level(logging.ERROR), pytest.raises(OssError) as e:
        store.get(B, "small")
    assert (e.value.code, e.value.status) == ("InternalError", 500)
    assert any(str(path) in r.getMessage() for r in caplog.records)   # where to look
    assert path.read_text("utf-8") == "{not json"


def test_the_saved_file_is_utf8_text_a_person_can_edit(store, tmp_path):
    store.put(B, "wm", "image/resize,w_8", "\u56fe\u7247", T)      # category "图片"
    raw = (tmp_path / ".oss-styles" / f"{B}.json").read_bytes()
    assert "\u56fe\u7247".encode("utf-8") in raw and b"\\u" not in raw
    assert json.loads(raw.decode("utf-8"))["styles"]["wm"]["Category"] == "\u56fe\u7247"
    assert store.get(B, "wm").category == "\u56fe\u7247"


def test_delete_says_whether_a_style_was_removed(store, tmp_path):
    store.put(B, "small", "image/resize,w_8", "image", T)
    store.put(B, "big", "image/resize,w_80", "image", T)
    assert store.delete(B, "small") is True
    assert store.get(B, "small") is None and store.content(B, "big") == "image/resize,w_80"
    assert store.delete(B, "small") is False            # gone already
    assert store.delete(B, "never") is False
    assert [e.name for e in StyleStore(tmp_path).list(B)] == ["big"]   # saved
