"""core.inspect: image/info and average-hue (the JPEG quality estimate: test_jpeg_quality_estimate.py).

Golden values come from the OSS documentation and SDK tests (vectors 1, 12, 13, 14 of
shared/spec/oss-img-vectors.md); the rest are properties, not snapshots.
"""
from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hypothesis_profiles import examples

from PIL import ExifTags, Image, TiffImagePlugin
from PIL.TiffImagePlugin import IFDRational

from core.errors import OssError
from core.exif_text import _EXIF_TAGS, _GPS_TAGS, _IMAGE_TAGS, _IOP_TAGS
from core.inspect import (
    PILLOW_TO_EXIV2,
    average_hue,
    average_hue_json,
    image_info,
    info_json,
    print_degrees,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "example.jpg"


@pytest.fixture(scope="module")
def example_bytes() -> bytes:
    return EXAMPLE.read_bytes()


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _values(info: dict) -> dict[str, str]:
    return {k: v["value"] for k, v in info.items()}


# --- helpers that build EXIF the way cameras/viewers write it ----------------------------

def _with_thumbnail(exif: Image.Exif, thumb: bytes) -> bytes:
    """``exif.tobytes()`` plus an IFD1 describing a JPEG thumbnail (Pillow writes no IFD1)."""
    tiff = bytearray(exif.tobytes()[6:])
    e = "<" if tiff[:2] == b"II" else ">"
    if len(tiff) % 2:
        tiff += b"\0"
    ifd0 = struct.unpack_from(e + "I", tiff, 4)[0]
    n = struct.unpack_from(e + "H", tiff, ifd0)[0]
    start = len(tiff)

    def ifd1(thumb_offset: int) -> bytes:
        d = TiffImagePlugin.ImageFileDirectory_v2(ifh=bytes(tiff[:8]))
        d[259] = 6                       # Compression: JPEG (old-style)
        d[282] = IFDRational(96, 1)
        d[283] = IFDRational(96, 1)
        d[296] = 2
        d[513] = thumb_offset            # JPEGInterchangeFormat
        d[514] = len(thumb)              # JPEGInterchangeFormatLength
        return d.tobytes(start)

    size = len(ifd1(0))
    block = ifd1(start + size)
    struct.pack_into(e + "I", tiff, ifd0 + 2 + 12 * n, start)
    return b"Exif\0\0" + bytes(tiff) + block + thumb


def _f_jpg() -> bytes:
    """A stand-in for the doc demo f.jpg of vector 12 (424x333, Orientation 7, written
    by Windows Photo Viewer, whose Exif IFD holds only its 0xea1c padding tag)."""
    exif = Image.Exif()
    exif[0x0112] = 7
    exif[0x011a] = IFDRational(96, 1)
    exif[0x011b] = IFDRational(96, 1)
    exif[0x0128] = 2
    exif[0x0131] = "Microsoft Windows Photo Viewer 6.1.7600.16385"
    exif[0x0132] = "2015:02:11 15:38:27"
    exif[0xea1c] = b"\x1c\xea" + b"\0" * 30         # padding, no exiv2 name
    photo = exif.get_ifd(0x8769)
    photo[0xea1c] = b"\x1c\xea" + b"\0" * 30
    gps = exif.get_ifd(0x8825)
    gps[0x00] = b"\x02\x02\x00\x00"
    gps[0x01] = "N"
    gps[0x02] = (IFDRational(0, 1), IFDRational(0, 1), IFDRational(0, 1))
    gps[0x03] = "E"
    gps[0x04] = (IFDRational(0, 1), IFDRational(0, 1), IFDRational(0, 1))
    gps[0x12] = "WGS-84"
    thumb = _save(Image.new("RGB", (160, 126), (90, 120, 60)), "JPEG", quality=60)
    im = Image.new("RGB", (424, 333), (120, 90, 60))
    return _save(im, "JPEG", quality=85, exif=_with_thumbnail(exif, thumb))


# --- image_info: published vectors ---------------------------------------------------------

def test_info_example_jpg_vectors_1_and_14(example_bytes):
    assert _values(image_info(example_bytes)) == {
        "FileSize": "21839",
        "Format": "jpg",
        "FrameCount": "1",
        "ImageHeight": "267",
        "ImageWidth": "400",
        "ResolutionUnit": "1",
        "XResolution": "1/1",
        "YResolution": "1/1",
    }


def test_info_json_layout(example_bytes):
    body = info_json(example_bytes)
    assert body.decode("utf-8") == (
        "{\n"
        '  "FileSize": {"value": "21839"},\n'
        '  "Format": {"value": "jpg"},\n'
        '  "FrameCount": {"value": "1"},\n'
        '  "ImageHeight": {"value": "267"},\n'
        '  "ImageWidth": {"value": "400"},\n'
        '  "ResolutionUnit": {"value": "1"},\n'
        '  "XResolution": {"value": "1/1"},\n'
        '  "YResolution": {"value": "1/1"}\n'
        "}"
    )
    assert json.loads(body) == image_info(example_bytes)


# Vector 12 as published (2021 doc, before FrameCount existed).
F_JPG_PUBLISHED = {
    "Compression": "6",
    "DateTime": "2015:02:11 15:38:27",
    "ExifTag": "2212",
    "FileSize": "23471",
    "Format": "jpg",
    "GPSLatitude": "0deg ",
    "GPSLatitudeRef": "North",
    "GPSLongitude": "0deg ",
    "GPSLongitudeRef": "East",
    "GPSMapDatum": "WGS-84",
    "GPSTag": "4292",
    "GPSVersionID": "2 2 0 0",
    "ImageHeight": "333",
    "ImageWidth": "424",
    "JPEGInterchangeFormat": "4518",
    "JPEGInterchangeFormatLength": "3232",
    "Orientation": "7",
    "ResolutionUnit": "2",
    "Software": "Microsoft Windows Photo Viewer 6.1.7600.16385",
    "XResolution": "96/1",
    "YResolution": "96/1",
}
LAYOUT_DEPENDENT = {"ExifTag", "GPSTag", "JPEGInterchangeFormat", "JPEGInterchangeFormatLength"}


def test_info_f_jpg_vector_12():
    data = _f_jpg()
    info = image_info(data)
    got = _values(info)
    # Exactly the published keys (the padding tags vanish), plus the newer FrameCount.
    assert set(got) == set(F_JPG_PUBLISHED) | {"FrameCount"}
    assert list(info) == sorted(info)
    for key, want in F_JPG_PUBLISHED.items():
        if key in LAYOUT_DEPENDENT:
            assert got[key].isdigit(), key
        elif key == "FileSize":
            assert got[key] == str(len(data))
        else:
            assert got[key] == want, key
    assert got["FrameCount"] == "1"
    # The pointers are the stored offsets, so they must point at real IFDs/thumbnail.
    tiff = data[data.index(b"Exif\0\0") + 6:]
    start = int(got["JPEGInterchangeFormat"])
    assert tiff[start:start + 2] == b"\xff\xd8"
    assert len(tiff) >= start + int(got["JPEGInterchangeFormatLength"])


def test_info_f_jpg_json_escapes_and_order():
    body = info_json(_f_jpg()).decode("utf-8")
    assert '  "GPSLatitude": {"value": "0deg "},' in body
    assert '  "GPSVersionID": {"value": "2 2 0 0"},' in body
    keys = [json.loads("{" + line.rstrip(",") + "}").popitem()[0]
            for line in body.splitlines()[1:-1]]
    assert keys == sorted(keys, key=lambda k: k.encode())


def test_info_camera_exif_names_and_values():
    exif = Image.Exif()
    exif[0x010f] = "Canon"
    exif[0x0110] = "Canon EOS 5D"
    photo = exif.get_ifd(0x8769)
    photo[0x829d] = IFDRational(11, 5)                 # FNumber, doc example "11/5"
    photo[0x829a] = IFDRational(1, 144)
    photo[0x8827] = 400                                 # ISOSpeedRatings
    photo[0x9000] = b"0230"                             # ExifVersion (UNDEFINED)
    photo[0x9290] = "42"                                # SubsecTime -> SubSecTime
    photo[0xa002] = 424                                 # ExifImageWidth -> PixelXDimension
    photo[0xa003] = 333
    photo[0x9286] = b"ASCII\0\0\0hello\0"                # UserComment
    photo[0x927c] = b"Nikon\0" + b"\x01" * 40            # MakerNote: omitted
    gps = exif.get_ifd(0x8825)
    gps[0x01] = "S"
    gps[0x02] = (IFDRational(31, 1), IFDRational(55, 1), IFDRational(3870, 1000))
    gps[0x03] = "W"
    gps[0x04] = (IFDRational(121, 1), IFDRational(30, 1), IFDRational(0, 1))
    gps[0x05] = b"\x00"
    gps[0x06] = IFDRational(144, 1)
    data = _save(Image.new("RGB", (64, 48)), "JPEG", exif=exif.tobytes())
    got = _values(image_info(data))
    assert got["Make"] == "Canon"
    assert got["Model"] == "Canon EOS 5D"
    assert got["FNumber"] == "11/5"
    assert got["ExposureTime"] == "1/144"
    assert got["ISOSpeedRatings"] == "400"
    assert got["ExifVersion"] == "48 50 51 48"
    assert got["SubSecTime"] == "42"
    assert got["PixelXDimension"] == "424"
    assert got["PixelYDimension"] == "333"
    assert got["UserComment"] == 'charset="Ascii" hello'
    assert got["GPSLatitude"] == '31deg 55\' 3.870" '     # doc example, verbatim
    assert got["GPSLatitudeRef"] == "South"
    assert got["GPSLongitude"] == "121deg 30' "
    assert got["GPSLongitudeRef"] == "West"
    assert got["GPSAltitudeRef"] == "0"
    assert got["GPSAltitude"] == "144/1"
    assert got["ExifTag"].isdigit() and got["GPSTag"].isdigit()
    assert "MakerNote" not in got
    assert not any(k.startswith("0x") or k in ("ExifOffset", "GPSInfo") for k in got)


@pytest.mark.parametrize("terms, text", [
    ([(0, 1), (0, 1), (0, 1)], "0deg "),
    ([(31, 1), (55, 1), (3870, 1000)], '31deg 55\' 3.870" '),
    ([(45, 1), (30, 1), (0, 1)], "45deg 30' "),
    ([(45, 1), (0, 1), (30, 1)], '45deg 0\' 30" '),
    ([(25, 2), (0, 1), (0, 1)], "12.5000000deg "),
    ([(12, 1), (3075, 100), (0, 1)], "12deg 30.75000' "),
    ([(1, 0), (0, 1), (0, 1)], "(1/0 0/1 0/1)"),
    ([(1, 1), (2, 1)], "1/1 2/1"),
])
def test_print_degrees_matches_exiv2(terms, text):
    assert print_degrees(terms) == text


def test_rename_table_is_consistent_with_pillow_and_exiv2_tables():
    exiv2_names = {**_IMAGE_TAGS, **_EXIF_TAGS}
    for pillow_name, exiv2_name in PILLOW_TO_EXIV2.items():
        tags = [t for t, n in ExifTags.TAGS.items() if n == pillow_name]
        assert tags, pillow_name
        assert any(exiv2_name in (_IMAGE_TAGS.get(t), _EXIF_TAGS.get(t), _IOP_TAGS.get(t))
                   for t in tags), pillow_name
    # Every Pillow name for a tag exiv2 knows is either identical or renamed above.
    for tag, pillow_name in ExifTags.TAGS.items():
        names = {exiv2_names.get(tag), _IOP_TAGS.get(tag)} - {None}
        if names and pillow_name not in names and tag != 0x9214:
            assert PILLOW_TO_EXIV2.get(pillow_name) in names, (hex(tag), pillow_name)
    assert {v for k, v in ExifTags.GPSTAGS.items()} == set(_GPS_TAGS.values())
    assert PILLOW_TO_EXIV2["ExifOffset"] == "ExifTag"
    assert PILLOW_TO_EXIV2["GPSInfo"] == "GPSTag"
    assert PILLOW_TO_EXIV2["JpegIFOffset"] == "JPEGInterchangeFormat"
    assert PILLOW_TO_EXIV2["JpegIFByteCount"] == "JPEGInterchangeFormatLength"
    assert PILLOW_TO_EXIV2["ExifImageWidth"] == "PixelXDimension"


# --- image_info: other formats ---------------------------------------------------------------

def test_info_animated_gif_counts_frames():
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    got = _values(image_info(data))
    assert got == {"FileSize": str(len(data)), "Format": "gif", "FrameCount": "3",
                   "ImageHeight": "10", "ImageWidth": "20"}


def test_info_animated_webp_counts_frames():
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 255, 0))]
    data = _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50)
    got = _values(image_info(data))
    assert (got["Format"], got["FrameCount"]) == ("webp", "2")


