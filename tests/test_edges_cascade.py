"""Edges of core.cascade that the mutation run showed untested: the stylename error in OSS
wording (spec section "Image style", EC 0017-00000250), serialising single operations and
step tuples, and cascade prefixes."""
from __future__ import annotations

import pytest

from core.cascade import Cascade, parse, resolve, to_string, validate_style_name
from core.errors import OssError
from core.params import CASCADE_CHECKS, b64encode_text


@pytest.mark.parametrize("name", ["Images!tyle", "x" * 64, "a b", "名前", ""])
def test_a_bad_style_name_is_the_oss_stylename_error(name):
    # oss-img-vectors.md: `Images!tyle` -> InvalidArgument
    # `The value: Images!tyle of parameter: stylename is invalid.`; 64 characters -> same.
    with pytest.raises(OssError) as err:
        validate_style_name(name)
    e = err.value
    assert e.code == "InvalidArgument"
    assert e.status == 400
    assert e.message == f"The value: {name} of parameter: stylename is invalid."
    assert e.ec == "0017-00000250"
    assert e.key == "stylename"


def test_a_bad_style_name_in_a_process_value_is_the_same_error():
    with pytest.raises(OssError) as err:
        parse("style/Images!tyle")
    e = err.value
    assert (e.code, e.ec, e.key) == ("InvalidArgument", "0017-00000250", "stylename")
    assert e.message == "The value: Images!tyle of parameter: stylename is invalid."


@pytest.mark.parametrize("name", ["a", "x" * 63, "Thumb_2.small-v1"])
def test_a_good_style_name_is_returned(name):
    assert validate_style_name(name) == name


def test_to_string_of_one_operation_is_an_image_process_value():
    op = parse("image/resize,w_100").steps[0]
    assert to_string(op) == "image/resize,w_100"


def test_to_string_of_a_step_tuple_joins_the_steps():
    steps = parse("image/resize,w_100/rotate,90").steps
    assert isinstance(steps, tuple)
    assert to_string(steps) == "image/resize,w_100/rotate,90"
    assert to_string(()) == ""
    assert to_string(parse("style/thumb")) == "style/thumb"


def test_prefix_keeps_the_first_n_steps():
    cascade = parse("image/resize,w_100/rotate,90/blur,r_3,s_2")
    assert cascade.prefix(1) == parse("image/resize,w_100")
    assert cascade.prefix(2).to_string() == "image/resize,w_100/rotate,90"
    assert cascade.prefix(0) == Cascade()
    assert cascade.prefix(0).to_string() == ""
    assert cascade.prefix(5) == cascade


# ----------------------------------------------------------------------------- grammar
# Expected values: the decisions in docs/COMPATIBILITY.md ("Grammar") and the ECs of the
# spec (oss-img.md, oss-img-vectors.md).

def _err(process: str) -> OssError:
    with pytest.raises(OssError) as err:
        parse(process)
    return err.value


def _span_text(process: str, e: OssError) -> str:
    start, end = e.span
    return process[start:end]


def _padded(length: int) -> str:
    # An unknown key is ignored (COMPATIBILITY: the SDK tests send crop,...,r_1), so a long
    # zz_ value pads a valid process value to any length.
    head = "image/resize,w_100,zz_"
    return head + "a" * (length - len(head))


def test_the_longest_process_value_is_4096_characters():
    assert len(_padded(4096)) == 4096
    assert parse(_padded(4096)) == parse("image/resize,w_100")
    e = _err(_padded(4097))
    assert (e.code, e.status, e.ec) == ("InvalidArgument", 400, "0017-00000288")
    assert e.span == (4096, 4097)
    assert "4096" in e.message


def test_none_and_empty_are_the_empty_cascade():
    assert parse(None) == Cascade()
    assert parse("") == Cascade()
    assert parse(None).to_string() == ""
    with pytest.raises(TypeError, match="str"):
        parse(b"image/resize,w_1")


def test_a_pipe_is_not_implemented_and_points_at_the_pipe():
    s = "image/resize,w_100|sys/saveas,o_YQ"
    e = _err(s)
    assert (e.code, e.status) == ("NotImplemented", 501)
    assert _span_text(s, e) == "|sys/saveas,o_YQ"
    # OSS allows up to 5 pipes; the local engine refuses from the first one.
    s = "image/resize,w_100|sys/saveas,o_YQ|sys/saveas,o_Yg"
    assert _span_text(s, _err(s)) == "|sys/saveas,o_YQ|sys/saveas,o_Yg"


