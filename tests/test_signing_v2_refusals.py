"""How the OSS2 (signature version 2) verifier refuses a request, answer by answer.

The oracle is oss2's ``ProviderAuthV2`` (the signer, and its own string to sign), with its
clock frozen; the codes are OSS's: SignatureDoesNotMatch with the elements OSS publishes
(OSSAccessKeyId, SignatureProvided, StringToSign, StringToSignBytes: spec 5), the URL
expiry pages 0002-00000069 (expired, with Expires and ServerTime) and 0002-00000070 (an
x-oss-expires that is not a Unix time), and the STS token pages 0002-00000003 (an STS key
without its token) and 0002-00000008 (a token the key does not have), all HTTP 403. A
token the key does not have says what OSS's STS guide quotes (its FAQ "What do I do if
the The security token you provided is invalid. error message is returned?").
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import oss2
import oss2.http
import pytest

from core.errors import OssError
from core.oss.credentials import Credentials
from core.oss.signing_v2 import verify_header_v2
from core.oss.verify import verify_request
from tests.sdk_clock import freeze_sdk_clocks
from tests.verify_env import MISMATCH, hex_bytes, iso, names, without

NOW = 1700000000                     # 2023-11-14T22:13:20Z
BUCKET, KEY = "example-bucket", "dir/k 1.jpg"
AK = ("LTAI5tOss2RefusalId01", "Oss2/Refusal+Secret=01", None)
STS = ("STS.NOss2RefusalId02", "Oss2StsRefusalSecret02", "CAIS+oss2/Refusal=Token02")
PARAMS = {"x-oss-process": "image/resize,w_10"}
INVALID_TOKEN = "The security token you provided is invalid."


@pytest.fixture(autouse=True)
def frozen_sdk_clocks(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


def lookup(access_key_id):
    return {t[0]: Credentials(*t) for t in (AK, STS)}.get(access_key_id)


def auth(triple):
    return oss2.ProviderAuthV2(oss2.credentials.StaticCredentialsProvider(*triple))


def request():
    return oss2.http.Request("GET", f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/",
                             params=dict(PARAMS), headers={})


def oss2_string_to_sign(signer, req) -> str:
    return signer._ProviderAuthV2__get_string_to_sign(req, BUCKET, KEY, set())


def header_signed(triple=AK):
    """oss2's signed headers and the string it signed."""
    signer, req = auth(triple), request()
    signer._sign_request(req, BUCKET, KEY)
    return dict(req.headers), oss2_string_to_sign(signer, req)


def url_signed(triple=AK, expires=600):
    """The decoded query of oss2's presigned URL and the string it signed."""
    signer, req = auth(triple), request()
    url = signer._sign_url(req, BUCKET, KEY, expires)
    query = {unquote(k): unquote(v) for k, _, v in
             (p.partition("=") for p in urlsplit(url).query.split("&") if p)}
    req.params.pop("x-oss-signature")
    return query, oss2_string_to_sign(signer, req)


def refused(query=None, headers=None, now=NOW) -> OssError:
    with pytest.raises(OssError) as err:
        verify_request("GET", BUCKET, KEY, query or {}, headers or {}, lookup, now=now)
    return err.value


def test_header_mismatch_answers_with_every_element_oss_publishes():
    headers, sts = header_signed()
    provided = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    sig = headers["authorization"].rpartition("Signature:")[2]
    e = refused(query=dict(PARAMS), headers={**headers,
                                             "authorization": headers["authorization"].replace(sig, provided)})
    assert (e.code, e.status, e.message) == ("SignatureDoesNotMatch", 403, MISMATCH)
    assert e.details == {"OSSAccessKeyId": AK[0], "SignatureProvided": provided,
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts)}


def test_url_mismatch_answers_with_the_string_oss2_signed():
    query, sts = url_signed(STS)
    e = refused(query={**query, "x-oss-signature": "forged"})
    assert (e.code, e.status, e.message) == ("SignatureDoesNotMatch", 403, MISMATCH)
    assert e.details == {"OSSAccessKeyId": STS[0], "SignatureProvided": "forged",
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts)}