def test_info_png_has_no_exif_and_maps_phys():
    exif = Image.Exif()
    exif[0x010f] = "Canon"
    data = _save(Image.new("RGB", (40, 30)), "PNG", dpi=(72, 72), exif=exif.tobytes())
    got = _values(image_info(data))
    assert "Make" not in got  # the docs: no EXIF for PNG
    assert got["Format"] == "png"
    assert (got["ResolutionUnit"], got["XResolution"], got["YResolution"]) == (
        "3", "2835/100", "2835/100")  # pHYs is pixels per metre: 2835/100 per cm


def test_info_tiff_reports_stored_size_and_tags():
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _save(Image.new("RGB", (40, 30)), "TIFF", exif=exif, dpi=(300, 300))
    got = _values(image_info(data))
    assert (got["Format"], got["ImageWidth"], got["ImageHeight"]) == ("tiff", "40", "30")
    assert got["Orientation"] == "6"
    assert got["XResolution"] == "300/1" and got["ResolutionUnit"] == "2"


@pytest.mark.parametrize("fmt, name", [("WEBP", "webp"), ("BMP", "bmp"), ("AVIF", "avif"),
                                       ("HEIF", "heic")])
def test_info_other_formats(fmt, name):
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif").register_heif_opener()
    if fmt not in Image.SAVE and fmt.lower() not in {k.lower() for k in Image.SAVE}:
        pytest.skip(f"no {fmt} encoder")
    exif = Image.Exif()
    exif[0x010f] = "Canon"
    kw = {} if fmt == "BMP" else {"exif": exif.tobytes()}
    data = _save(Image.new("RGB", (40, 30), (10, 20, 30)), fmt, **kw)
    got = _values(image_info(data))
    assert (got["Format"], got["ImageWidth"], got["ImageHeight"]) == (name, "40", "30")
    assert got["FrameCount"] == "1"
    if fmt != "BMP":
        assert got["Make"] == "Canon"


