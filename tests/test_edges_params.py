"""Edges of core.params that the mutation run showed untested.

The ``@operation`` / ``param`` declarations of the real actions run once, at import time,
so a test of the registry alone never exercises the decorator while it is under test.
These tests declare throw-away operations inside the test, and check everything the
parser, the serializer and the forms read from a declaration: the wire keys, kinds,
titles, help, ranges, the frozen dataclass with every field defaulting to "not given",
registration, and the single-value rule."""
from __future__ import annotations

import dataclasses

import pytest

from core.cascade import parse
from core.errors import OssError
from core.ops.geometry import Resize
from core.params import (REGISTRY, Kind, Operation, b64decode_text, b64encode_text, operation,
                         param)


@pytest.fixture
def registry_guard():
    """Remove whatever a test registered, so no throw-away action leaks into others."""
    before = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(before)


def test_operation_declares_a_frozen_registered_dataclass(registry_guard):
    @operation("zz-probe", "Probe", "Probe help.")
    class Probe(Operation):
        w: int = param(Kind.INT, "Width", "The width.", min=1, max=10, unit="px")
        m: str = param(Kind.ENUM, "Mode", choices=("a", "b"), default="a")

    assert REGISTRY["zz-probe"] is Probe
    assert (Probe.NAME, Probe.TITLE, Probe.HELP) == ("zz-probe", "Probe", "Probe help.")
    assert Probe.SINGLE_VALUE is False
    assert Probe.TERMINAL is False
    assert isinstance(Probe.SPECS, tuple)
    w, m = Probe.SPECS
    assert (w.key, w.kind, w.title, w.help, w.min, w.max, w.unit) == (
        "w", Kind.INT, "Width", "The width.", 1, 10, "px")
    assert (m.key, m.kind, m.title, m.help, m.choices, m.default) == (
        "m", Kind.ENUM, "Mode", "", ("a", "b"), "a")
    assert Probe.spec("w") is w and Probe.spec("x") is None
    # Every field defaults to None ("not given"); the declared default applies on read.
    op = Probe()
    assert (op.w, op.m) == (None, None)
    assert op.get("m") == "a"
    assert list(op.given()) == []
    # Frozen, hashable: the engine uses steps as cache keys.
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.w = 3
    assert hash(Probe(w=3)) == hash(Probe(w=3))
    # The parser and the serializer read the declaration.
    parsed = parse("image/zz-probe,w_3,m_b").steps[0]
    assert parsed == Probe(w=3, m="b")
    assert parsed.to_string() == "zz-probe,w_3,m_b"
    with pytest.raises(OssError) as err:
        parse("image/zz-probe,w_11")
    assert err.value.message.startswith("The value: 11 of parameter: w is invalid.")
    assert "[1,10]" in err.value.message      # the reason gives the allowed range


def test_operation_help_defaults_to_empty(registry_guard):
    @operation("zz-bare", "Bare")
    class Bare(Operation):
        v: int = param(Kind.INT, "Value")

    assert Bare.HELP == ""
    assert Bare.SPECS[0].help == ""
    assert Bare.SINGLE_VALUE is False and Bare.TERMINAL is False


def test_an_int_without_a_declared_range_takes_any_integer(registry_guard):
    # Kind.INT: "decimal integer, optionally negative where the range allows".
    @operation("zz-free", "Free")
    class Free(Operation):
        v: int = param(Kind.INT, "Value")

    assert parse("image/zz-free,v_-5").steps[0].v == -5
    assert parse("image/zz-free,v_99999999").steps[0].v == 99999999


def test_single_value_and_terminal_declarations(registry_guard):
    @operation("zz-one", "One", single_value=True, terminal=True)
    class One(Operation):
        value: int = param(Kind.INT, "Degrees", min=0, max=360)

    assert One.SINGLE_VALUE is True and One.TERMINAL is True
    op = parse("image/zz-one,90").steps[0]
    assert op == One(value=90)
    assert op.to_string() == "zz-one,90"


def test_a_single_value_action_with_two_fields_is_refused(registry_guard):
    with pytest.raises(TypeError) as err:
        @operation("zz-two", "Two", single_value=True)
        class Two(Operation):
            a: int = param(Kind.INT, "A")
            b: int = param(Kind.INT, "B")
    assert "zz-two" in str(err.value)
    assert "zz-two" not in REGISTRY


