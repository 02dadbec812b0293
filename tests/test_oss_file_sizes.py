"""Output bytes like OSS: the FileSize the official oss2 functional tests assert for
their example.jpg (aliyun-oss-python-sdk tests/test_image.py), each matched within 3%.

The encoder settings behind it are in docs/COMPATIBILITY.md ("Output encoding"): JPEG at
the source's estimated quality (82 here) with optimised Huffman tables, 4:2:0, baseline,
no metadata; a text watermark re-encodes at quality 90.
"""
from __future__ import annotations

import json

import pytest

from core.engine import Engine
from tests.helpers import EXAMPLE

# process -> (ImageHeight, ImageWidth, FileSize, Format) as oss2's __check asserts them.
SDK_EXPECTED = {
    "image/resize,m_fixed,w_100,h_100": (100, 100, 3267, "jpg"),
    "image/crop,w_100,h_100,x_100,y_100,r_1": (100, 100, 1969, "jpg"),
    "image/rotate,90": (400, 267, 20998, "jpg"),
    "image/sharpen,100": (267, 400, 23015, "jpg"),
    "image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ": (267, 400, 26355, "jpg"),
    "image/format,png": (267, 400, 160733, "png"),
}


@pytest.mark.parametrize("process", sorted(SDK_EXPECTED))
def test_output_size_within_3_percent_of_oss(process):
    height, width, size, fmt = SDK_EXPECTED[process]
    engine = Engine(cache_entries=0)
    out = engine.process(EXAMPLE, process)
    info = json.loads(engine.process(out.data, "image/info").data)
    assert int(info["ImageHeight"]["value"]) == height
    assert int(info["ImageWidth"]["value"]) == width
    assert info["Format"]["value"] == fmt
    got = int(info["FileSize"]["value"])
    assert abs(got - size) <= 0.03 * size, f"{got} bytes vs OSS {size}"


def test_jpeg_output_is_baseline_420_without_metadata():
    import io

    from PIL import Image, JpegImagePlugin

    out = Engine(cache_entries=0).process(EXAMPLE, "image/rotate,90").data
    im = Image.open(io.BytesIO(out))
    assert JpegImagePlugin.get_sampling(im) == 2          # 4:2:0
    assert "exif" not in im.info and "progressive" not in im.info
