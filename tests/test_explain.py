"""`explain` unit tests: taking URLs apart, reading OSS error XML, diffs, text/JSON, CLI.

Expected values come from the OSS documentation examples (URL forms, region ids, the
error XML of spec section 5) and from the official SDKs (see test_explain_sdk.py for the
end-to-end cases); none is a snapshot of our own output.
"""
from __future__ import annotations

import base64
import json
from datetime import timedelta, timezone

import pytest

from core.cli.main import main
from core.oss.credentials import Credentials
from core.oss.explain import explain, parse_error_xml
from core.oss.explain_render import carets, render_json, render_text
from core.oss.explain_strings import char_spans, diff_strings
from core.oss.explain_url import human_duration, parse_url, relative
from core.oss.signing import presign
from core.oss.urls import BucketAddress
from core.errors import OssError

NOW = 1700000000  # 2023-11-14T22:13:20Z
CREDS = Credentials("LTAI5tUnitKey000001", "Unit+Secret/01=")
HZ = BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", "example-bucket", https=True)


def signed(key="cat.jpg", version="v4", **kw):
    return presign(HZ, key, CREDS, version=version, now=NOW, **kw).url


# ----------------------------------------------------------------------------- anatomy

@pytest.mark.parametrize("url,style,bucket,endpoint,region,key", [
    ("https://example-bucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg",
     "virtual-hosted", "example-bucket", "oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou",
     "photos/cat.jpg"),
    ("https://example-bucket.oss-cn-shanghai-internal.aliyuncs.com/a.png",
     "virtual-hosted", "example-bucket", "oss-cn-shanghai-internal.aliyuncs.com",
     "cn-shanghai", "a.png"),
    ("https://example-bucket.cn-hangzhou.oss.aliyuncs.com/a.png",  # dual-stack
     "virtual-hosted", "example-bucket", "cn-hangzhou.oss.aliyuncs.com", "cn-hangzhou", "a.png"),
    ("https://oss-us-west-1.aliyuncs.com/example-bucket/dir/a%20b.jpg",
     "path", "example-bucket", "oss-us-west-1.aliyuncs.com", "us-west-1", "dir/a b.jpg"),
    ("http://127.0.0.1:9000/example-bucket/a+b.jpg",
     "ip", "example-bucket", "127.0.0.1:9000", None, "a+b.jpg"),
    ("http://example-bucket.localhost:9000/%E7%8C%AB.jpg",
     "virtual-hosted", "example-bucket", "localhost:9000", None, "猫.jpg"),
    ("https://img.example.com/cat.jpg", "cname", None, None, None, "cat.jpg"),
])
def test_address_styles(url, style, bucket, endpoint, region, key):
    a = parse_url(url)
    assert a.parseable
    assert (a.address.style, a.address.bucket, a.address.endpoint, a.address.region,
            a.key) == (style, bucket, endpoint, region, key)


def test_key_keeps_its_encoded_form_and_plus_is_a_plus():
    a = parse_url("https://example-bucket.oss-cn-hangzhou.aliyuncs.com/my+photo%20%2B1.jpg")
    assert a.key == "my+photo +1.jpg" and a.key_encoded == "my+photo%20%2B1.jpg"


def test_cname_bucket_and_region_given():
    a = parse_url("https://img.example.com/cat.jpg", bucket="example-bucket",
                  region="cn-beijing")
    assert (a.address.bucket, a.address.bucket_source) == ("example-bucket", "given")
    assert (a.address.region, a.address.region_source) == ("cn-beijing", "given")


@pytest.mark.parametrize("url", ["", "ftp://host/x", "not a url", "http:///nohost",
                                 "https://h:99999/x", "https://b.oss-cn-hangzhou.aliyuncs.com/%FF"])
def test_unparseable_urls(url):
    report = explain(url, now=NOW)
    assert report.verdict == "unparseable" and report.exit_status == 1
    assert report.summary.startswith("InvalidURI")


def test_process_steps_canonical_and_style():
    url = ("https://example-bucket.oss-cn-hangzhou.aliyuncs.com/cat.jpg?x-oss-process="
           "image/resize,h_100,w_200/quality,Q_80")
    p = parse_url(url).process
    assert p.kind == "image" and p.steps == ("resize,w_200,h_100", "quality,Q_80")
    assert p.canonical == "image/resize,w_200,h_100/quality,Q_80"
    assert "/" in p.unencoded and "," in p.unencoded
    style = parse_url(url.split("?")[0] + "?x-oss-process=style%2Fthumb_small").process
    assert (style.kind, style.style, style.raw) == ("style", "thumb_small", "style%2Fthumb_small")


def test_process_error_in_oss_terms():
    url = "https://b1c.oss-cn-hangzhou.aliyuncs.com/k.jpg?x-oss-process=image/resize,w_0/blur,r_3,s_2"
    err = parse_url(url).process.error
    # OSS wording for a bad value (spec oss-img.md): "The value: 0 of parameter: w is invalid."
    assert err["code"] == "InvalidArgument" and err["message"].startswith(
        "The value: 0 of parameter: w is invalid.")
    assert (err["step"], err["key"]) == (0, "w")