def test_one_trailing_slash_is_tolerated_two_are_an_empty_action():
    assert parse("image/resize,w_100/") == parse("image/resize,w_100")
    assert parse("image/resize,w_100/rotate,90/") == parse("image/resize,w_100/rotate,90")
    s = "image/resize,w_100//"
    e = _err(s)
    assert (e.code, e.status, e.step) == ("InvalidArgument", 400, 1)
    s = "image/resize,w_100//rotate,90"
    e = _err(s)
    assert (e.code, e.step) == ("InvalidArgument", 1)
    assert e.span == (19, 19)


def test_style_without_a_name():
    e = _err("style")
    assert (e.code, e.status, e.key) == ("MissingArgument", 400, "stylename")
    assert e.span == (0, 5)
    assert "style" in e.message
    e = _err("style/")
    assert (e.code, e.key, e.ec) == ("InvalidArgument", "stylename", "0017-00000250")
    assert e.message == "The value:  of parameter: stylename is invalid."
    s = "style/bad name"
    e = _err(s)
    assert _span_text(s, e) == "bad name"
    assert parse("style/thumb") == Cascade(style="thumb")
    assert parse("style/thumb").is_style


def test_a_value_that_is_neither_image_nor_style():
    s = "video/snapshot,t_1"
    e = _err(s)
    assert (e.code, e.status, e.key) == ("InvalidArgument", 400, "x-oss-process")
    assert e.message.startswith("The value: video of parameter: x-oss-process is invalid.")
    assert _span_text(s, e) == "video"
    e = _err("image/")
    assert (e.code, e.status) == ("MissingArgument", 400)
    assert "action" in e.message
    assert e.span == (0, 6)


def test_an_unknown_action_is_ec_213_at_its_name():
    s = "image/resize,w_10/rotat,90"
    e = _err(s)
    assert (e.code, e.ec, e.step, e.action) == ("InvalidArgument", "0040-00000213", 1, "rotat")
    assert e.message.startswith("The action: rotat is not supported.")
    assert _span_text(s, e) == "rotat"


def test_repeated_keys_the_later_wins_and_unknown_keys_are_dropped():
    assert parse("image/resize,w_100,w_200") == parse("image/resize,w_200")
    assert parse("image/crop,w_100,h_100,r_1").to_string() == "image/crop,w_100,h_100"


@pytest.mark.parametrize("process,ec", [
    ("image/resize,100", None), ("image/quality,90", "0040-00000310")])
def test_a_bare_token_in_a_key_value_action(process, ec):
    e = _err(process)
    assert (e.code, e.status, e.ec, e.step) == ("InvalidArgument", 400, ec, 0)
    assert e.message.startswith(f"The value: {process.split(',')[1]} of parameter: "
                                f"{process.split('/')[1].split(',')[0]} is invalid.")
    assert _span_text(process, e) == process.split(",")[1]


def test_a_non_numeric_value_has_the_real_oss_message():
    s = "image/resize,w_abc"
    e = _err(s)
    assert e.message == "The value: abc of parameter: w is invalid.reason:Value must be digit"
    assert (e.ec, e.key, e.step, e.action) == ("0040-00000312", "w", 0, "resize")
    assert _span_text(s, e) == "w_abc"


def test_an_empty_value_is_invalid_with_the_key_named():
    s = "image/resize,w_"
    e = _err(s)
    assert (e.code, e.key) == ("InvalidArgument", "w")
    assert e.message == "The value:  of parameter: w is invalid."
    assert _span_text(s, e) == "w_"


@pytest.mark.parametrize("process,code,ec", [
    ("image/rotate", "MissingArgument", "0040-00000216"),
    ("image/rotate,", "MissingArgument", "0040-00000216"),
    ("image/rotate,400", "InvalidArgument", "0040-00000217"),
    ("image/rotate,90,200,300", "InvalidArgument", "0040-00000203"),
])
def test_single_value_action_errors(process, code, ec):
    e = _err(process)
    assert (e.code, e.status, e.ec, e.step, e.action) == (code, 400, ec, 0, "rotate")