@pytest.mark.parametrize("expires", ["", "soon", "17000006OO", "1" * 13])
def test_url_whose_x_oss_expires_is_not_a_unix_time(expires):
    query, _ = url_signed()
    e = refused(query={**query, "x-oss-expires": expires})
    assert (e.code, e.status, e.ec) == ("AccessDenied", 403, "0002-00000070")
    assert names(e.message, "x-oss-expires")


def test_url_expires_after_its_x_oss_expires_second_with_both_times():
    query, _ = url_signed(expires=600)
    assert verify_request("GET", BUCKET, KEY, query, {}, lookup, now=NOW + 600)
    e = refused(query=query, now=NOW + 601)
    assert (e.code, e.status, e.ec) == ("AccessDenied", 403, "0002-00000069")
    assert e.details == {"Expires": iso(NOW + 600), "ServerTime": iso(NOW + 601)}


def test_url_security_token_must_match_the_key():
    query, _ = url_signed(STS)
    assert query["security-token"] == STS[2]
    e = refused(query=without(query, "security-token"))
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000003")
    e = refused(query={**query, "security-token": "forged"})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")
    assert e.message == INVALID_TOKEN
    plain, _ = url_signed(AK)
    e = refused(query={**plain, "security-token": STS[2]})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")
    assert e.message == INVALID_TOKEN


def test_header_security_token_must_match_the_key():
    headers, _ = header_signed(STS)
    assert headers["x-oss-security-token"] == STS[2]
    e = refused(query=dict(PARAMS), headers=without(headers, "x-oss-security-token"))
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000003")
    plain, _ = header_signed(AK)
    e = refused(query=dict(PARAMS), headers={**plain, "x-oss-security-token": STS[2]})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")
    assert e.message == INVALID_TOKEN
    e = refused(headers=headers, query={**PARAMS, "security-token": STS[2]})
    assert (e.code, e.ec) == ("InvalidArgument", "0002-00000010")


def test_header_verifier_called_directly_without_an_authorization_header():
    """A request without Authorization has fewer than two OSS2 pairs (the 0002-00000102 page):
    refused as AccessDenied, never a crash."""
    headers, _ = header_signed()
    with pytest.raises(OssError) as err:
        verify_header_v2("GET", BUCKET, KEY, dict(PARAMS), without(headers, "authorization"),
                         lookup, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403,
                                                                "0002-00000102")


def test_header_without_any_date_names_both_date_headers():
    """The 0002-00000503 page: neither Date nor x-oss-date; the answer says which headers."""
    headers, _ = header_signed()
    e = refused(query=dict(PARAMS), headers=without(headers, "date"))
    assert (e.code, e.status, e.ec) == ("AccessDenied", 403, "0002-00000503")
    assert names(e.message, "Date") and names(e.message, "x-oss-date")


def test_url_with_an_unknown_or_no_access_key_id_echoes_what_it_carried():
    """An OSS2 URL whose x-oss-access-key-id is unknown, or absent, is InvalidAccessKeyId
    (403) with OSS's message, echoing the key id the request carried -- nothing when it
    carried none."""
    query, _ = url_signed()
    message = "The OSS Access Key Id you provided does not exist in our records."
    e = refused(query={**query, "x-oss-access-key-id": "LTAI5tNoSuchKeyId99"})
    assert (e.code, e.status, e.message) == ("InvalidAccessKeyId", 403, message)
    assert e.details == {"OSSAccessKeyId": "LTAI5tNoSuchKeyId99"}
    e = refused(query=without(query, "x-oss-access-key-id"))
    assert (e.code, e.status, e.message) == ("InvalidAccessKeyId", 403, message)
    assert e.details == {"OSSAccessKeyId": ""}
    assert "<OSSAccessKeyId></OSSAccessKeyId>" in e.to_xml()
