"""core.style_library: validation, atomic persistence, corrupt-file recovery, import/export."""
from __future__ import annotations

import json
import os
import sys

import pytest
from hypothesis import given, settings, strategies as st
from tests.hypothesis_profiles import examples


from core import storage
from core.errors import OssError
from core.style_library import (LIMIT, ConflictPolicy, StyleLibrary, encode,
                                validate_content)

THUMB = "image/resize,w_100"
SMALL = "image/resize,p_50/quality,q_80"


@pytest.fixture
def lib(tmp_path):
    return StyleLibrary(tmp_path / "cfg" / "styles.json")


def test_missing_file_is_an_empty_library_and_is_not_created(lib):
    assert len(lib) == 0 and lib.load_error is None and lib.writable
    assert not lib.path.exists()


def test_save_get_reload_round_trip(lib):
    lib.save("thumb", THUMB)
    lib.save("small.v2", SMALL)
    again = StyleLibrary(lib.path)
    assert again.as_dict() == {"thumb": THUMB, "small.v2": SMALL}
    assert again.get("thumb") == THUMB
    assert again.names() == ["small.v2", "thumb"]
    # The file has the CLI's --styles shape.
    assert json.loads(lib.path.read_text("utf-8")) == {"thumb": THUMB, "small.v2": SMALL}


def test_file_is_usable_by_cli_styles_option(lib):
    from core.cli.main import _load_styles

    lib.save("thumb", THUMB)
    assert _load_styles(str(lib.path)) == {"thumb": THUMB}


@pytest.mark.parametrize("name", ["", "a" * 64, "with space", "semi;colon", "a/b", "é",
                                  "star*", "q?"])
def test_invalid_names_are_refused_in_oss_wording(lib, name):
    with pytest.raises(OssError) as e:
        lib.save(name, THUMB)
    assert e.value.code == "InvalidArgument"
    assert e.value.message == f"The value: {name} of parameter: stylename is invalid."
    assert not lib.path.exists()


@pytest.mark.parametrize("name", ["a", "A" * 63, "x_y-z.1", "0"])
def test_valid_names(lib, name):
    lib.save(name, THUMB)
    assert name in lib


@pytest.mark.parametrize("content, code", [
    ("", "MissingArgument"),
    ("   ", "MissingArgument"),
    ("image/resize,w_0", "InvalidArgument"),
    ("image/nosuchaction", "InvalidArgument"),
    ("style/thumb", "InvalidArgument"),
    ("video/snapshot,t_0", "InvalidArgument"),
])
def test_invalid_contents_are_refused(lib, content, code):
    with pytest.raises(OssError) as e:
        lib.save("x", content)
    assert e.value.code == code
    assert len(lib) == 0


def test_validate_content_strips():
    assert validate_content("  image/resize,w_100\n") == THUMB


def test_save_without_overwrite_refuses_existing_name(lib):
    lib.save("thumb", THUMB)
    with pytest.raises(OssError):
        lib.save("thumb", SMALL, overwrite=False)
    lib.save("thumb", SMALL)  # default overwrites
    assert lib.get("thumb") == SMALL


def test_rename_and_delete(lib):
    lib.save("a", THUMB)
    lib.save("b", SMALL)
    with pytest.raises(OssError):
        lib.rename("a", "b")
    with pytest.raises(OssError):
        lib.rename("a", "bad name")
    with pytest.raises(OssError) as e:
        lib.rename("nope", "c")
    assert e.value.code == "NoSuchStyle"
    lib.rename("a", "c")
    assert StyleLibrary(lib.path).as_dict() == {"b": SMALL, "c": THUMB}
    lib.delete("b")
    assert StyleLibrary(lib.path).as_dict() == {"c": THUMB}
    with pytest.raises(OssError):
        lib.delete("b")


def test_limit_flags(lib):
    lib.merge({f"s{i}": THUMB for i in range(LIMIT - 1)})
    assert not lib.at_limit
    lib.save("last", THUMB)
    assert lib.at_limit and not lib.over_limit
    lib.save("one-more", THUMB)  # a local library may exceed it; it is a warning only
    assert lib.over_limit


