"""Which query parameters V1 signs: every sub-resource either official SDK signs, and nothing
else (spec ``oss-signing.md`` 1.2: oss2's ``ProviderAuth`` list, alibabacloud-oss-v2's
``SignerV1`` fixed set -- which has ``cloudboxes``, oss2 does not -- and "a careful signer
signs the union"). The oracles are the SDKs' own signers, run on the same request with a
frozen clock: the whole Authorization (oss2) and the whole string to sign (v2) must match,
with a value and as a bare name; and the verifier accepts what each SDK signed."""
from __future__ import annotations

import datetime as _dt
from urllib.parse import quote

import alibabacloud_oss_v2 as osv2
import oss2
import oss2.http
import pytest
from alibabacloud_oss_v2.signer.v1 import SignerV1
from alibabacloud_oss_v2.types import HttpRequest, SigningContext

from core.oss.credentials import Credentials
from core.oss.signing import canonical_resource_v1, sign_headers_v1
from core.oss.verify import verify_request
from tests.sdk_clock import freeze_sdk_clocks

NOW = 1700000000
BUCKET, KEY = "example-bucket", "photos/k.jpg"
HOST = f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"
AK = ("LTAI5tSubresKeyId001", "Subres/Secret+Value=01", None)
OSS2_SET = sorted(oss2.ProviderAuth._subresource_key_set)
V2_SET = sorted(SignerV1._subresource_key_set)


@pytest.fixture(autouse=True)
def frozen_sdk_clocks(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


def lookup(access_key_id):
    return Credentials(*AK) if access_key_id == AK[0] else None


def oss2_authorization(params: dict) -> dict:
    req = oss2.http.Request("GET", f"https://{HOST}/{KEY}", params=dict(params), headers={})
    oss2.ProviderAuth(oss2.credentials.StaticCredentialsProvider(*AK))._sign_request(
        req, BUCKET, KEY)
    return {k.lower(): v for k, v in req.headers.items()}


def v2_signed(params: dict) -> SigningContext:
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" if v else quote(k, safe='')
                     for k, v in params.items())
    ctx = SigningContext(product="oss", region="cn-hangzhou", bucket=BUCKET, key=KEY,
                         request=HttpRequest("GET", f"https://{HOST}/{KEY}?{query}"),
                         credentials=osv2.credentials.StaticCredentialsProvider(
                             *AK[:2]).get_credentials(),
                         signing_time=_dt.datetime.fromtimestamp(NOW, _dt.timezone.utc))
    SignerV1().sign(ctx)
    return ctx


@pytest.mark.parametrize("value", ["v1", ""], ids=["valued", "bare"])
def test_every_oss2_subresource_is_signed_as_oss2_signs_it(value):
    for name in OSS2_SET:
        params = {name: value, "max-keys": "10"}        # max-keys is no sub-resource
        ours = sign_headers_v1("GET", BUCKET, KEY, Credentials(*AK), query=params, now=NOW)
        assert ours.headers["authorization"] == oss2_authorization(params)["authorization"], \
            name
        assert ours.string_to_sign.endswith(f"/{BUCKET}/{KEY}?{name}" + (
            f"={value}" if value else "")), name


@pytest.mark.parametrize("value", ["v1", ""], ids=["valued", "bare"])
def test_every_alibabacloud_oss_v2_subresource_is_signed_as_its_signer_v1_signs_it(value):
    for name in V2_SET:
        params = {name: value, "prefix": "a/"}          # prefix is no sub-resource
        ctx = v2_signed(params)
        ours = sign_headers_v1("GET", BUCKET, KEY, Credentials(*AK), query=params, now=NOW)
        assert ours.string_to_sign == ctx.string_to_sign, name
        assert ours.headers["authorization"] == ctx.request.headers["Authorization"], name
        if name == "security-token":    # a token for a key without one is refused
            continue
        # and a request the SDK signed that way is one the verifier accepts
        headers = {k: v for k, v in ctx.request.headers.items()}
        assert verify_request("GET", BUCKET, KEY, params, headers, lookup,
                              now=NOW).access_key_id == AK[0], name


def test_sub_resources_are_sorted_by_name_and_other_parameters_left_out():
    params = {"uploadId": "0004B9894A22E5B1888A1E29F823****", "partNumber": "3",
              "max-keys": "5", "acl": "", "encoding-type": "url"}
    assert canonical_resource_v1(BUCKET, KEY, params) == (
        f"/{BUCKET}/{KEY}?acl&partNumber=3&uploadId=0004B9894A22E5B1888A1E29F823****")
    assert canonical_resource_v1(BUCKET, KEY, {"max-keys": "5", "prefix": "a"}) == \
        f"/{BUCKET}/{KEY}"
    assert canonical_resource_v1(None, None, {"regionList": ""}) == "/?regionList"
