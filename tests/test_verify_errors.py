"""Every way ``core.oss.verify`` accepts or refuses a request, as OSS answers it.

Requests are signed by oss2 (the official SDK) with a frozen clock, then broken one thing at a
time. For each refusal the test pins the OSS ``Code``, the HTTP status and the ``EC`` of the
OSS error-code pages (https://help.aliyun.com/en/oss/user-guide/<EC>: 0002-00000061 the
Authorization does not start with OSS, 062 no ':' in it, 063 no AccessKeyId, 065 no signature,
066 a bad x-oss-signature-version, 067/068 no or an empty Expires, 069 an expired URL, 070 a
bad expiry, 071 no OSSAccessKeyId, 202 a V4 Authorization without Credential or Signature,
213/224 a malformed V4 credential in the header/URL, 215/217/219 a V4 URL without
x-oss-expires/x-oss-credential/x-oss-signature, 235 a V4 URL used before x-oss-date minus 15
minutes, 502 a Date in ISO form or a V4 x-oss-date in GMT form, 212/223 a credential's
SignDate not yyyymmdd, 503/504/505 no, a skewed, an unreadable request date), and the elements
OSS publishes with it (ServerTime, Expires, RequestTime, OSSAccessKeyId, SignatureProvided,
StringToSign, StringToSignBytes, CanonicalRequest), with the server's strings built here from
the spec (``/work/shared/spec/oss-signing.md`` sections 1.2, 2.2, 2.3, 5)."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import oss2
import pytest

from core.errors import OssError
from core.oss.verify import (Verified, verify_header_v1, verify_header_v4, verify_presigned_v1,
                             verify_presigned_v4, verify_request)
from tests.verify_env import (  # noqa: F401 (frozen_sdk_clocks: the autouse fixture)
    AK, BUCKET, HOST, KEY, MISMATCH, NOW, PROCESS, REGION, STS, denied, frozen_sdk_clocks,
    hex_bytes, iso, lookup, names, provider, refused, signed_headers, url_query, verify,
    without)


# ----------------------------------------------------------------------------- accepted

@pytest.mark.parametrize("triple", [AK, STS], ids=["ak", "sts"])
def test_each_way_of_signing_is_accepted_and_names_who_signed(triple):
    assert verify(url_query("v1", triple)) == Verified(triple[0], "v1", "query", triple[2])
    assert verify(url_query("v4", triple)) == Verified(triple[0], "v4", "query", triple[2])
    assert verify(headers=signed_headers("v1", triple)) == Verified(triple[0], "v1", "header",
                                                                    triple[2])
    assert verify(headers=signed_headers("v4", triple)) == Verified(triple[0], "v4", "header",
                                                                    triple[2])


def test_each_verifier_called_directly_accepts_its_own_kind():
    args = ("GET", BUCKET, KEY)
    assert verify_presigned_v1(*args, url_query("v1"), {}, lookup, now=NOW).version == "v1"
    assert verify_presigned_v4(*args, url_query("v4"), {}, lookup, now=NOW,
                               region=REGION).via == "query"
    assert verify_header_v1(*args, {}, signed_headers("v1"), lookup, now=NOW).via == "header"
    assert verify_header_v4(*args, {}, signed_headers("v4"), lookup, now=NOW,
                            region=REGION).version == "v4"


def test_an_anonymous_request_is_not_verified():
    assert verify({"x-oss-process": PROCESS}, {"Host": HOST}) is None


# ----------------------------------------------------------------------------- V1 in the URL

@pytest.mark.parametrize("change,ec,named", [
    (lambda q: without(q, "OSSAccessKeyId"), "0002-00000071", "OSSAccessKeyId"),
    (lambda q: without(q, "Expires"), "0002-00000067", "Expires"),
    (lambda q: {**q, "Expires": ""}, "0002-00000068", "Expires"),
    (lambda q: {**q, "Expires": "abc"}, "0002-00000070", "Expires"),   # the 070 page's example
    (lambda q: {**q, "Expires": "1700000600.5"}, "0002-00000070", "Expires"),
], ids=["no-access-key-id", "no-expires", "empty-expires", "expires-abc", "expires-fraction"])
def test_v1_url_without_its_parameters(change, ec, named):
    e = denied(ec, query=change(url_query("v1")))
    assert names(e.message, named)        # the message names the parameter at fault


def test_v1_url_without_a_signature_is_a_mismatch_that_shows_none_was_provided():
    e = refused(query=without(url_query("v1"), "Signature"))
    assert (e.code, e.status, e.ec) == ("SignatureDoesNotMatch", 403, "0002-00000040")
    assert e.details["SignatureProvided"] == ""


def test_v1_url_expires_after_its_expires_second_with_both_times():
    query = url_query("v1", expires=600)
    assert query["Expires"] == str(NOW + 600)
    assert verify(query, now=NOW + 600)
    e = denied("0002-00000069", query=query, now=NOW + 601)
    assert e.message == "Request has expired."
    assert e.details == {"Expires": "2023-11-14T22:23:20.000Z",
                         "ServerTime": "2023-11-14T22:23:21.000Z"}
    assert iso(NOW + 601) == e.details["ServerTime"]


def test_v1_url_of_an_unknown_access_key_id():
    query = {**url_query("v1"), "OSSAccessKeyId": "LTAI5tNobodyKnows001"}
    e = refused(query=query)
    assert (e.code, e.status) == ("InvalidAccessKeyId", 403)
    assert e.message == "The OSS Access Key Id you provided does not exist in our records."
    assert e.details == {"OSSAccessKeyId": "LTAI5tNobodyKnows001"}


def test_v1_url_security_token_must_match_the_key():
    sts = url_query("v1", STS)
    e = refused(query=without(sts, "security-token"))
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000003")
    e = refused(query={**sts, "security-token": "forged"})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")
    e = refused(query={**url_query("v1"), "security-token": STS[2]})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")


def test_v1_url_mismatch_answers_with_the_servers_string_to_sign():
    query = {**url_query("v1"), "x-oss-process": "image/resize,w_11"}
    e = refused(query=query)
    assert (e.code, e.status, e.ec, e.message) == ("SignatureDoesNotMatch", 403,
                                                   "0002-00000040", MISMATCH)
    # Spec 1.2: VERB, Content-MD5, Content-Type, Expires, headers, resource with the decoded
    # sub-resources; the auth parameters are not part of it.
    sts = f"GET\n\n\n{NOW + 600}\n/{BUCKET}/{KEY}?x-oss-process=image/resize,w_11"
    assert e.details == {"OSSAccessKeyId": AK[0], "SignatureProvided": query["Signature"],
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts)}


def test_v1_url_headers_signed_into_it_are_checked():
    """A V1 URL signed for a Content-Type covers it (spec 1.2, line 3)."""
    auth = oss2.ProviderAuth(provider(AK))
    url = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", BUCKET).sign_url(
        "PUT", KEY, 600, headers={"Content-Type": "image/png"})
    query = {unquote(k): unquote(v) for k, _, v in
             (p.partition("=") for p in urlsplit(url).query.split("&"))}
    ok = verify_request("PUT", BUCKET, KEY, query, {"Content-Type": "image/png"}, lookup,
                        now=NOW)
    assert ok.version == "v1"
    with pytest.raises(OssError) as err:
        verify_request("PUT", BUCKET, KEY, query, {"Content-Type": "image/jpeg"}, lookup,
                       now=NOW)
    assert err.value.details["StringToSign"] == f"PUT\n\nimage/jpeg\n{NOW + 600}\n/{BUCKET}/{KEY}"


# ----------------------------------------------------------------------------- V1 in the header

@pytest.mark.parametrize("authorization,ec,named", [
    ("OSSxxx LTAI5tVerifyKeyId001:sig", "0002-00000061", None),   # the 061 page's example
    ("Bearer abc", "0002-00000061", None),
    ("OSS LTAI5tVerifyKeyId001sig", "0002-00000062", "Authorization"),   # no ':'
    ("OSS  :c2lnbmF0dXJl", "0002-00000063", "AccessKeyId"),              # the 063 example
    ("OSS LTAI5tVerifyKeyId001:", "0002-00000065", "signature"),         # the 065 example
])
def test_v1_authorization_header_malformed(authorization, ec, named):
    headers = {**signed_headers("v1"), "authorization": authorization}
    e = denied(ec, headers=headers)
    assert named is None or (names(e.message, named) and names(e.message, "Authorization"))


def test_v1_header_verifier_called_directly_refuses_another_scheme():
    with pytest.raises(OssError) as err:
        verify_header_v1("GET", BUCKET, KEY, {}, {"Authorization": "Bearer x", "Date": "x"},
                         lookup, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403,
                                                                "0002-00000061")
    assert names(err.value.message, "Authorization")


def test_v1_header_without_any_date():
    denied("0002-00000503", headers=without(signed_headers("v1"), "date"))


def test_v1_header_with_an_unreadable_date():
    denied("0002-00000505", headers={**signed_headers("v1"), "date": "yesterday"})


def test_v1_header_date_in_iso_form_is_the_wrong_form():
    """The 0002-00000502 page: Date must be in GMT form (its example: 20221220T084818Z)."""
    e = denied("0002-00000502", headers={**signed_headers("v1"), "date": "20231114T221320Z"})
    assert names(e.message, "Date")


@pytest.mark.parametrize("offset", [-901, 901])
def test_v1_header_skewed_more_than_15_minutes(offset):
    headers = signed_headers("v1")
    assert verify(headers=headers, now=NOW + offset - (1 if offset > 0 else -1))
    e = refused(headers=headers, now=NOW + offset)
    assert (e.code, e.status, e.ec) == ("RequestTimeTooSkewed", 403, "0002-00000504")
    assert e.details == {"RequestTime": "Tue, 14 Nov 2023 22:13:20 GMT",
                         "ServerTime": iso(NOW + offset)}


def test_v1_header_x_oss_date_is_the_date_that_counts():
    """Spec 1.2 and oss2: with an x-oss-date header, it is the string-to-sign's date line and
    the time checked; the Date header is then neither."""
    headers = signed_headers("v1", headers={"x-oss-date": "Tue, 14 Nov 2023 22:13:20 GMT"})
    stale = {**headers, "date": "Tue, 14 Nov 2023 00:00:00 GMT"}
    assert verify(headers=stale).via == "header"
    e = refused(headers=headers, now=NOW + 901)
    assert e.details["RequestTime"] == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_v1_header_mismatch_answers_with_the_servers_string_to_sign():
    headers = {**signed_headers("v1", headers={"x-oss-meta-a": "1"}), "x-oss-meta-a": "2"}
    e = refused(headers=headers)
    assert (e.code, e.status, e.ec, e.message) == ("SignatureDoesNotMatch", 403,
                                                   "0002-00000040", MISMATCH)
    sts = f"GET\n\n\n{headers['date']}\nx-oss-meta-a:2\n/{BUCKET}/{KEY}"
    provided = headers["authorization"].split(":", 1)[1]
    assert e.details == {"OSSAccessKeyId": AK[0], "SignatureProvided": provided,
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts)}


def test_v1_header_access_key_id_ends_at_the_first_colon():
    # "OSS " + AccessKeyId + ":" + Signature, and an AccessKeyId has no ':' -- so a second
    # ':' belongs to the signature: the key is found and the signature does not match
    headers = signed_headers("v1")
    provided = headers["authorization"].split(":", 1)[1] + ":x"
    headers["authorization"] = f"OSS {AK[0]}:{provided}"
    e = refused(headers=headers)
    assert (e.code, e.ec) == ("SignatureDoesNotMatch", "0002-00000040")
    assert (e.details["OSSAccessKeyId"], e.details["SignatureProvided"]) == (AK[0], provided)


def test_v1_header_of_an_unknown_access_key_id():
    headers = signed_headers("v1", ("LTAI5tNobodyKnows001", "s", None))
    e = refused(headers=headers)
    assert (e.code, e.status, e.details) == ("InvalidAccessKeyId", 403,
                                             {"OSSAccessKeyId": "LTAI5tNobodyKnows001"})


# ----------------------------------------------------------------------------- which verifier

def test_a_signed_header_wins_over_signature_parameters_in_the_url():
    # V1 signs only sub-resources, none of which a V4 URL without a process carries.
    query = url_query("v4", process=None)
    assert verify(query, signed_headers("v1")) == Verified(AK[0], "v1", "header", None)
    # V4 signs every parameter: the header's check (EC 201), not the V1 URL's (EC 040).
    assert refused(query=url_query("v1"), headers=signed_headers("v4")).ec == "0002-00000201"


@pytest.mark.parametrize("query,ec", [
    ({"OSSAccessKeyId": AK[0]}, "0002-00000067"),        # V1, by its access key id alone
    ({"Signature": "c2ln"}, "0002-00000071"),            # V1, by its signature alone
    ({"x-oss-credential": "x"}, "0002-00000066"),        # V4, by its credential alone
    ({"x-oss-signature": "ab"}, "0002-00000066"),        # V4, by its signature alone
])
def test_a_url_is_taken_as_v1_or_v4_by_any_of_its_parameters(query, ec):
    denied(ec, query=query)