# --- image_info: garbage only ever gives OssError ------------------------------------------

def _assert_unsupported(data: bytes) -> None:
    with pytest.raises(OssError) as err:
        image_info(data)
    assert err.value.code == "BadRequest"
    assert err.value.message == "This image format is not supported."
    assert err.value.ec == "0040-00000005"


@pytest.mark.parametrize("data", [
    b"",
    b"hello world",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"II*\x00\x08\x00\x00\x00",
    b"BM" + b"\0" * 10,
    b"\0" * 1000,
    b"<?xml version='1.0'?><svg/>",
    _save(Image.new("RGB", (8, 8)), "PPM"),
    _save(Image.new("RGB", (8, 8)), "ICO"),
    _save(Image.new("RGB", (8, 8)), "TGA"),
], ids=lambda d: d[:12].hex() or "empty")   # plain ids: escaped bytes broke mutmut's rerun
def test_info_rejects_non_images(data):
    _assert_unsupported(data)


def test_info_truncated_example(example_bytes):
    for n in (1, 2, 3, 10, 20, 100, 500):
        _assert_unsupported(example_bytes[:n])


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_info_random_bytes_only_oss_error(data):
    try:
        info = image_info(data)
    except OssError:
        return
    assert all(set(v) == {"value"} and isinstance(v["value"], str) for v in info.values())


