"""Boundaries, odd sizes and shared state that the broad suites walk past.

Each test here was written against a plausible one-character bug that the rest of the suite
let through (see docs/TESTING.md). Expected values come from the spec, the OSS docs or the
official SDKs, never from the code under test.
"""
from __future__ import annotations

import base64
import json

import oss2
import pytest
from PIL import Image, ImageChops

from core import process
from core.engine import Engine
from core.errors import STATUS, OssError
from core.oss.credentials import Credentials
from core.oss.signing import presign_v4
from core.oss.urls import BucketAddress
from core.resolver import MappingResolver
from tests.helpers import decode, encode, quadrants, solid, with_orientation
from tests.sdk_clock import freeze_sdk_clocks

NOW = 1700000000


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# -- crop: a width beyond the image is clamped before the anchor is applied ------------------
# Spec section 3: w in [0, image width]; docs/COMPATIBILITY.md "w/h larger than the image:
# clamped to the image before the anchor is computed".

@pytest.mark.parametrize("g", ["se", "east", "ne", "nw", "center"])
def test_crop_wider_than_the_image_is_clamped_for_every_anchor(g):
    result = process(solid(400, 267), f"image/crop,w_500,h_100,g_{g}")
    assert (result.width, result.height) == (400, 100)


def test_crop_taller_than_the_image_is_clamped():
    result = process(solid(400, 267), "image/crop,w_100,h_300,g_se")
    assert (result.width, result.height) == (100, 267)


def test_crop_se_takes_the_bottom_right_pixels():
    # 400x267 quadrants: bottom-right is yellow. A 500-wide crop at se keeps all 400 columns,
    # so its left edge is the (blue) bottom-left quadrant.
    out = decode(process(encode(quadrants(400, 267)), "image/crop,w_500,h_50,g_se").data)
    assert out.size == (400, 50)
    r, g, b = out.convert("RGB").getpixel((5, 25))
    assert b > 200 and r < 60 and g < 60


# -- watermark centring with an odd-sized mark ---------------------------------------------
# docs/COMPATIBILITY.md, watermark placement: centring is (W - w) // 2, the spare pixel to the
# right/bottom. W=200, w=41 -> 79 (not 100 - 20 = 80).

def _mark(w: int, h: int) -> bytes:
    return encode(Image.new("RGBA", (w, h), (0, 0, 255, 255)))


@pytest.mark.parametrize("W,H,w,h", [(200, 120, 41, 21), (201, 121, 40, 20), (199, 99, 41, 33)])
def test_image_watermark_centre_puts_the_spare_pixel_right_and_below(W, H, w, h):
    resolver = MappingResolver({"m.png": _mark(w, h)})
    result = process(solid(W, H, (255, 255, 255)),
                     f"image/watermark,image_{b64('m.png')},g_center/format,png",
                     resolver=resolver)
    out = decode(result.data).convert("RGB")
    diff = ImageChops.difference(out, Image.new("RGB", (W, H), (255, 255, 255)))
    left, top = (W - w) // 2, (H - h) // 2
    assert diff.getbbox() == (left, top, left + w, top + h)


