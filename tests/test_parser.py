"""Parser and canonical serializer: tables of valid and invalid input (thumbor style),
and properties built from the same declarations the parser reads."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from tests.hypothesis_profiles import examples


from core.cascade import Cascade, parse, resolve, to_string
from core.errors import OssError
from core.params import REGISTRY, Kind, b64decode_text, b64encode_text


# -- published invalid-parameter examples (oss-img-vectors.md #18) -------------------------
INVALID = [
    ("image/resize,w_0", "0040-00000312"),
    ("image/resize,p_0", "0040-00000317"),
    ("image/resize,s_0", "0040-00000315"),
    ("image/resize,w_0,h_0", "0040-00000321"),
    ("image/resize,w_100,m_abc", "0040-00000311"),
    ("image/crop,x_100,y_50,w_100,h_-1", "0040-00000226"),
    ("image/indexcrop,x_0,i_0", "0040-00000230"),
    ("image/circle,r_5000", "0040-00000233"),
    ("image/rounded-corners,r_5000", "0040-00000237"),
    ("image/rotate,400", "0040-00000217"),
    ("image/rotate,90,200,300", "0040-00000203"),
    ("image/bright,200", "0040-00000246"),
    ("image/sharpen,10", "0040-00000280"),
    ("image/blur,r_200,s_25", "0040-00000241"),
    ("image/quality,q_200", "0040-00000309"),
    ("image/quality,Q_200", "0040-00000308"),
    ("image/interlace,2", "0040-00000282"),
    ("image/format,dng", "0040-00000206"),
    ("image/auto-orient,10", "0040-00000215"),
    ("image/slim,1", "0040-00000213"),
]


@pytest.mark.parametrize("process,ec", INVALID)
def test_published_invalid_examples(process, ec):
    with pytest.raises(OssError) as info:
        parse(process)
    err = info.value
    assert err.code == "InvalidArgument"
    assert err.status == 400
    assert err.ec == ec
    assert err.step == 0


MISSING = [
    ("image/rotate", "0040-00000216"),
    ("image/format", "0040-00000207"),
    ("image/auto-orient", "0040-00000214"),
    ("image/interlace", "0040-00000281"),
    ("image/quality", "0040-00000307"),
]


@pytest.mark.parametrize("process,ec", MISSING)
def test_action_without_value_is_an_error(process, ec):
    with pytest.raises(OssError) as info:
        parse(process)
    assert info.value.status == 400
    assert info.value.ec == ec


def test_bare_quality_value_is_rejected_with_ec_310():
    with pytest.raises(OssError) as info:
        parse("image/quality,90")
    assert info.value.ec == "0040-00000310"


def test_non_numeric_value_uses_oss_wording():
    with pytest.raises(OssError) as info:
        parse("image/quality,q_image")
    assert info.value.message == (
        "The value: image of parameter: q is invalid.reason:Value must be digit")


def test_key_value_form_of_single_value_action_is_rejected():
    for s in ("image/rotate,a_90", "image/format,f_png"):
        with pytest.raises(OssError):
            parse(s)


def test_sdk_crop_with_unknown_r_key_is_accepted():
    c = parse("image/crop,w_100,h_100,x_100,y_100,r_1")
    assert c.to_string() == "image/crop,w_100,h_100,x_100,y_100"


def test_key_order_does_not_matter_and_later_key_wins():
    assert parse("image/resize,h_100,w_100,m_fixed") == parse("image/resize,m_fixed,w_100,h_100")
    assert parse("image/resize,w_100,w_200").steps[0].w == 200


def test_keys_are_case_sensitive():
    c = parse("image/quality,q_80,Q_70")
    assert (c.steps[0].q, c.steps[0].Q) == (80, 70)


def test_error_locates_the_exact_token():
    s = "image/resize,w_100/crop,x_1,h_-1/rotate,90"
    with pytest.raises(OssError) as info:
        parse(s)
    err = info.value
    assert (err.step, err.action, err.key) == (1, "crop", "h")
    start, end = err.span
    assert s[start:end] == "h_-1"


def test_unknown_action_span_points_at_the_name():
    s = "image/resize,w_10/slim,1"
    with pytest.raises(OssError) as info:
        parse(s)
    start, end = info.value.span
    assert s[start:end] == "slim"


def test_info_cannot_be_combined():
    with pytest.raises(OssError) as info:
        parse("image/info/resize,w_100")
    assert info.value.code == "InvalidArgument"
    assert parse("image/info").steps[0].NAME == "info"


def test_style_reference_and_name_rules():
    assert parse("style/thumb-1.x_y") == Cascade(style="thumb-1.x_y")
    for bad in ("style/Images!tyle", "style/" + "a" * 64, "style/"):
        with pytest.raises(OssError) as info:
            parse(bad)
        assert info.value.status == 400


def test_resolve_style_and_missing_style():
    styles = {"thumb": "image/resize,p_63/quality,q_90"}
    assert resolve(parse("style/thumb"), styles).to_string() == "image/resize,p_63/quality,q_90"
    with pytest.raises(OssError) as info:
        resolve(parse("style/none"), styles)
    assert (info.value.code, info.value.status) == ("NoSuchStyle", 404)


def test_empty_string_is_the_empty_cascade():
    assert parse("") == Cascade()
    assert to_string(Cascade()) == ""


@pytest.mark.parametrize("bad", ["image", "image/", "video/snapshot,t_1", "resize,w_100",
                                 "image/resize,w_100//rotate,90", "image/,", "image/resize,100"])
def test_malformed_strings_give_clean_errors(bad):
    with pytest.raises(OssError):
        parse(bad)


# -- URL-safe base64 (vectors table) -----------------------------------------------------
B64 = [
    ("Hello World", "SGVsbG8gV29ybGQ"),
    ("panda.png", "cGFuZGEucG5n"),
    ("image/panda.png", "aW1hZ2UvcGFuZGEucG5n"),
    ("panda.png?x-oss-process=image/resize,P_30",
     "cGFuZGEucG5nP3gtb3NzLXByb2Nlc3M9aW1hZ2UvcmVzaXplLFBfMzA"),
    ("pics/Koala.jpg?x-oss-process=image/resize,P_20",
     "cGljcy9Lb2FsYS5qcGc_eC1vc3MtcHJvY2Vzcz1pbWFnZS9yZXNpemUsUF8yMA"),
    ("Watermark 1", "V2F0ZXJtYXJrIDE"),
    ("wqy-zenhei", "d3F5LXplbmhlaQ"),
    ("Hello 图片服务!", "SGVsbG8g5Zu-54mH5pyN5YqhIQ"),
]


@pytest.mark.parametrize("plain,encoded", B64)
def test_url_safe_base64_vectors(plain, encoded):
    assert b64encode_text(plain) == encoded
    assert b64decode_text(encoded) == plain
    assert b64decode_text(encoded + "=" * (-len(encoded) % 4)) == plain  # padded form too


@pytest.mark.parametrize("bad", ["", "a", "ab$c", "SGVsbG8+", "////"])
def test_bad_base64_is_invalid_argument(bad):
    with pytest.raises(OssError) as info:
        b64decode_text(bad)
    assert info.value.message == "Input is not base64 decoding."


# -- properties from the declarations ----------------------------------------------------
def _value_strategy(spec):
    if spec.kind in (Kind.INT, Kind.FLAG):
        lo = spec.min if spec.min is not None else 0
        hi = spec.max if spec.max is not None else (1 if spec.kind is Kind.FLAG else 10_000)
        return st.integers(lo, hi)
    if spec.kind is Kind.ENUM:
        return st.sampled_from(spec.choices)
    if spec.kind is Kind.COLOR:
        return st.from_regex(r"[0-9A-F]{6}", fullmatch=True)
    if spec.kind is Kind.BASE64:
        text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
        if spec.max_bytes:
            text = text.filter(lambda t: len(t.encode()) <= spec.max_bytes)
        return text
    raise AssertionError(spec.kind)


@st.composite
def operations(draw, terminal=False):
    names = sorted(n for n, c in REGISTRY.items() if c.TERMINAL == terminal)
    cls = REGISTRY[draw(st.sampled_from(names))]
    for _ in range(50):
        values = {}
        for spec in cls.SPECS:
            if spec.required or cls.SINGLE_VALUE or draw(st.booleans()):
                values[spec.key] = draw(_value_strategy(spec))
        op = cls(**values)
        try:
            op.check()
        except OssError:
            continue
        return op
    from hypothesis import reject
    reject()


cascades = st.one_of(
    st.lists(operations(), min_size=1, max_size=6).map(lambda ops: Cascade(tuple(ops))),
    operations(terminal=True).map(lambda op: Cascade((op,))),
)


def _cascade_ok(c: Cascade) -> bool:
    from core.params import CASCADE_CHECKS
    try:
        for check in CASCADE_CHECKS:
            check(c.steps)
    except OssError:
        return False
    return True


@settings(max_examples=examples(400), deadline=None)
@given(cascades)
def test_round_trip_parse_to_string(cascade):
    from hypothesis import assume
    assume(_cascade_ok(cascade))
    text = cascade.to_string()
    assert parse(text) == cascade
    assert parse(text).to_string() == text  # canonical form is a fixed point


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=80))
def test_fuzz_any_string_gives_cascade_or_oss_error(text):
    try:
        parse(text)
    except OssError as e:
        assert e.code and e.message
    try:
        parse("image/" + text)
    except OssError as e:
        assert e.status in (400, 404, 501)


ALPHABET = st.sampled_from(list("resizwhmlfpcoxyg_,/-0123456789abdtqQnu="))


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_fuzz_grammar_like_strings(text):
    try:
        c = parse("image/" + text)
    except OssError as e:
        if e.span is not None:
            assert 0 <= e.span[0] <= e.span[1] <= len("image/" + text)
    else:
        assert parse(c.to_string()) == c


def test_every_declaration_is_complete():
    for name, cls in REGISTRY.items():
        assert cls.NAME == name and cls.TITLE and cls.HELP
        for spec in cls.SPECS:
            assert spec.title, (name, spec.key)
            if spec.kind is Kind.ENUM:
                assert spec.choices
            if spec.kind in (Kind.INT,):
                assert spec.min is not None and spec.max is not None, (name, spec.key)