def test_separator_readings():
    a = parse_url("https://example-bucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg!thumb")
    assert [(c.separator, c.key, c.style) for c in a.separators] == [("!", "photos/cat.jpg", "thumb")]
    assert parse_url("https://example-bucket.oss-cn-hangzhou.aliyuncs.com/my-photo.jpg").separators == ()


def test_v4_signature_parts_and_times():
    url = signed(process="image/resize,w_100", expires=900)
    report = explain(url, now=NOW + 60, tz=timezone(timedelta(hours=8), "CST"))
    s = report.anatomy.signature
    assert (s.version, s.access_key_id, s.scope_region, s.scope) == (
        "v4", CREDS.access_key_id, "cn-hangzhou", "20231114/cn-hangzhou/oss/aliyun_v4_request")
    assert (s.signed_at, s.expires_at) == (NOW, NOW + 900)
    assert report.times["expires_at"] == "2023-11-14 22:28:20 UTC"
    assert report.times["expires_at_local"] == "2023-11-15 06:28:20 CST"
    assert report.times["expires_relative"] == "in 14 min"
    assert report.times["signed_relative"] == "1 min ago"


def test_v1_signature_parts():
    url = presign(HZ, "cat.jpg", Credentials("STS.key000000001", "s3cret000", "tok+en/=1"),
                  version="v1", now=NOW, process="image/resize,w_10").url
    s = parse_url(url).signature
    assert (s.version, s.expires_at, s.sts_token) == ("v1", NOW + 3600, True)
    assert s.signed_params == ("security-token", "x-oss-process")


def test_durations():
    assert human_duration(3725) == "1 h 2 min"
    assert human_duration(59) == "59 s"
    assert human_duration(86400 * 2 + 5) == "2 d"
    assert relative(NOW - 90, NOW) == "1 min 30 s ago"
    assert relative(NOW + 3600, NOW) == "in 1 h"


# ----------------------------------------------------------------------------- checks without OSS

def test_expired_relative_to_now_without_error_xml():
    report = explain(signed(expires=60), now=NOW + 3600, credentials=CREDS)
    assert report.verdict == "invalid" and report.cause_ids == ["expired"]
    assert report.causes[0].detail == "expired 59 min before now"


def test_region_mismatch_seen_from_the_endpoint_alone():
    url = signed(region="cn-beijing")
    report = explain(url, now=NOW)
    assert report.cause_ids == ["region"] and report.verdict == "invalid"


def test_credentials_for_another_key_are_not_used():
    other = Credentials("LTAI5tSomeoneElse0001", "x")
    report = explain(signed(), now=NOW, credentials=other)
    assert report.verdict == "unchecked" and "signature_matches" not in report.check
    assert any("not recomputed" in n for n in report.notes)


def test_sts_credentials_but_no_token_in_url():
    sts = Credentials(CREDS.access_key_id, CREDS.access_key_secret, "token123")
    report = explain(signed(), now=NOW, credentials=sts)
    assert "sts-token-missing" in report.cause_ids


def test_unsigned_url():
    report = explain("https://example-bucket.oss-cn-hangzhou.aliyuncs.com/cat.jpg", now=NOW)
    assert report.verdict == "unsigned" and report.exit_status == 0


# ----------------------------------------------------------------------------- error XML

DOC_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Error xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <Code>SignatureDoesNotMatch</Code>
  <Message>The request signature we calculated does not match the signature you provided.</Message>
  <RequestId>646DCB189AE2D1333018****</RequestId>
  <HostId>example-bucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <StringToSign>GET


1700003600
/example-bucket/cat.jpg</StringToSign>
  <StringToSignBytes>47 45 54 0A 0A 0A 31 37 30 30 30 30 33 36 30 30 0A 2F 65 78 61 6D 70 6C 65 2D 62 75 63 6B 65 74 2F 63 61 74 2E 6A 70 67</StringToSignBytes>
  <EC>0002-00000040</EC>
