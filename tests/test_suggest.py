"""'Did you mean ...?' for misspelt actions and keys: the parser's messages keep OSS's code
and EC, and the suggestion names a real action or key."""
from __future__ import annotations

import pytest

from core.cascade import parse
from core.errors import OssError
from core.params import REGISTRY
from core.suggest import action_suggestion, closest, ignored_keys, key_suggestion


@pytest.mark.parametrize("typo, meant", [
    ("resiz", "resize"), ("rezise", "resize"), ("RESIZE", "resize"), ("rotat", "rotate"),
    ("watermrk", "watermark"), ("roundedcorners", "rounded-corners"),
    ("autoorient", "auto-orient"), ("averagehue", "average-hue"), ("qualty", "quality"),
])
def test_action_suggestions(typo, meant):
    assert action_suggestion(typo) == meant
    with pytest.raises(OssError) as e:
        parse(f"image/{typo},1")
    assert (e.value.code, e.value.ec) == ("InvalidArgument", "0040-00000213")
    assert e.value.message == (f"The action: {typo} is not supported. "
                               f"Did you mean {meant}?")
    assert e.value.step == 0 and e.value.span == (6, 6 + len(typo))


def test_nothing_close_means_no_suggestion():
    assert action_suggestion("xyz") is None
    with pytest.raises(OssError) as e:
        parse("image/xyz")
    assert e.value.message == "The action: xyz is not supported."


def test_a_valid_name_is_never_suggested_for_itself():
    for name in REGISTRY:
        assert closest(name, REGISTRY) is None


@pytest.mark.parametrize("process, message", [
    ("image/resize,w100", "The value: w100 of parameter: resize is invalid."
                          "reason:expected key_value. Did you mean w_100?"),
    ("image/resize,width", "The value: width of parameter: resize is invalid."
                           "reason:expected key_value. Did you mean w?"),
    ("image/watermark,text_aGk,colorFF0000", "The value: colorFF0000 of parameter: "
     "watermark is invalid.reason:expected key_value. Did you mean color_FF0000?"),
    ("image/resize,qqq", "The value: qqq of parameter: resize is invalid."
                         "reason:expected key_value"),
])
def test_key_value_errors_suggest(process, message):
    with pytest.raises(OssError) as e:
        parse(process)
    assert e.value.code == "InvalidArgument"
    assert e.value.message == message


@pytest.mark.parametrize("action, token, meant", [
    ("resize", "wdth_100", "w_100"), ("resize", "W_5", "w_5"), ("resize", "height_3", "h_3"),
    ("resize", "percent_50", "p_50"), ("watermark", "opacity_50", "t_50"),
    ("watermark", "fontsize_20", "size_20"), ("watermark", "colour_FF0000", "color_FF0000"),
    ("crop", "gravity_se", None),
])
def test_key_suggestions(action, token, meant):
    assert key_suggestion(REGISTRY[action], token) == meant


def test_ignored_keys_are_those_oss_ignores():
    process = "image/resize,w_10,wdth_100/rotate,90/crop,w_5,h_5,r_1"
    assert parse(process)  # OSS accepts it: the unknown keys are ignored
    notes = ignored_keys(process)
    assert [(n.step, n.action, n.key, n.suggestion) for n in notes] == [
        (0, "resize", "wdth", "w_100"), (2, "crop", "r", None)]
    assert str(notes[0]) == ("step 1 (resize): wdth is not a parameter of resize; OSS "
                             "ignores it. Did you mean w_100?")
    assert ignored_keys("style/thumb") == []