def test_single_value_spans():
    s = "image/rotate,90,200,300"
    assert _span_text(s, _err(s)) == "200,300"
    s = "image/rotate,400"
    assert _span_text(s, _err(s)) == "400"
    s = "image/resize,w_10/rotate"
    assert _span_text(s, _err(s)) == "rotate"
    assert parse("image/rotate,90").to_string() == "image/rotate,90"


def test_info_combined_names_the_info_step():
    s = "image/resize,w_100/info"
    e = _err(s)
    assert (e.code, e.status, e.step, e.action) == ("InvalidArgument", 400, 1, "info")
    assert _span_text(s, e) == "info"
    assert "info" in e.message
    e = _err("image/average-hue/resize,w_100")
    assert (e.step, e.action) == (0, "average-hue")


# ----------------------------------------------------------------------------- styles

STYLES = {"thumb": "image/resize,w_100/quality,q_90", "loop": "style/thumb"}


@pytest.mark.parametrize("styles", [STYLES, STYLES.get])
def test_resolve_replaces_a_style_by_its_content(styles):
    # spec "Image style": a style's content is a normal process string.
    assert resolve(parse("style/thumb"), styles) == parse("image/resize,w_100/quality,q_90")
    plain = parse("image/rotate,90")
    assert resolve(plain, styles) is plain
    assert resolve(plain, None) is plain


@pytest.mark.parametrize("styles", [None, {}, STYLES, STYLES.get, lambda name: None])
def test_a_missing_style_is_no_such_style_404(styles):
    with pytest.raises(OssError) as err:
        resolve(parse("style/missing"), styles)
    e = err.value
    assert (e.code, e.status, e.key) == ("NoSuchStyle", 404, "stylename")
    assert "missing" in e.details.values()


def test_a_style_referring_to_a_style_is_an_invalid_argument():
    with pytest.raises(OssError) as err:
        resolve(parse("style/loop"), STYLES)
    e = err.value
    assert (e.code, e.status, e.key) == ("InvalidArgument", 400, "stylename")
    assert isinstance(e.message, str) and "style" in e.message


def _wm(key: str) -> str:
    return "watermark,image_" + b64encode_text(key)


def test_a_fourth_image_watermark_is_ec_026_at_its_own_step():
    # spec: at most 3 image watermarks per request (EC 0040-00000026).
    three = "image/resize,w_100/" + "/".join(_wm(k) for k in ("a.png", "b.png", "c.png"))
    assert len(parse(three)) == 4
    s = three + "/" + _wm("d.png")
    e = _err(s)
    assert (e.code, e.status, e.ec, e.step, e.action, e.key) == (
        "InvalidArgument", 400, "0040-00000026", 4, "watermark", "image")
    assert _span_text(s, e) == _wm("d.png")
    assert "at most 3 different images" in e.message


# ----------------------------------------------------------------------------- checks

@pytest.fixture
def check_guard():
    before = list(CASCADE_CHECKS)
    yield CASCADE_CHECKS
    CASCADE_CHECKS[:] = before


def _check_raising(**where):
    def check(steps):
        if any(op.NAME == "bright" for op in steps):
            raise OssError("InvalidArgument", "probe", **where)
    return check


def test_a_cascade_check_error_gets_the_span_of_its_step(check_guard):
    check_guard.append(_check_raising(step=1))
    s = "image/resize,w_10/bright,5"
    e = _err(s)
    assert e.step == 1 and _span_text(s, e) == "bright,5"


def test_a_cascade_check_keeps_its_own_span(check_guard):
    check_guard.append(_check_raising(step=1, span=(18, 24)))
    e = _err("image/resize,w_10/bright,5")
    assert e.span == (18, 24)


def test_a_cascade_check_error_not_tied_to_a_step_or_past_the_end_gets_no_span(check_guard):
    check_guard.append(_check_raising())
    e = _err("image/resize,w_10/bright,5")
    assert (e.step, e.span) == (None, None)
    check_guard[-1] = _check_raising(step=2)
    e = _err("image/resize,w_10/bright,5")
    assert (e.step, e.span) == (2, None)