</Error>"""


def test_error_xml_as_documented_namespace_and_bytes():
    e = parse_error_xml(DOC_XML)
    assert (e.code, e.ec, e.request_id) == ("SignatureDoesNotMatch", "0002-00000040",
                                            "646DCB189AE2D1333018****")
    assert e.string_to_sign == "GET\n\n\n1700003600\n/example-bucket/cat.jpg"


def test_error_xml_bytes_win_over_the_text():
    # the text lost its empty lines (a copy and paste); the Bytes form keeps them
    xml = DOC_XML.replace("GET\n\n\n1700003600", "GET\n1700003600")
    assert parse_error_xml(xml).string_to_sign == "GET\n\n\n1700003600\n/example-bucket/cat.jpg"


def test_error_xml_from_the_x_oss_err_header():
    header = base64.b64encode(DOC_XML.encode()).decode()
    assert parse_error_xml(header).code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("text", ["<Error><Code>", "%%%", "<NotError/>"])
def test_bad_error_xml(text):
    with pytest.raises(OssError) as err:
        parse_error_xml(text)
    assert err.value.code == "InvalidArgument" and err.value.key == "error-xml"


def test_custom_domain_bucket_read_from_the_error_xml():
    url = presign(BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", "example-bucket",
                                              cname="img.example.com"),
                  "cat.jpg", CREDS, version="v1", now=NOW).url
    xml = DOC_XML.replace("1700003600", parse_url(url).params["Expires"])
    report = explain(url, now=NOW, credentials=CREDS, error_xml=xml)
    assert (report.anatomy.address.bucket, report.anatomy.address.bucket_source) == (
        "example-bucket", "error XML")
    # same strings, the URL verifies with our secret: the secret at OSS is another
    assert report.cause_ids == ["wrong-secret"] and report.ours.confirmed


def test_non_auth_error_means_the_signature_was_accepted():
    xml = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
    report = explain(signed(), now=NOW, credentials=CREDS, error_xml=xml)
    assert report.verdict == "valid" and any("NoSuchKey" in n for n in report.notes)


# ----------------------------------------------------------------------------- diff

def test_char_spans_group_a_changed_word():
    a, b = "20231114/cn-hangzhou/oss", "20231114/cn-beijing/oss"
    sa, sb = char_spans(a, b)
    assert [a[x:y] for x, y in sa] == ["hangzhou"] and [b[x:y] for x, y in sb] == ["beijing"]


def test_line_diff_kinds_and_labels():
    d = diff_strings("v1", "StringToSign", "PUT\n\nimage/jpeg\n1\n/b/k", "PUT\n\n\n1\n/b/k")
    kinds = [(line.kind, line.label) for line in d.lines]
    assert ("changed", "Content-Type") in kinds and not d.equal
    changed = next(line for line in d.lines if line.kind == "changed")
    assert changed.server_spans == ((0, 10),) and changed.ours_spans == ((0, 0),)


def test_carets_align_under_wide_characters():
    text = "/b/猫 a.jpg"
    assert carets(text, [(5, 6)]) == " " * 6 + "^"   # 猫 takes two columns


# ----------------------------------------------------------------------------- rendering and CLI

def test_text_and_json_carry_the_same_verdict_and_no_secret():
    sts = Credentials("STS.key000000001", "TopSecret0001", "TOKEN+value/=9")
    url = presign(HZ, "cat.jpg", sts, version="v4", now=NOW).url
    report = explain(url, now=NOW + 1, credentials=sts)
    text, data = render_text(report), json.loads(render_json(report))
    assert text.startswith("VALID: ") and data["verdict"] == "valid"
    for secret in ("TopSecret0001", "TOKEN+value/=9", "TOKEN%2Bvalue%2F%3D9"):
        assert secret not in text and secret not in json.dumps(data)


def test_cli_exit_status_and_json(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", CREDS.access_key_id)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", CREDS.access_key_secret)
    monkeypatch.delenv("OSS_SESSION_TOKEN", raising=False)
    monkeypatch.setattr("core.cli.explain.time.time", lambda: NOW + 10)
    assert main(["explain", signed()]) == 0
    assert capsys.readouterr().out.startswith("VALID: ")
    broken = signed().replace("cat.jpg", "dog.jpg")
    assert main(["explain", broken, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["verdict"] == "invalid"
    assert main(["explain", "ftp://nope"]) == 1
    assert capsys.readouterr().out.startswith("UNPARSEABLE: ")
    xml = tmp_path / "err.xml"
    xml.write_text("<Error><Code>SignatureDoesNotMatch</Code></Error>")
    monkeypatch.delenv("OSS_ACCESS_KEY_ID")
    assert main(["explain", signed(), "--error-xml", str(xml), "--header", "x-oss-meta-a:1",
                 "--method", "get"]) == 1
    assert main(["explain", signed(), "--header", "nocolon"]) == 1
    assert "InvalidArgument" in capsys.readouterr().err


def test_signed_headers_are_those_sent_that_the_signature_covers():
    host = "example-bucket.oss-cn-hangzhou.aliyuncs.com"
    sent = {"Content-Type": "image/jpeg", "x-oss-meta-a": "1", "Host": host,
            "User-Agent": "curl/8"}
    url = presign(HZ, "a.jpg", CREDS, version="v4", method="PUT", now=NOW, headers=sent,
                  additional_headers=["host"]).url
    report = explain(url, now=NOW, method="PUT", headers=sent, credentials=CREDS)
    assert report.verdict == "valid"
    assert report.signed_headers == ("content-type", "host", "x-oss-meta-a")
    # the Host header is taken from the URL when not given
    assert explain(url, now=NOW, method="PUT", credentials=CREDS,
                   headers={"Content-Type": "image/jpeg", "x-oss-meta-a": "1"}).valid


def test_additional_header_listed_but_not_sent():
    url = presign(HZ, "a.jpg", CREDS, version="v4", now=NOW, headers={"X-Custom": "1"},
                  additional_headers=["x-custom"]).url
    assert explain(url, now=NOW, credentials=CREDS, headers={"X-Custom": "1"}).valid
    report = explain(url, now=NOW, credentials=CREDS)
    assert report.verdict == "invalid" and report.cause_ids == ["header-signed-not-sent"]