# -- atomicity ---------------------------------------------------------------------------

def _failing_replace(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("action", [
    lambda lib: lib.save("new", SMALL),
    lambda lib: lib.save("thumb", SMALL),
    lambda lib: lib.rename("thumb", "renamed"),
    lambda lib: lib.delete("thumb"),
    lambda lib: lib.merge({"other": SMALL}),
    lambda lib: lib.replace_all({}),
])
def test_failed_save_leaves_old_file_byte_identical_and_memory_unchanged(lib, monkeypatch,
                                                                         action):
    lib.save("thumb", THUMB)
    before_bytes = lib.path.read_bytes()
    before = lib.as_dict()
    monkeypatch.setattr(storage.os, "replace", _failing_replace)
    with pytest.raises(OSError):
        action(lib)
    monkeypatch.undo()
    assert lib.path.read_bytes() == before_bytes
    assert lib.as_dict() == before
    # no temporary file left behind
    assert [p.name for p in lib.path.parent.iterdir()] == ["styles.json"]


def test_failed_write_midway_leaves_old_file(lib, monkeypatch):
    lib.save("thumb", THUMB)
    before_bytes = lib.path.read_bytes()

    def crash(fd):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(storage.os, "fsync", crash)
    with pytest.raises(OSError):
        lib.save("new", SMALL)
    monkeypatch.undo()
    assert lib.path.read_bytes() == before_bytes


# -- corrupt and unreadable files --------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"{not json",
    b"[1, 2]",
    b'{"thumb": 5}',
    b'{"bad name": "image/resize,w_100"}',
    b"\xff\xfe\x00garbage",
])
def test_corrupt_file_is_preserved_and_reported(tmp_path, raw):
    path = tmp_path / "styles.json"
    path.write_bytes(raw)
    lib = StyleLibrary(path)
    assert len(lib) == 0
    assert lib.load_error and "corrupt-1" in lib.load_error
    assert lib.recovered_to == tmp_path / "styles.json.corrupt-1"
    assert lib.recovered_to.read_bytes() == raw
    lib.save("thumb", THUMB)   # a fresh library; the old bytes are still in corrupt-1
    assert lib.recovered_to.read_bytes() == raw


def test_corrupt_backups_are_numbered(tmp_path):
    path = tmp_path / "styles.json"
    for n in (1, 2):
        path.write_bytes(b"oops %d" % n)
        lib = StyleLibrary(path)
        assert lib.recovered_to.name == f"styles.json.corrupt-{n}"
    assert (tmp_path / "styles.json.corrupt-1").read_bytes() == b"oops 1"
    assert (tmp_path / "styles.json.corrupt-2").read_bytes() == b"oops 2"


def test_empty_file_is_an_empty_library(tmp_path):
    path = tmp_path / "styles.json"
    path.write_bytes(b"")
    lib = StyleLibrary(path)
    assert lib.load_error is None and len(lib) == 0


def test_unparsable_content_is_kept_and_flagged(tmp_path):
    path = tmp_path / "styles.json"
    path.write_text(json.dumps({"future": "image/resize,w_100|sys/saveas,o_eA",
                                "thumb": THUMB}))
    lib = StyleLibrary(path)
    assert lib.load_error is None
    assert [p.name for p in lib.problems] == ["future"]
    lib.save("other", SMALL)
    assert StyleLibrary(path).get("future") == "image/resize,w_100|sys/saveas,o_eA"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="needs POSIX permissions as a normal user")
def test_unreadable_file_blocks_writes(tmp_path):
    path = tmp_path / "styles.json"
    path.write_text(json.dumps({"thumb": THUMB}))
    path.chmod(0)
    try:
        lib = StyleLibrary(path)
        assert lib.load_error and not lib.writable
        with pytest.raises(OssError):
            lib.save("x", THUMB)
    finally:
        path.chmod(0o600)
    assert json.loads(path.read_text()) == {"thumb": THUMB}