_F_JPG = _f_jpg()


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_F_JPG)), st.lists(st.tuples(st.integers(0, len(_F_JPG) - 1),
                                                       st.integers(0, 255)), max_size=8))
def test_info_damaged_jpeg_only_oss_error(cut, flips):
    data = bytearray(_F_JPG[:cut])
    for pos, byte in flips:
        if pos < len(data):
            data[pos] = byte
    try:
        info = image_info(bytes(data))
        body = info_json(bytes(data))
    except OssError:
        return
    assert json.loads(body) == info


def _samples() -> dict[str, bytes]:
    frames = [Image.new("RGB", (24, 16), c) for c in ((255, 0, 0), (0, 255, 0))]
    exif = Image.Exif()
    exif[0x010f] = "Canon"
    exif.get_ifd(0x8825)[0x02] = (IFDRational(31, 1), IFDRational(55, 1), IFDRational(1, 3))
    return {
        "gif": _save(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "png": _save(frames[0], "PNG", dpi=(96, 96)),
        "webp": _save(frames[0], "WEBP", save_all=True, append_images=frames[1:],
                      exif=exif.tobytes()),
        "tiff": _save(frames[0], "TIFF", save_all=True, append_images=frames[1:], exif=exif),
        "bmp": _save(frames[0], "BMP"),
    }


_SAMPLES = _samples()


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_SAMPLES)), st.floats(0, 1),
       st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6))
