"""core.oss.verify against the official SDKs: URLs and headers they sign are accepted, broken
ones refused with OSS's codes (see tests/test_signing.py for the signing matrix)."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from core.oss.credentials import Credentials
from core.errors import OssError
from core.oss import signing, verify
from core.oss.signing import (presign_v1, presign_v4, sign_headers_v1, sign_headers_v4,
                              string_to_sign_v1)

from tests.signing_env import (BUCKET, FORMS, HEADER_CASES, NOW, PLAIN, REGION, STS, creds_of,
                               oss2_headers, our_address, v2_headers, decoded, oss2_presign, v2_presign)
from tests.signing_env import frozen_sdk_clocks  # noqa: F401 (the autouse fixture)


# ----------------------------------------------------------------------------- verification

def _lookup(*triples):
    table = {t[0]: Credentials(*t) for t in triples}
    return table.get


def _request_of(url: str):
    _, host, path, query = decoded(url)
    return host, path, query


def _bucket_key(path: str, form: str):
    if form in ("path-style", "ip-port"):
        _, bucket, key = path.split("/", 2)
        return bucket, key
    return BUCKET, path[1:]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("triple", [PLAIN, STS], ids=["ak", "sts"])
@pytest.mark.parametrize("sdk", ["oss2", "v2"])
def test_verifier_accepts_sdk_v4_urls(sdk, triple, form):
    key, process = "猫/a b+c.jpg", "image/resize,w_100/watermark,text_SGk+Pz8="
    url = (oss2_presign if sdk == "oss2" else v2_presign)(form, triple, "v4", key, process)
    host, path, query = _request_of(url)
    bucket, key_seen = _bucket_key(path, form)
    verified = verify.verify_request("GET", bucket, key_seen, query, {"Host": host},
                                      _lookup(PLAIN, STS), now=NOW + 10, region=REGION)
    assert verified.access_key_id == triple[0] and verified.version == "v4"
    assert verified.security_token == triple[2]


@pytest.mark.parametrize("triple", [PLAIN, STS], ids=["ak", "sts"])
def test_verifier_v1_accepts_oss2_and_rejects_v2_sdk_process_urls(triple):
    key, process = "a.jpg", "image/resize,w_100"
    good = _request_of(oss2_presign("virtual-https", triple, "v1", key, process))[2]
    assert verify.verify_request("GET", BUCKET, key, good, {}, _lookup(PLAIN, STS),
                                  now=NOW).version == "v1"
    bad = _request_of(v2_presign("virtual-https", triple, "v1", key, process))[2]
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, key, bad, {}, _lookup(PLAIN, STS), now=NOW)
    assert err.value.code == "SignatureDoesNotMatch" and err.value.ec == "0002-00000040"
    assert "x-oss-process=image/resize,w_100" in err.value.details["StringToSign"]


def test_verifier_accepts_sdk_header_signatures():
    method, key, query, headers, sub_resource = HEADER_CASES["put-style"]
    lookup = _lookup(PLAIN, STS)
    for triple in (PLAIN, STS):
        for version in ("v1", "v4"):
            sent = oss2_headers(version, triple, method, key, query, headers)
            assert verify.verify_request(method, BUCKET, key, query, dict(sent), lookup,
                                          now=NOW + 60, region=REGION).version == version
        sent = v2_headers("v4", triple, method, key, query, headers, sub_resource)
        assert verify.verify_request(method, BUCKET, key, query, dict(sent), lookup,
                                      now=NOW - 60, region=REGION).via == "header"
    # V2 SDK V1 header mode with STS: bare security-token header, accepted (documented).
    sent = v2_headers("v1", STS, method, key, query, headers, sub_resource)
    assert verify.verify_request(method, BUCKET, key, query, dict(sent), lookup,
                                  now=NOW).security_token == STS[2]


def _v4_query(**changes):
    signed = presign_v4(our_address("virtual-https"), "k.jpg", creds_of(STS), now=NOW, expires=600,
                        params={"x-oss-process": "image/resize,w_10"})
    query = _request_of(signed.url)[2]
    query.update(changes)
    return {k: v for k, v in query.items() if v is not None}


def _verify(query, now=NOW, region=REGION, method="GET", key="k.jpg"):
    return verify.verify_request(method, BUCKET, key, query, {}, _lookup(PLAIN, STS),
                                  now=now, region=region)


@pytest.mark.parametrize("changes,now,code,ec", [
    ({}, NOW + 601, "AccessDenied", "0002-00000069"),
    ({}, NOW - 15 * 60 - 1, "AccessDenied", "0002-00000235"),
    ({"x-oss-expires": "604801"}, NOW, "AccessDenied", "0002-00000070"),
    ({"x-oss-expires": "abc"}, NOW, "AccessDenied", "0002-00000070"),
    ({"x-oss-security-token": None}, NOW, "InvalidAccessKeyId", "0002-00000003"),
    ({"x-oss-security-token": "forged"}, NOW, "InvalidAccessKeyId", "0002-00000008"),
    ({"x-oss-process": "image/resize,w_11"}, NOW, "SignatureDoesNotMatch", "0002-00000201"),
    ({"cache-buster": "1"}, NOW, "SignatureDoesNotMatch", "0002-00000201"),
    ({"x-oss-credential": "STS.NTestKeyId1234/20231114//oss/aliyun_v4_request"}, NOW,
     "AccessDenied", "0002-00000224"),
    ({"x-oss-credential": "NOPE/20231114/cn-hangzhou/oss/aliyun_v4_request"}, NOW,
     "InvalidAccessKeyId", None),
])
def test_verifier_v4_failures(changes, now, code, ec):
    with pytest.raises(OssError) as err:
        _verify(_v4_query(**changes), now=now)
    assert (err.value.code, err.value.ec, err.value.status) == (code, ec, 403)


def test_verifier_v4_edges_are_inclusive():
    assert _verify(_v4_query(), now=NOW + 600)
    assert _verify(_v4_query(), now=NOW - 15 * 60)


def test_verifier_mismatch_details_carry_server_strings():
    query = _v4_query(**{"x-oss-process": "image/resize,w_11"})
    with pytest.raises(OssError) as err:
        _verify(query)
    details = err.value.details
    # Spec (oss-signing.md, V4): method, URI-encoded "/bucket/key", the query (every
    # parameter but the signature, RFC 3986-encoded, sorted by encoded name), no canonical
    # headers for a presigned GET, no additional headers, UNSIGNED-PAYLOAD.
    enc = lambda t: quote(t, safe="-_.~")  # noqa: E731
    pairs = sorted((enc(k), enc(v)) for k, v in query.items() if k != "x-oss-signature")
    expected = "\n".join(["GET", f"/{BUCKET}/k.jpg", "&".join(f"{k}={v}" for k, v in pairs),
                          "", "", "UNSIGNED-PAYLOAD"])
    assert "x-oss-process=image%2Fresize%2Cw_11" in expected
    assert details["CanonicalRequest"] == expected
    assert details["StringToSign"].endswith(hashlib.sha256(expected.encode()).hexdigest())
    assert details["StringToSignBytes"].startswith("4F 53 53 34")  # "OSS4"
    xml = err.value.to_xml("req-1", "host")
    assert "<StringToSign>" in xml and "<EC>0002-00000201</EC>" in xml


def test_verifier_region_is_the_servers():
    with pytest.raises(OssError) as err:
        _verify(_v4_query(), region="cn-beijing")
    assert err.value.code == "SignatureDoesNotMatch"
    assert "/cn-beijing/oss/" in err.value.details["StringToSign"]
    with pytest.raises(OssError):
        _verify(_v4_query(), region="")


def test_verifier_v1_expiry_and_tamper():
    signed = presign_v1(our_address("virtual-https"), "k.jpg", creds_of(PLAIN), now=NOW, expires=60,
                        params={"x-oss-process": "image/resize,w_10"})
    query = _request_of(signed.url)[2]
    assert _verify(query, now=NOW + 60).version == "v1"
    with pytest.raises(OssError) as err:
        _verify(query, now=NOW + 61)
    assert (err.value.code, err.value.ec) == ("AccessDenied", "0002-00000069")
    # V1 signs only sub-resources: a cache-buster is harmless, a changed process is not.
    assert _verify({**query, "t": "123"})
    with pytest.raises(OssError) as err:
        _verify({**query, "x-oss-process": "image/resize,w_99"})
    assert err.value.ec == "0002-00000040"
    assert err.value.details["StringToSign"] == string_to_sign_v1(
        "GET", BUCKET, "k.jpg", {"x-oss-process": "image/resize,w_99"}, {}, query["Expires"])
    with pytest.raises(OssError) as err:
        _verify({**query, "Expires": "soon"})
    assert err.value.ec == "0002-00000070"


def test_verifier_header_clock_skew_and_missing_date():
    sent = sign_headers_v1("GET", BUCKET, "k.jpg", creds_of(PLAIN), now=NOW).headers
    assert _verify_headers(sent, NOW + 900)
    with pytest.raises(OssError) as err:
        _verify_headers(sent, NOW + 901)
    assert (err.value.code, err.value.ec) == ("RequestTimeTooSkewed", "0002-00000504")
    with pytest.raises(OssError) as err:
        _verify_headers({k: v for k, v in sent.items() if k != "date"}, NOW)
    assert err.value.ec == "0002-00000503"
    v4 = sign_headers_v4("GET", BUCKET, "k.jpg", creds_of(PLAIN), region=REGION, now=NOW).headers
    with pytest.raises(OssError) as err:
        _verify_headers(v4, NOW - 901)
    assert err.value.code == "RequestTimeTooSkewed"
    with pytest.raises(OssError) as err:
        _verify_headers({**v4, "authorization": "Bearer x"}, NOW)
    assert err.value.code == "AccessDenied"


def _verify_headers(headers, now):
    return verify.verify_request("GET", BUCKET, "k.jpg", {}, headers, _lookup(PLAIN, STS),
                                  now=now, region=REGION)


def test_verifier_uses_constant_time_compare(monkeypatch):
    calls = []
    real = signing.hmac.compare_digest
    monkeypatch.setattr(signing.hmac, "compare_digest",
                        lambda a, b: calls.append(1) or real(a, b))
    _verify(_v4_query())
    assert calls


def test_anonymous_request_verifies_to_none():
    assert _verify({"x-oss-process": "image/resize,w_1"}) is None


def test_verifier_v1_header_signature_takes_the_sts_token_from_the_query():
    """The STS token may ride in the query (security-token, a V1 sub-resource that oss2
    signs) instead of x-oss-security-token -- OSS's EC 0002-00000010 refuses only both at
    once. oss2's V1 header signer over such a request is accepted with that token; without
    it the STS key is refused (0002-00000003)."""
    import oss2
    import oss2.http

    key = "k.jpg"
    req = oss2.http.Request("GET", f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/{key}",
                            params={"security-token": STS[2]}, headers={})
    oss2.Auth(STS[0], STS[1])._sign_request(req, BUCKET, key)
    lookup = _lookup(PLAIN, STS)
    verified = verify.verify_request("GET", BUCKET, key, dict(req.params), dict(req.headers),
                                     lookup, now=NOW)
    assert (verified.access_key_id, verified.version) == (STS[0], "v1")
    assert verified.security_token == STS[2]
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, key, {}, dict(req.headers), lookup, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == (
        "InvalidAccessKeyId", 403, "0002-00000003")
