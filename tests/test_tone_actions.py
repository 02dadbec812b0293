"""The tone and detail actions (core/ops/adjust.py) against their documented mappings,
computed here from the formulas in docs/COMPATIBILITY.md ("blur, bright, contrast,
sharpen") or by Pillow directly -- never from the engine's own tables -- and the memory
each one may hold (docs/COMPATIBILITY.md "Memory budget": bright/contrast one copy,
blur/sharpen two, plus the RGB copy and the alpha band on RGBA), at both sides of the
budget."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFilter

from core.engine import Engine
from core.errors import OssError


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _run(image: Image.Image, process: str, **engine) -> Image.Image:
    out = Image.open(io.BytesIO(Engine(**engine).process(_png(image), process).data))
    out.load()
    return out


def _grey_ramp() -> Image.Image:
    """Every grey level 0..255 once, left to right."""
    ramp = Image.new("RGB", (256, 1))
    ramp.putdata([(i, i, i) for i in range(256)])
    return ramp


def _contrast_formula(value: int, i: int) -> int:
    # docs/COMPATIBILITY.md: c = v x 2.55, f = 259(c+255) / (255(259-c)),
    # out = f(i-128)+128, rounded and clamped to 0..255
    c = value * 2.55
    f = 259.0 * (c + 255.0) / (255.0 * (259.0 - c))
    return min(255, max(0, round(f * (i - 128) + 128)))


@pytest.mark.parametrize("value", [-100, -37, 1, 50, 100])
def test_contrast_maps_every_grey_level_by_the_documented_curve(value):
    out = _run(_grey_ramp(), f"image/contrast,{value}/format,png").convert("RGB")
    got = [out.getpixel((i, 0))[0] for i in range(256)]
    assert got == [_contrast_formula(value, i) for i in range(256)]


def test_contrast_1_already_changes_the_picture():
    """The smallest non-zero value is not a no-op: grey 10 -> f(10-128)+128 = 7.6 -> 8."""
    out = _run(Image.new("RGB", (3, 3), (10, 10, 10)), "image/contrast,1/format,png")
    assert out.convert("RGB").getpixel((1, 1)) == (8, 8, 8)


@pytest.mark.parametrize("value", [-100, -1, 1, 100])
def test_bright_adds_round_v_times_2_55_to_every_grey_level(value):
    offset = round(value * 2.55)   # docs/COMPATIBILITY.md: additive offset round(v x 2.55)
    out = _run(_grey_ramp(), f"image/bright,{value}/format,png").convert("RGB")
    assert [out.getpixel((i, 0))[0] for i in range(256)] == \
        [min(255, max(0, i + offset)) for i in range(256)]


def _texture(mode: str = "RGB") -> Image.Image:
    im = Image.new(mode, (23, 17))
    im.putdata([((x * 37 + y * 11) % 256, (x * 7) % 256, (y * 29) % 256, 60 + x * 8)[:len(mode)]
                for y in range(17) for x in range(23)])
    return im


@pytest.mark.parametrize("value", [50, 100, 399])
def test_sharpen_is_an_unsharp_mask_of_radius_1_amount_value_threshold_0(value):
    """docs/COMPATIBILITY.md: unsharp mask, radius 1, amount = value %, threshold 0."""
    src = _texture()
    want = src.filter(ImageFilter.UnsharpMask(radius=1.0, percent=value, threshold=0))
    assert _run(src, f"image/sharpen,{value}/format,png").tobytes() == want.tobytes()


def test_sharpen_keeps_the_alpha_band_and_sharpens_the_colours():
    src = _texture("RGBA")
    out = _run(src, "image/sharpen,200/format,png")
    assert out.mode == "RGBA"
    assert out.getchannel("A").tobytes() == src.getchannel("A").tobytes()
    want = src.convert("RGB").filter(ImageFilter.UnsharpMask(radius=1.0, percent=200,
                                                             threshold=0))
    assert out.convert("RGB").tobytes() == want.tobytes()


# -- memory: what each action may hold besides its input -----------------------------------

W, H = 100, 50
PIXELS = W * H * 4            # RGB and RGBA both take 4 bytes a pixel in Pillow
RGBA_EXTRA = W * H * 4 + W * H  # the RGB copy (4 bytes a pixel) and the alpha band (1)


@pytest.mark.parametrize("mode,process,working", [
    ("RGB", "image/bright,10", PIXELS),
    ("RGB", "image/contrast,10", PIXELS),
    ("RGB", "image/sharpen,100", 2 * PIXELS),
    ("RGB", "image/blur,r_3,s_2", 2 * PIXELS),
    ("RGBA", "image/bright,10", PIXELS + RGBA_EXTRA),
    ("RGBA", "image/contrast,-10", PIXELS + RGBA_EXTRA),
    ("RGBA", "image/sharpen,100", 2 * PIXELS + RGBA_EXTRA),
])
def test_a_tone_step_must_fit_with_its_input_and_working_copies(mode, process, working):
    src = Image.new(mode, (W, H), (90, 120, 150, 200)[:len(mode)])
    need = PIXELS + working
    assert _run(src, process + "/format,png", decode_budget=need).size == (W, H)
    with pytest.raises(OssError) as e:
        _run(src, process + "/format,png", decode_budget=need - 1)
    assert (e.value.code, e.value.ec, e.value.step) == ("ImageTooLarge", "0040-00000012", 0)
    assert e.value.action == process.split("/")[1].split(",")[0]
    assert e.value.status == 400


@pytest.mark.parametrize("process", ["image/bright,0", "image/contrast,0"])
def test_a_zero_tone_step_holds_nothing_more(process):
    """0 leaves the picture as it is: the step needs only its input."""
    src = Image.new("RGB", (W, H), (90, 120, 150))
    # the decode itself needs the pixels and 3 KB for the frame object: allow that much
    from core import codec
    assert _run(src, process + "/format,png",
                decode_budget=PIXELS + codec.FRAME_OVERHEAD).tobytes() == src.tobytes()
