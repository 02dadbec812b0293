"""What the verifier tests share: oss2 signing GET requests with a frozen clock, and the
checks of an OSS refusal (tests/test_verify_errors.py, tests/test_verify_errors_v4.py)."""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import oss2
import oss2.http
import pytest

from core.errors import OssError
from core.oss.credentials import Credentials
from core.oss.verify import verify_request
from tests.sdk_clock import freeze_sdk_clocks

NOW = 1700000000                     # 2023-11-14T22:13:20Z
BUCKET, KEY, REGION = "example-bucket", "k.jpg", "cn-hangzhou"
HOST = f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"
AK = ("LTAI5tVerifyKeyId001", "Verify/Secret+Value=01", None)
STS = ("STS.NVerifyKeyId0002", "StsVerifySecret0002", "CAIS+verify/Token=0002")
PROCESS = "image/resize,w_10"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.")


@pytest.fixture(autouse=True)
def frozen_sdk_clocks(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


def lookup(access_key_id):
    return {t[0]: Credentials(*t) for t in (AK, STS)}.get(access_key_id)


def provider(triple):
    return oss2.credentials.StaticCredentialsProvider(*triple)


def url_query(version: str, triple=AK, expires=600, process=PROCESS, **bucket) -> dict:
    """The decoded query of a URL oss2 presigns for GET KEY (fresh params: oss2 mutates them)."""
    auth = (oss2.ProviderAuthV4 if version == "v4" else oss2.ProviderAuth)(provider(triple))
    region = bucket.pop("region", REGION)
    url = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", BUCKET, region=region,
                      **bucket).sign_url("GET", KEY, expires,
                                         params={"x-oss-process": process} if process else None)
    pairs = (p.partition("=") for p in urlsplit(url).query.split("&") if p)
    return {unquote(k): unquote(v) for k, _, v in pairs}


def signed_headers(version: str, triple=AK, headers=None, additional=None) -> dict:
    """The headers oss2 sends for GET KEY (Date, x-oss-date, Authorization ...)."""
    req = oss2.http.Request("GET", f"https://{HOST}/{KEY}", headers=dict(headers or {}),
                            region=REGION, product="oss")
    if version == "v4":
        oss2.ProviderAuthV4(provider(triple))._sign_request(req, BUCKET, KEY, additional)
    else:
        oss2.ProviderAuth(provider(triple))._sign_request(req, BUCKET, KEY)
    return {k.lower(): v for k, v in req.headers.items()}


def verify(query=None, headers=None, now=NOW, region=REGION):
    return verify_request("GET", BUCKET, KEY, query or {}, headers or {}, lookup, now=now,
                          region=region)


def refused(**kwargs) -> OssError:
    with pytest.raises(OssError) as err:
        verify(**kwargs)
    return err.value


def denied(ec: str, **kwargs) -> OssError:
    e = refused(**kwargs)
    assert (e.code, e.status, e.ec) == ("AccessDenied", 403, ec)
    return e


def names(message: str, what: str) -> bool:
    """The message names ``what`` as a word of its own."""
    return re.search(rf"(?<![\w-]){re.escape(what)}(?![\w-])", message) is not None


def without(mapping: dict, name: str) -> dict:
    return {k: v for k, v in mapping.items() if k != name}


def hex_bytes(text: str) -> str:
    """StringToSignBytes as OSS writes it (spec 5): space-separated upper-case hex."""
    return " ".join("%02X" % b for b in text.encode("utf-8"))


def iso(seconds: int) -> str:
    """The ServerTime/Expires form of OSS's answers, written out for NOW's day."""
    offset = seconds - NOW
    assert 0 <= offset + 3600 < 7200
    minute, second = divmod(13 * 60 + 20 + offset, 60)
    hour, minute = divmod(minute, 60)
    return f"2023-11-14T{22 + hour:02d}:{minute:02d}:{second:02d}.000Z"