@pytest.mark.parametrize("g,expect_x", [("north", (200 - 41) // 2), ("south", (200 - 41) // 2)])
def test_image_watermark_north_south_centre_horizontally(g, expect_x):
    resolver = MappingResolver({"m.png": _mark(41, 10)})
    result = process(solid(200, 100, (255, 255, 255)),
                     f"image/watermark,image_{b64('m.png')},g_{g},y_0/format,png",
                     resolver=resolver)
    out = decode(result.data).convert("RGB")
    box = ImageChops.difference(out, Image.new("RGB", (200, 100), (255, 255, 255))).getbbox()
    assert (box[0], box[2]) == (expect_x, expect_x + 41)


# -- one Engine, two cascades that differ only in orientation ---------------------------------
# Spec section 5 (auto-orient): by default OSS applies EXIF Orientation; auto-orient,0 keeps
# the stored pixels. A 150x100 picture stored with Orientation 6 is shown 100x150.

@pytest.fixture(scope="module")
def rotated_jpeg() -> bytes:
    return with_orientation(quadrants(150, 100), 6)


def test_shared_engine_keeps_oriented_and_stored_results_apart(rotated_jpeg):
    engine = Engine()
    oriented = engine.process(rotated_jpeg, "image/resize,w_100")
    stored = engine.process(rotated_jpeg, "image/resize,w_100/auto-orient,0")
    assert (oriented.width, oriented.height) == (100, 150)
    assert (stored.width, stored.height) == (100, 67)


def test_shared_engine_orientation_in_the_other_order(rotated_jpeg):
    engine = Engine()
    stored = engine.process(rotated_jpeg, "image/resize,w_100/auto-orient,0")
    oriented = engine.process(rotated_jpeg, "image/resize,w_100")
    again = engine.process(rotated_jpeg, "image/resize,w_100/auto-orient,0")
    assert [(r.width, r.height) for r in (stored, oriented, again)] == \
        [(100, 67), (100, 150), (100, 67)]
    assert again.data == stored.data


# -- V4: the canonical query is sorted by the *encoded* name -------------------------------
# Spec (oss-signing.md, V4 CanonicalQueryString): "URI-encode each name and value, sort by
# encoded name". 'x{' encodes to 'x%7B', which sorts before 'xa'; raw, 'xa' < 'x{'.

def test_v4_query_names_sort_by_encoded_form_like_oss2(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)
    secret = ("LTAI5tTestKeyId0000", "TestSecret/With+Chars=0123456789")
    params = {"xa": "1", "x{": "2", "x-oss-process": "image/resize,w_10"}
    ours = presign_v4(BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", "bkt"),
                      "k.jpg", Credentials(*secret), region="cn-hangzhou",
                      params=params, now=NOW)
    lines = ours.canonical_request.split("\n")
    names = [pair.split("=")[0] for pair in lines[2].split("&")]
    assert names.index("x%7B") < names.index("xa")
    auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(*secret))
    bucket = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", "bkt",
                         region="cn-hangzhou")
    theirs = bucket.sign_url("GET", "k.jpg", 3600, params=dict(params))
    sig = [p.split("=", 1)[1] for p in theirs.split("?", 1)[1].split("&")
           if p.startswith("x-oss-signature=")]
    assert sig == [ours.signature]


# -- every error code carries OSS's HTTP status ---------------------------------------------
# OSS "Error code" page (help doc-detail/32005, and its older Chinese table "OSS的错误码"),
# the 403/404/405 troubleshooting pages, and the IMG docs (processing errors are 400).
DOCUMENTED_STATUS = {
    "InvalidArgument": 400, "BadRequest": 400, "MissingArgument": 400,
    "ImageTooLarge": 400, "InvalidRequest": 400, "EntityTooLarge": 400,
    "InvalidBucketName": 400, "InvalidObjectName": 400, "InvalidDigest": 400,
    "RequestTimeout": 400, "RequestTimeTooSkewed": 403, "AccessDenied": 403,
    "SignatureDoesNotMatch": 403, "InvalidAccessKeyId": 403, "NoSuchKey": 404,
    "NoSuchBucket": 404, "NoSuchStyle": 404, "MethodNotAllowed": 405,
    "InternalError": 500, "NotImplemented": 501,
}


@pytest.mark.parametrize("code,status", sorted(DOCUMENTED_STATUS.items()))
def test_error_code_has_the_documented_http_status(code, status):
    assert STATUS[code] == status
    assert OssError(code, "m").status == status


def test_every_code_we_emit_is_documented_or_ours():
    ours_only = {"WatermarkError", "Cancelled"}  # IMG processing (400) / client-side only
    assert set(STATUS) - set(DOCUMENTED_STATUS) == ours_only
    assert STATUS["WatermarkError"] == 400


# -- a truncated JPEG ---------------------------------------------------------------------
# docs/COMPATIBILITY.md (codec errors): a corrupt or truncated source is BadRequest 400,
# EC 0040-00000005; a file truncated after its headers still answers image/info, which
# decodes no pixels.

def _truncations() -> tuple[bytes, int]:
    data = encode(quadrants(64, 48), "JPEG", quality=90)
    return data, data.index(b"\xff\xda")


@pytest.mark.parametrize("where", ["header", "entropy"])
def test_processing_a_truncated_jpeg_is_bad_request(where):
    data, sos = _truncations()
    cut = 20 if where == "header" else sos + (len(data) - sos) // 2
    with pytest.raises(OssError) as info:
        Engine().process(data[:cut], "image/resize,w_32")
    assert (info.value.code, info.value.status) == ("BadRequest", 400)


def test_info_of_a_jpeg_truncated_after_its_headers_reads_the_header():
    data, sos = _truncations()
    result = Engine().process(data[:sos + (len(data) - sos) // 2], "image/info")
    info = json.loads(result.data)
    assert (info["ImageWidth"]["value"], info["ImageHeight"]["value"]) == ("64", "48")


# -- rotate: the canvas is the bounding box of the turned image ----------------------------
# Spec section 7: "Other angles enlarge the canvas to the bounding box of the rotated image"
# (iStore example: 300x200 at 45 degrees -> 354x354). The oracle turns the four corners.

def _bounding_box(W: int, H: int, degrees: float) -> tuple[int, int]:
    import math

    rad = math.radians(degrees)
    xs, ys = [], []
    for cx, cy in ((0, 0), (W, 0), (0, H), (W, H)):
        xs.append(cx * math.cos(rad) - cy * math.sin(rad))
        ys.append(cx * math.sin(rad) + cy * math.cos(rad))
    return math.ceil(max(xs) - min(xs) - 1e-6), math.ceil(max(ys) - min(ys) - 1e-6)


def test_rotate_45_matches_the_published_example():
    result = process(solid(300, 200), "image/rotate,45")
    assert (result.width, result.height) == (354, 354)


@pytest.mark.parametrize("deg", [1, 30, 60, 89, 91, 135, 200, 269, 300, 359])
def test_rotate_canvas_is_the_bounding_box(deg):
    result = process(solid(300, 200), f"image/rotate,{deg}")
    assert (result.width, result.height) == _bounding_box(300, 200, deg)


# -- output limits: each side <= 16384 and at most 16,777,216 pixels ------------------------
# Spec section 2: violation -> 400, EC 0040-00000007; both limits are inclusive.

def test_output_side_of_exactly_16384_is_allowed():
    result = process(solid(20, 10), "image/resize,m_fixed,w_16384,h_2,limit_0/format,png")
    assert (result.width, result.height) == (16384, 2)


def test_output_of_exactly_4096_squared_pixels_is_allowed():
    result = process(solid(20, 20), "image/resize,m_fixed,w_4096,h_4096,limit_0/format,png")
    assert (result.width, result.height) == (4096, 4096)


def test_output_one_row_over_the_pixel_limit_is_refused():
    with pytest.raises(OssError) as info:
        process(solid(20, 20), "image/resize,m_fixed,w_4096,h_4097,limit_0")
    assert (info.value.code, info.value.ec, info.value.status) == \
        ("InvalidArgument", "0040-00000007", 400)


# -- resize to one pixel -------------------------------------------------------------------

def test_resize_to_width_1_keeps_at_least_one_row():
    # 400x267 -> w_1: height 267/400 = 0.67 rounds to 1 (never 0, never more).
    result = process(solid(400, 267), "image/resize,w_1")
    assert (result.width, result.height) == (1, 1)


# -- indexcrop slices ------------------------------------------------------------------------
# Spec section 4: slice i of width x (or height y); an index past the last slice returns the
# source unchanged.

def test_indexcrop_middle_slice_has_the_slice_width():
    out = decode(process(encode(_columns(100, 10)), "image/indexcrop,x_30,i_1/format,png").data)
    assert out.size == (30, 10)
    assert out.convert("L").getpixel((0, 0)) == 30 and out.convert("L").getpixel((29, 0)) == 59


@pytest.mark.parametrize("spec,size", [("y_50,i_1", (40, 50)), ("y_50,i_2", (40, 100)),
                                        ("x_20,i_1", (20, 100)), ("x_20,i_2", (40, 100))])
def test_indexcrop_index_at_the_edge(spec, size):
    # 40x100: y_50 gives slices 0 and 1; i_2 starts at 100 = H, past the end -> the source.
    # x_20 gives slices 0 and 1; i_2 starts at 40 = W, past the end -> the source.
    result = process(solid(40, 100), f"image/indexcrop,{spec}")
    assert (result.width, result.height) == size


# -- crop at the centre of an odd box --------------------------------------------------------
# Spec section 3 formula table: centre origin is srcW/2 - w/2, integer halves
# (docs/COMPATIBILITY.md, crop): 200 // 2 - 41 // 2 = 80.

def _columns(W: int, H: int) -> Image.Image:
    im = Image.new("L", (W, H))
    im.putdata([x for _ in range(H) for x in range(W)])
    return im


def test_crop_centre_origin_of_an_odd_box():
    out = decode(process(encode(_columns(200, 4)), "image/crop,w_41,h_4,g_center/format,png").data)
    assert out.size == (41, 4)
    assert out.convert("L").getpixel((0, 0)) == 80


# -- circle on a sliver ------------------------------------------------------------------------
# Spec section 5: r beyond half the shorter side becomes (shorter - 1) / 2; the output is a
# (2r + 1) square: a 1-pixel-high image gives r = 0, a 1x1 output.

def test_circle_on_a_one_pixel_high_image_is_one_pixel():
    result = process(solid(5, 1), "image/circle,r_10/format,png")
    assert (result.width, result.height) == (1, 1)


# -- circle: a (2r + 1) square around the centre, the disc symmetric -------------------------
# Spec section 5 and docs/COMPATIBILITY.md (circle output): always a (2r+1)-pixel square centred
# at (W//2, H//2); outside the disc transparent in PNG.

def test_circle_in_range_is_a_2r_plus_1_square_cut_around_the_centre():
    src = _columns(400, 267)
    out = decode(process(encode(src), "image/circle,r_100/format,png").data)
    assert out.size == (201, 201)
    grey, alpha = out.convert("LA").split()
    # The middle row runs from x = 200 - 100 to 200 + 100 of the source.
    assert grey.getpixel((0, 100)) == 100 and grey.getpixel((100, 100)) == 200
    assert alpha.getpixel((0, 0)) == 0 and alpha.getpixel((200, 200)) == 0
    assert alpha.getpixel((100, 100)) == 255


def test_circle_disc_is_symmetric_and_touches_all_four_edges():
    out = decode(process(solid(300, 300), "image/circle,r_60/format,png").data)
    assert out.size == (121, 121)
    alpha = out.getchannel("A")
    side = 121
    for y in range(side):
        for x in range(side):
            a = alpha.getpixel((x, y))
            assert a == alpha.getpixel((side - 1 - x, y)) == alpha.getpixel((x, side - 1 - y)), \
                (x, y)
    mid = side // 2
    assert min(alpha.getpixel(p) for p in ((0, mid), (side - 1, mid), (mid, 0),
                                           (mid, side - 1))) > 0


# -- watermark scale P and text shadow: at least one pixel --------------------------------
# docs/COMPATIBILITY.md (watermark): P scales the mark's width to P% of the main image's
# width, at least 1 x 1; the shadow is offset max(1, round(size / 20)) px right and down and
# the block grows by the offset.

def test_watermark_P_of_a_narrow_image_keeps_one_pixel():
    resolver = MappingResolver({"m.png": _mark(20, 20)})
    p = b64("m.png?x-oss-process=image/resize,P_1")
    out = decode(process(solid(40, 40, (255, 255, 255)),
                         f"image/watermark,image_{p},g_nw,x_0,y_0/format,png",
                         resolver=resolver).data).convert("RGB")
    box = ImageChops.difference(out, Image.new("RGB", (40, 40), (255, 255, 255))).getbbox()
    assert box == (0, 0, 1, 1)


@pytest.mark.parametrize("size,offset", [(10, 1), (30, 2), (40, 2), (50, 3), (70, 4)])
def test_text_shadow_grows_the_block_by_the_documented_offset(size, offset):
    text = b64("Hi")
    plain = decode(process(solid(200, 120, (255, 255, 255)),
                           f"image/watermark,text_{text},size_{size},g_nw,x_0,y_0/format,png"
                           ).data).convert("RGB")
    shadowed = decode(process(solid(200, 120, (255, 255, 255)),
                              f"image/watermark,text_{text},size_{size},shadow_100,g_nw,x_0,y_0"
                              "/format,png").data).convert("RGB")
    white = Image.new("RGB", (200, 120), (255, 255, 255))
    a = ImageChops.difference(plain, white).getbbox()
    b = ImageChops.difference(shadowed, white).getbbox()
    assert (b[0], b[1]) == (a[0], a[1]) == (0, 0)
    assert (b[2] - a[2], b[3] - a[3]) == (offset, offset)


# -- tone actions keep the alpha channel --------------------------------------------------
# Spec (bright/contrast/sharpen/blur) and docs/COMPATIBILITY.md: they keep size and alpha.

@pytest.mark.parametrize("action", ["bright,50", "contrast,-50", "sharpen,200", "blur,r_3,s_2"])
def test_tone_actions_leave_alpha_alone_and_change_colour(action):
    src = Image.new("RGBA", (40, 30), (40, 120, 200, 255))
    src.paste((200, 60, 20, 90), (0, 0, 20, 30))       # a half-transparent half
    src.paste((0, 0, 0, 0), (0, 0, 5, 5))              # and a transparent corner
    out = decode(process(encode(src), f"image/{action}/format,png").data)
    assert out.mode == "RGBA" and out.size == (40, 30)
    # They act on colour only: alpha is bit-for-bit the source's.
    assert out.getchannel("A").tobytes() == src.getchannel("A").tobytes()
    if action.startswith(("bright", "contrast")):
        assert out.getpixel((30, 15))[:3] != (40, 120, 200)