def test_unreadable_file_blocks_writes_simulated(tmp_path, monkeypatch):
    path = tmp_path / "styles.json"
    path.write_text(json.dumps({"thumb": THUMB}))
    before = path.read_bytes()
    real = type(path).read_bytes

    def denied(self):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(type(path), "read_bytes", denied)
    lib = StyleLibrary(path)
    monkeypatch.undo()
    assert lib.load_error and not lib.writable and lib.recovered_to is None
    with pytest.raises(OssError):
        lib.save("x", THUMB)
    assert path.read_bytes() == before


# -- import / export ---------------------------------------------------------------------

def test_export_import_round_trip(lib, tmp_path):
    lib.save("thumb", THUMB)
    lib.save("small", SMALL)
    out = tmp_path / "export.json"
    lib.export_file(out)
    other = StyleLibrary(tmp_path / "other.json")
    report = other.import_file(out)
    assert sorted(report.added) == ["small", "thumb"]
    assert other.as_dict() == lib.as_dict()
    # exporting a subset
    lib.export_file(out, ["thumb"])
    assert json.loads(out.read_text("utf-8")) == {"thumb": THUMB}


def test_import_reports_conflicts_and_invalid_entries(lib, tmp_path):
    lib.save("thumb", THUMB)
    lib.save("same", SMALL)
    src = tmp_path / "in.json"
    src.write_text(json.dumps({
        "thumb": SMALL,                 # conflict
        "same": SMALL,                  # unchanged
        "new": "image/rotate,90",       # added
        "bad name": THUMB,              # invalid name
        "bad-content": "image/resize,w_0",
        "not-a-string": 42,
        "nested": "style/thumb",
    }))
    report = lib.import_file(src)
    assert report.added == ("new",)
    assert report.unchanged == ("same",)
    assert [(c.name, c.existing, c.incoming) for c in report.conflicts] == [
        ("thumb", THUMB, SMALL)]
    assert sorted(e.name for e in report.invalid) == ["bad name", "bad-content", "nested",
                                                      "not-a-string"]
    assert lib.get("thumb") == THUMB  # default policy keeps the library's version
    assert "1 added" in report.summary() and "bad-content" in report.summary()

    report = lib.import_file(src, ConflictPolicy.REPLACE)
    assert report.replaced == ("thumb",) and lib.get("thumb") == SMALL


@pytest.mark.parametrize("raw", ["not json", "[]", '"x"'])
def test_import_of_a_non_object_raises_and_changes_nothing(lib, tmp_path, raw):
    lib.save("thumb", THUMB)
    before = lib.path.read_bytes()
    src = tmp_path / "in.json"
    src.write_text(raw)
    with pytest.raises(OssError):
        lib.import_file(src)
    assert lib.path.read_bytes() == before


def test_import_without_changes_does_not_write(lib, tmp_path, monkeypatch):
    lib.save("thumb", THUMB)
    monkeypatch.setattr(storage.os, "replace", _failing_replace)
    assert not lib.merge({"thumb": THUMB}).changed  # would raise if it wrote


def test_encode_is_stable_and_readable():
    assert encode({"b": "image/x", "a": "image/é"}) == (
        '{\n  "a": "image/é",\n  "b": "image/x"\n}\n')


def test_core_style_library_does_not_import_qt():
    import subprocess

    code = ("import sys; import core.style_library; "
            "assert not any(m.startswith('PySide6') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True,
                   cwd=os.path.dirname(os.path.dirname(__file__)))


names = st.text(alphabet="abcXYZ019_-.", min_size=1, max_size=63)


@settings(max_examples=examples(50), deadline=None)
@given(st.dictionaries(names, st.sampled_from([THUMB, SMALL, "image/rotate,90"]),
                       max_size=8))
def test_property_merge_then_reload_round_trips(tmp_path_factory, styles):
    path = tmp_path_factory.mktemp("lib") / "styles.json"
    lib = StyleLibrary(path)
    report = lib.merge(styles)
    assert sorted(report.added) == sorted(styles)
    assert StyleLibrary(path).as_dict() == styles