def test_replace_changes_only_the_named_fields():
    op = Resize(w=100, h=50)
    changed = op.replace(w=200)
    assert changed == Resize(w=200, h=50)
    assert op == Resize(w=100, h=50)
    assert changed.to_string() == "resize,w_200,h_50"


def test_validate_round_trips_a_python_value_through_the_wire_form():
    w = Resize.spec("w")
    assert w.validate(100) == 100
    with pytest.raises(OssError) as err:
        w.validate(0)
    assert err.value.message.startswith("The value: 0 of parameter: w is invalid.")


# ----------------------------------------------------------------------------- decoding
# Ranges and ECs from the spec tables (oss-img.md); the "The value: V of parameter: P is
# invalid." opening is OSS wording (spec "Errors"), P being the action for a bare value
# (`The value: image of parameter: quality is invalid.reason:Value must be digit`).

def _err(process: str) -> OssError:
    with pytest.raises(OssError) as err:
        parse(process)
    return err.value


@pytest.mark.parametrize("process,value", [
    ("image/resize,w_1", 1), ("image/resize,w_16384", 16384)])
def test_int_range_ends_are_accepted(process, value):
    assert parse(process).steps[0].w == value


@pytest.mark.parametrize("raw", ["0", "16385", "-1"])
def test_int_values_outside_the_range_are_ec_312(raw):
    e = _err(f"image/resize,w_{raw}")
    assert (e.code, e.status, e.ec, e.key) == ("InvalidArgument", 400, "0040-00000312", "w")
    assert e.message.startswith(f"The value: {raw} of parameter: w is invalid.")


@pytest.mark.parametrize("raw", ["0", "360", "90"])
def test_rotate_accepts_0_to_360(raw):
    assert parse(f"image/rotate,{raw}").steps[0].value == int(raw)


@pytest.mark.parametrize("raw", ["361", "-1", "9x", "+90", " 90"])
def test_rotate_rejects_values_outside_0_to_360_naming_the_action(raw):
    e = _err(f"image/rotate,{raw}")
    assert (e.code, e.ec) == ("InvalidArgument", "0040-00000217")
    assert e.message.startswith(f"The value: {raw} of parameter: rotate is invalid.")


@pytest.mark.parametrize("action,ec", [("auto-orient", "0040-00000215"),
                                       ("interlace", "0040-00000282")])
def test_flags_take_exactly_0_or_1(action, ec):
    assert parse(f"image/{action},0").steps[0].value == 0
    assert parse(f"image/{action},1").steps[0].value == 1
    for raw in ("2", "-1", "10"):
        e = _err(f"image/{action},{raw}")
        assert (e.code, e.ec) == ("InvalidArgument", ec)
        assert e.message.startswith(f"The value: {raw} of parameter: {action} is invalid.")


def test_a_flag_key_in_a_key_value_action():
    assert parse("image/resize,w_10,limit_0").steps[0].limit == 0
    assert parse("image/resize,w_10,limit_1").steps[0].limit == 1
    e = _err("image/resize,w_10,limit_2")
    assert (e.code, e.key) == ("InvalidArgument", "limit")


def test_an_enum_value_outside_its_choices_is_ec_311():
    assert parse("image/resize,w_10,m_fixed").steps[0].m == "fixed"
    e = _err("image/resize,w_100,m_abc")
    assert (e.code, e.ec, e.key) == ("InvalidArgument", "0040-00000311", "m")
    assert e.message.startswith("The value: abc of parameter: m is invalid.")
    assert all(m in e.message for m in ("lfit", "mfit", "fill", "pad", "fixed"))


def test_a_bare_enum_value_names_the_action():
    # format is a single-value action; spec vectors: format,dng -> EC 0040-00000206.
    e = _err("image/format,dng")
    assert (e.code, e.ec) == ("InvalidArgument", "0040-00000206")
    assert e.message.startswith("The value: dng of parameter: format is invalid.")


def test_colours_are_six_hex_digits_upper_cased():
    op = parse("image/resize,w_10,m_pad,color_ff00aa").steps[0]
    assert op.color == "FF00AA"
    assert "color_FF00AA" in op.to_string().split(",")
    for raw in ("ff00a", "ff00aa0", "gg0000", "#ff000"):
        e = _err(f"image/resize,w_10,m_pad,color_{raw}")
        assert (e.code, e.key, e.ec) == ("InvalidArgument", "color", None)  # no EC published
        assert e.message.startswith(f"The value: {raw} of parameter: color is invalid.")
        assert "RRGGBB" in e.message


