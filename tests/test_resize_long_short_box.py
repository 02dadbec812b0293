"""resize with both ``l`` and ``s``: a long-edge x short-edge box oriented like the image,
the mode applied as with ``w``/``h`` (spec 2.4; the spec marks the combination unverified,
docs/COMPATIBILITY.md records the decision). lfit, the default, fits inside the box."""
from __future__ import annotations

import pytest

from core.engine import Engine
from tests.helpers import encode, quadrants


@pytest.mark.parametrize("size, expected", [
    ((400, 267), (150, 100)),    # landscape: box 200 x 100; 100/267 < 200/400 -> 150 x 100
    ((267, 400), (100, 150)),    # portrait: box 100 x 200
    ((300, 300), (100, 100)),    # square: the box is 200 x 100 either way, fit -> 100 x 100
])
def test_long_and_short_together_form_a_box_oriented_like_the_image(size, expected):
    result = Engine(cache_entries=0).process(encode(quadrants(*size)), "image/resize,l_200,s_100")
    assert (result.width, result.height) == expected