def test_info_damaged_files_only_oss_error(fmt, keep, flips):
    data = bytearray(_SAMPLES[fmt][:int(len(_SAMPLES[fmt]) * keep)])
    for where, byte in flips:
        if data:
            data[int(where * len(data))] = byte
    try:
        info = image_info(bytes(data))
    except OssError as e:
        assert e.code in ("BadRequest", "ImageTooLarge")
        return
    assert all(set(v) == {"value"} and isinstance(v["value"], str) for v in info.values())


# --- average-hue -------------------------------------------------------------------------------

def _rgb(hexcode: str) -> tuple[int, int, int]:
    v = int(hexcode, 16)
    return v >> 16, (v >> 8) & 0xFF, v & 0xFF


def test_average_hue_example_vector_13():
    with Image.open(EXAMPLE) as im:
        im.load()
        hue = average_hue(im)
    assert hue.startswith("0x") and len(hue) == 8 and hue == hue.lower()
    published = _rgb("0x5c783b")
    assert all(abs(a - b) <= 2 for a, b in zip(_rgb(hue), published)), hue


def test_average_hue_json_shape():
    with Image.open(EXAMPLE) as im:
        body = average_hue_json(im)
    assert json.loads(body).keys() == {"RGB"}
    assert body == ('{"RGB": "%s"}' % json.loads(body)["RGB"]).encode()


def test_average_hue_is_dominant_not_mean():
    im = Image.new("RGB", (100, 100), (200, 20, 20))
    im.paste((20, 20, 200), (0, 0, 100, 30))  # 30 % blue, 70 % red
    assert average_hue(im) == "0xc81414"


def test_average_hue_ignores_transparent_pixels():
    im = Image.new("RGBA", (100, 100), (255, 0, 0, 0))
    im.paste((0, 0, 255, 255), (0, 0, 100, 20))  # only 20 % is visible, all blue
    assert average_hue(im) == "0x0000ff"
    assert average_hue(Image.new("RGBA", (10, 10), (1, 2, 3, 0))) == "0x010203"


@pytest.mark.parametrize("mode, colour, want", [
    ("L", 128, "0x808080"),
    ("CMYK", (0, 255, 255, 0), "0xff0000"),
    ("1", 1, "0xffffff"),
    ("I;16", 65535, "0xffffff"),
])
def test_average_hue_modes(mode, colour, want):
    assert average_hue(Image.new(mode, (20, 20), colour)) == want


def test_average_hue_palette_with_transparency():
    im = Image.new("P", (10, 10), 0)
    im.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    im.paste(1, (0, 0, 10, 3))
    im.info["transparency"] = 0
    assert average_hue(im) == "0x00ff00"


def test_average_hue_of_a_large_image_is_its_dominant_colour():
    # 12 MP, two thirds green: the answer must not depend on the size (speed is measured
    # in bench/bench_core.py, not here).
    im = Image.new("RGB", (4000, 3000), (0, 255, 0))
    im.paste((255, 0, 0), (0, 0, 4000, 1000))
    assert average_hue(im) == "0x00ff00"
    im.paste((0, 0, 255), (0, 0, 4000, 2100))
    assert average_hue(im) == "0x0000ff"