def test_watermark_text_is_at_most_64_bytes_decoded():
    # spec: decoded text <= 64 bytes (about 21 CJK characters: 21 x 3 = 63 bytes).
    for text in ("a" * 64, "中" * 21 + "a"):
        assert len(text.encode()) == 64
        op = parse("image/watermark,text_" + b64encode_text(text)).steps[0]
        assert op.text == text
    for text in ("a" * 65, "中" * 22):
        raw = b64encode_text(text)
        e = _err("image/watermark,text_" + raw)
        assert (e.code, e.ec, e.key) == ("InvalidArgument", "0040-00000257", "text")
        assert e.message.startswith(f"The value: {raw} of parameter: text is invalid.")


@pytest.mark.parametrize("raw", ["5LitYQ", "5LitYQ==", "5LitYQ="])
def test_base64_padding_is_optional(raw):
    # "中a" in URL-safe base64 is 5LitYQ== (RFC 4648); OSS drops the padding.
    assert b64decode_text(raw) == "中a"
    assert b64encode_text("中a") == "5LitYQ"


@pytest.mark.parametrize("raw", ["5Lit", "5Lit=", "5Lit=="])
def test_up_to_two_trailing_equals_are_ignored_whatever_the_length(raw):
    # "中" is 5Lit (4 characters, no padding due); one or two "=" after it are padding
    # too many but still only padding: the decoder strips them (three are refused below).
    assert b64decode_text(raw) == "中"


@pytest.mark.parametrize("raw", ["", "5LitY", "5L+tYQ", "5L/tYQ", "5LitYQ===", "_w"])
def test_bad_base64_is_refused(raw):
    with pytest.raises(OssError) as err:
        b64decode_text(raw, "text", "0040-00000257")
    e = err.value
    assert (e.code, e.ec, e.key) == ("InvalidArgument", "0040-00000257", "text")
    assert e.message == "Input is not base64 decoding."


@pytest.mark.parametrize("process,key,ec", [
    ("image/blur,s_2", "r", "0040-00000241"), ("image/blur,r_3", "s", "0040-00000242"),
    ("image/circle", "r", "0040-00000233")])
def test_a_required_key_left_out_is_missing_argument_with_its_ec(process, key, ec):
    e = _err(process)
    assert (e.code, e.status, e.ec, e.key, e.step) == ("MissingArgument", 400, ec, key, 0)
    assert key in e.message


def test_given_lists_only_the_set_keys_in_declaration_order():
    op = parse("image/blur,s_2,r_3").steps[0]
    assert [(s.key, v) for s, v in op.given()] == [("r", 3), ("s", 2)]
    assert op.get("r") == 3
    resize = parse("image/resize,w_10").steps[0]
    assert resize.get("m") == "lfit"      # spec: resize m defaults to lfit
    assert resize.get("w") == 10


def test_uses_objects_only_for_an_image_watermark():
    wm = parse("image/watermark,image_" + b64encode_text("logo.png")).steps[0]
    text = parse("image/watermark,text_" + b64encode_text("hi")).steps[0]
    assert wm.uses_objects() is True
    assert text.uses_objects() is False
    assert parse("image/resize,w_10").steps[0].uses_objects() is False


def test_uses_objects_is_false_for_other_base64_keys(registry_guard):
    @operation("zz-label", "Label")
    class Label(Operation):
        label: str = param(Kind.BASE64, "Label")

    assert parse("image/zz-label,label_" + b64encode_text("x")).steps[0].uses_objects() is False


# RFC 4648 section 10 test vectors, with OSS's URL-safe alphabet and no padding.
RFC4648 = [("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
           ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
           ("~~~", "fn5-"), ("???", "Pz8_"),   # '+' -> '-', '/' -> '_'
           ("ooW", "b29X")]   # only '=' padding comes off, never a final letter


@pytest.mark.parametrize("text,encoded", RFC4648)
def test_base64_vectors(text, encoded):
    assert b64encode_text(text) == encoded
    assert b64decode_text(encoded) == text
    padded = encoded + "=" * (-len(encoded) % 4)
    assert b64decode_text(padded) == text


def test_the_canonical_colour_is_upper_case_whoever_built_the_step():
    from_form = Resize(w=10, m="pad", color="ff00aa")
    from_url = parse("image/resize,w_10,m_pad,color_FF00AA").steps[0]
    assert from_form.to_string() == from_url.to_string()
    assert Resize.spec("color").validate("ff00aa") == "FF00AA"
