"""The bundled OSS watermark fonts: mapping, licences, glyph coverage, CJK rendering."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from core import fonts
from tests.helpers import mappings_of

# Names and their URL-safe base64 from the OSS font table (spec §15.3).
OSS_FONTS_B64 = {
    "wqy-zenhei": "d3F5LXplbmhlaQ",
    "wqy-microhei": "d3F5LW1pY3JvaGVp",
    "fangzhengshusong": "ZmFuZ3poZW5nc2h1c29uZw",
    "fangzhengkaiti": "ZmFuZ3poZW5na2FpdGk",
    "fangzhengheiti": "ZmFuZ3poZW5naGVpdGk",
    "fangzhengfangsong": "ZmFuZ3poZW5nZmFuZ3Nvbmc",
    "droidsansfallback": "ZHJvaWRzYW5zZmFsbGJhY2s",
}
PROPRIETARY = {"fangzhengshusong", "fangzhengkaiti", "fangzhengheiti", "fangzhengfangsong"}


def test_the_seven_oss_names_are_mapped():
    assert set(fonts.OSS_FONT_NAMES) == set(OSS_FONTS_B64)
    assert fonts.DEFAULT_FONT == "wqy-zenhei"
    for name, b64 in OSS_FONTS_B64.items():
        assert base64.urlsafe_b64encode(name.encode()).decode().rstrip("=") == b64


@pytest.mark.parametrize("name", sorted(OSS_FONTS_B64))
def test_each_font_file_ships_with_its_licence(name):
    info = fonts.font_info(name)
    assert info.path.is_file(), info.path
    folder = info.path.parent
    assert (folder / "copyright").is_file()
    licences = [p for p in folder.iterdir() if p.suffix in (".txt", ".TXT")]
    assert licences, f"no licence text beside {info.file}"
    readme = (fonts.font_dir() / "README.md").read_text(encoding="utf-8")
    assert info.file in readme


def test_proprietary_fonts_are_reported_as_substituted():
    for info in fonts.available_fonts():
        if info.name in PROPRIETARY:
            assert info.substitute
            note = fonts.substitution_note(info.name)
            assert info.name in note and info.family in note and info.oss_family in note
            assert info.family != info.oss_family
        else:
            assert not info.substitute
            assert fonts.substitution_note(info.name) is None
            assert info.family == info.oss_family


def test_unknown_font_name():
    with pytest.raises(KeyError):
        fonts.font_info("simsun")


def test_shipped_fonts_stay_lean():
    total = sum(p.stat().st_size for p in fonts.font_dir().rglob("*") if p.is_file())
    assert total < 60 * 1024 * 1024


def test_font_dir_can_be_overridden(monkeypatch, tmp_path):
    monkeypatch.setenv(fonts.FONT_DIR_ENV, str(tmp_path))
    assert fonts.font_dir() == tmp_path
    assert fonts.font_info("wqy-zenhei").path == tmp_path / "wqy-zenhei/wqy-zenhei.ttc"


def test_fonts_are_cached():
    assert fonts.load_font("wqy-zenhei", 40) is fonts.load_font("wqy-zenhei", 40)
    assert fonts.load_font("wqy-zenhei", 40) is not fonts.load_font("wqy-zenhei", 41)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_open_faces_are_bounded():
    """Issue 17: every cached face maps its font file anew and faults in ~3 MB of a CJK
    font when it draws; the viewer's RSS grew with every watermark size tried (64 faces
    held 220 MB). A few faces (4, ~14 MB at worst) stay open however many sizes are used."""
    path = fonts.font_info("wqy-zenhei").path
    fonts.release_faces()
    for size in range(20, 60):
        face = fonts.load_font("wqy-zenhei", size)
        ImageDraw.Draw(Image.new("L", (8, 8))).text((0, 0), "图片服务", font=face)
    del face
    assert 1 <= mappings_of(path) <= 4
    assert fonts.open_faces() == fonts.FONT_FACES <= 4


# -- coverage ------------------------------------------------------------------------------

def gb2312_hanzi() -> list[str]:
    """The 6,763 hanzi of GB2312 (rows 16-87), i.e. everyday simplified Chinese."""
    out = []
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                out.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def test_gb2312_has_6763_hanzi():
    assert len(gb2312_hanzi()) == 6763


@pytest.mark.parametrize("name", sorted(OSS_FONTS_B64))
def test_every_simplified_chinese_character_has_a_glyph(name):
    covered = fonts.glyph_coverage(name) | fonts.glyph_coverage(fonts.FALLBACK_FONT)
    missing = [c for c in gb2312_hanzi() if ord(c) not in covered]
    assert missing == []


def test_cmap_reader_known_facts():
    # Droid Sans Fallback is CJK only: no Latin letters or digits.
    assert not fonts.has_glyph("droidsansfallback", "A")
    assert not fonts.has_glyph("droidsansfallback", "1")
    assert fonts.has_glyph("droidsansfallback", "图")
    assert fonts.has_glyph("wqy-zenhei", "A") and fonts.has_glyph("wqy-zenhei", "图")
    # Private-use code points are mapped by none of them.
    for name in fonts.OSS_FONT_NAMES:
        assert not fonts.has_glyph(name, "\ue000")
    # Counts of mapped code points, as listed by fontTools' getBestCmap for these files.
    assert len(fonts.glyph_coverage("wqy-zenhei")) == 42285
    assert len(fonts.glyph_coverage("fangzhengkaiti")) == 7574


def test_glyph_coverage_is_the_cmap_kept_small():
    """The coverage of each font drawn with stays cached for the session (issue 17's
    soak): it holds exactly the cmap's code points, in a bitmap rather than a frozenset of
    ints (3.3 MB for Zen Hei)."""
    import tracemalloc

    info = fonts.font_info("wqy-zenhei")
    cmap = fonts.read_cmap(info.path.read_bytes(), info.index)
    fonts._coverage.cache_clear()
    tracemalloc.start()
    try:
        coverage = fonts.glyph_coverage("wqy-zenhei")
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept < 64 << 10                        # the bitmap: 24 KB
    assert len(coverage) == len(cmap) == 42285
    assert set(coverage) == cmap
    assert max(cmap) + 1 not in coverage and -1 not in coverage and "A" not in coverage
    assert ord("图") in coverage and 0xE000 not in coverage
    both = coverage | fonts.glyph_coverage(fonts.FALLBACK_FONT)
    assert isinstance(both, frozenset) and len(both) >= len(cmap)


def test_cmap_reader_rejects_bad_face_index():
    data = fonts.font_info("wqy-zenhei").path.read_bytes()[:4096]
    with pytest.raises(ValueError):
        fonts.read_cmap(data, 7)


def test_font_runs_fall_back_for_missing_glyphs():
    runs = fonts.font_runs("Hello 图片服务!", "droidsansfallback")
    assert "".join(r for r, _ in runs) == "Hello 图片服务!"
    assert runs == (("Hello", "wqy-zenhei"), (" 图片服务", "droidsansfallback"),
                    ("!", "wqy-zenhei"))
    assert fonts.font_runs("Hello 图片服务!", "fangzhengkaiti") == (
        ("Hello 图片服务!", "fangzhengkaiti"),)
    # Covered by nobody: stays in the requested font (it will show its box).
    assert fonts.font_runs("\ue000", "fangzhengkaiti") == (("\ue000", "fangzhengkaiti"),)


# -- rendering -----------------------------------------------------------------------------

def render(char: str, name: str, size: int = 48) -> Image.Image:
    font = fonts.load_font(name, size)
    im = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(im).text((size // 2, size // 2), char, font=font, fill=255)
    return im


@pytest.mark.parametrize("name", sorted(OSS_FONTS_B64))
def test_chinese_renders_real_glyphs_not_the_missing_glyph_box(name):
    missing = render("\ue000", name)  # unmapped: FreeType draws glyph 0 (box or blank)
    glyphs = [render(c, name) for c in "图片服务水印"]
    for c, im in zip("图片服务水印", glyphs):
        assert im.getbbox() is not None, f"{name}: {c} rendered nothing"
        assert ImageChops.difference(im, missing).getbbox() is not None, \
            f"{name}: {c} rendered as the missing-glyph box"
    # Different characters give different glyphs (not one repeated placeholder).
    assert len({im.tobytes() for im in glyphs}) == len(glyphs)


def test_substitutes_draw_different_faces():
    kai = render("永", "fangzhengkaiti")
    song = render("永", "fangzhengshusong")
    hei = render("永", "fangzhengheiti")
    assert ImageChops.difference(kai, song).getbbox() is not None
    assert ImageChops.difference(kai, hei).getbbox() is not None
    assert ImageChops.difference(song, hei).getbbox() is not None


def test_fonts_resolve_without_system_fonts():
    # The bundled folder is found relative to the package, not through fontconfig.
    root = Path(fonts.__file__).resolve().parent.parent
    assert fonts.font_dir() == root / "resources" / "fonts"
