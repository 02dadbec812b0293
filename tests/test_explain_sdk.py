"""`explain` against real failures: official SDK URLs, broken one way, rejected by the server.

Each case signs a URL with oss2 2.19 or alibabacloud-oss-v2 1.4 (clocks frozen at NOW),
breaks it in exactly one of the usual ways, requests it from ``oss-img serve`` in private
mode on loopback (the server's clock is a parameter too), and feeds the server's error XML
to :func:`core.oss.explain.explain`, which must name that cause. The server is reached at
127.0.0.1 with the URL's own Host header (``bucket.oss-cn-hangzhou.aliyuncs.com``; the
server's domain is set to the OSS endpoint), so the URLs are the ones the SDKs make for
OSS itself. Valid URLs from both SDKs are first shown to be accepted by the server, then
explained as valid.
"""
from __future__ import annotations

import base64
import datetime as _dt
import http.client
from urllib.parse import quote, urlsplit

import pytest

import oss2
import oss2.credentials
import alibabacloud_oss_v2 as osv2

from core.oss.credentials import Credentials
from core.oss.explain import explain
from core.serve.runner import serve
from tests.helpers import encode, quadrants
from tests.sdk_clock import freeze_sdk_clocks

NOW = 1700000000  # 2023-11-14T22:13:20Z
REGION = "cn-hangzhou"
DOMAIN = "oss-cn-hangzhou.aliyuncs.com"
BUCKET = "sdk-bucket"
PLAIN = Credentials("LTAI5tExplainKey0001", "Explain+Secret/0001=")
STS = Credentials("STS.NExplainKey00002", "StsExplainSecret0002", "CAIS+explain/Token=02")
IMG = encode(quadrants(40, 30), "JPEG", quality=90)
KEYS = ["cat.jpg", "dir/photo 1.jpg", "a+b.jpg", "猫/写真 テスト.jpg"]
SDKS = ["oss2", "v2"]
VERSIONS = ["v1", "v4"]


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("explain-root")
    for key in KEYS + ["photo 1+2.jpg", "sdk-bucket/cat.jpg"]:
        path = r / BUCKET / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(IMG)
    return r


def _server(root, clock):
    srv = serve(root, "127.0.0.1", 0, "private", (PLAIN, STS), region=REGION, domain=DOMAIN,
                clock=clock)
    srv.start()
    return srv


@pytest.fixture(scope="module")
def server(root):
    srv = _server(root, lambda: NOW + 5)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def late_server(root):
    """Its clock is two hours after the signing time: one-hour URLs have expired."""
    srv = _server(root, lambda: NOW + 7200)
    yield srv
    srv.stop()


# ----------------------------------------------------------------------------- SDKs

def oss2_url(creds: Credentials, version: str, key: str, *, method="GET", process=None,
             headers=None, region=REGION, style="virtual", expires=3600, secret=None,
             token=True) -> str:
    secret = secret or creds.access_key_secret
    tok = creds.security_token if token else None
    if version == "v4":
        auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
            creds.access_key_id, secret, tok))
    elif tok:
        auth = oss2.StsAuth(creds.access_key_id, secret, tok)
    else:
        auth = oss2.Auth(creds.access_key_id, secret)
    endpoint = "http://img.example.com" if style == "cname" else f"http://{DOMAIN}"
    bucket = oss2.Bucket(auth, endpoint, BUCKET, region=region, is_cname=style == "cname",
                         is_path_style=style == "path")
    params = {"x-oss-process": process} if process else None
    return bucket.sign_url(method, key, expires, headers=dict(headers or {}), params=params)


def v2_url(creds: Credentials, version: str, key: str, *, method="GET", process=None,
           content_type=None, region=REGION, style="virtual", expires=3600, secret=None,
           token=True, at=NOW) -> str:
    """``at``: the signing machine's clock (the SDK takes an absolute expiration)."""
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        creds.access_key_id, secret or creds.access_key_secret,
        creds.security_token if token else None)
    cfg.region = region
    cfg.signature_version = version
    cfg.endpoint = "img.example.com" if style == "cname" else DOMAIN
    cfg.disable_ssl = True
    cfg.use_path_style = style == "path"
    cfg.use_cname = style == "cname"
    if method == "PUT":
        request = osv2.models.PutObjectRequest(bucket=BUCKET, key=key, content_type=content_type)
    elif method == "HEAD":
        request = osv2.models.HeadObjectRequest(bucket=BUCKET, key=key)
    else:
        request = osv2.models.GetObjectRequest(bucket=BUCKET, key=key, process=process)
    expiration = _dt.datetime.fromtimestamp(at + expires, _dt.timezone.utc)
    return osv2.Client(cfg).presign(request, expiration=expiration).url


def sdk_url(sdk: str, creds: Credentials, version: str, key: str, **kw) -> str:
    at = kw.pop("at", NOW)
    if sdk == "v2":
        kw["at"] = at
        headers = kw.pop("headers", None) or {}
        if "Content-Type" in headers:
            kw["content_type"] = headers["Content-Type"]
        return v2_url(creds, version, key, **kw)
    return oss2_url(creds, version, key, **kw)


def send(srv, url: str, method="GET", headers=None, body=None) -> tuple[int, str]:
    """Request ``url`` from ``srv`` with the URL's own Host; (status, error XML or '')."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, target, body=body, headers={"Host": parts.netloc,
                                                          **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status < 300:
            return resp.status, ""
        if method == "HEAD":
            return resp.status, base64.b64decode(resp.getheader("x-oss-err")).decode("utf-8")
        return resp.status, data.decode("utf-8")
    finally:
        conn.close()


def rejected(srv, url, method="GET", headers=None, body=None) -> str:
    status, xml = send(srv, url, method, headers, body)
    assert status == 403, (status, xml)
    return xml


def set_param(url: str, name: str, raw_value: str | None) -> str:
    """Replace (or drop, for None) one query parameter, written raw."""
    base, _, query = url.partition("?")
    pairs = [p for p in query.split("&") if p.partition("=")[0] != name]
    if raw_value is not None:
        pairs.append(f"{name}={raw_value}")
    return base + "?" + "&".join(pairs)


def get_param(url: str, name: str) -> str:
    for pair in urlsplit(url).query.split("&"):
        k, _, v = pair.partition("=")
        if k == name:
            return v
    raise KeyError(name)


def causes(url, xml, *, creds=PLAIN, method="GET", headers=None, now=NOW + 5, **kw):
    report = explain(url, now=now, method=method, headers=headers, credentials=creds,
                     error_xml=xml, **kw)
    assert report.verdict == "invalid" and report.exit_status == 1
    return report


# ----------------------------------------------------------------------------- valid

VALID = [pytest.param(sdk, version, creds, style, key, id=f"{sdk}-{version}-{cid}-{style}-k{ki}")
         for sdk in SDKS for version in VERSIONS
         for cid, creds in (("ak", PLAIN), ("sts", STS))
         for style in ("virtual", "path", "cname")
         for ki, key in enumerate(KEYS)]


@pytest.mark.parametrize("sdk,version,creds,style,key", VALID)
def test_valid_sdk_urls_are_explained_as_valid(server, sdk, version, creds, style, key):
    # alibabacloud-oss-v2 leaves x-oss-process out of V1 signatures: no process there.
    process = None if (sdk, version) == ("v2", "v1") else "image/resize,w_20"
    url = sdk_url(sdk, creds, version, key, process=process, style=style)
    if style != "cname":  # the server cannot know a custom domain's bucket
        assert send(server, url)[0] == 200
    report = explain(url, now=NOW + 5, credentials=creds,
                     bucket=BUCKET if style == "cname" else None)
    assert report.verdict == "valid", report.causes
    assert report.exit_status == 0 and not report.causes
    a = report.anatomy
    assert a.key == key and a.address.bucket == BUCKET
    assert a.address.style == {"virtual": "virtual-hosted", "path": "path",
                               "cname": "cname"}[style]
    assert a.signature.version == version and a.signature.sts_token == creds.is_sts
    assert a.signature.expires_at == NOW + 3600
    if process:
        assert a.process.steps == ("resize,w_20",)


def test_valid_without_credentials_is_unchecked_not_valid():
    url = oss2_url(PLAIN, "v4", "cat.jpg")
    report = explain(url, now=NOW + 5)
    assert report.verdict == "unchecked" and report.exit_status == 0 and not report.causes


# ----------------------------------------------------------------------------- causes

@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_expired(late_server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "cat.jpg")
    xml = rejected(late_server, url)
    # Our own clock still says the URL is fine: only OSS's error can tell.
    report = causes(url, xml, now=NOW + 5)
    assert report.cause_ids[0] == "expired"
    assert "1 h" in report.causes[0].detail  # expired an hour before OSS's time


@pytest.mark.parametrize("sdk", SDKS)
def test_clock_skew_v4(server, monkeypatch, sdk):
    freeze_sdk_clocks(monkeypatch, NOW + 3600)  # the signing machine is an hour fast
    url = sdk_url(sdk, PLAIN, "v4", "cat.jpg", at=NOW + 3600)
    xml = rejected(server, url)
    report = causes(url, xml, now=NOW + 3600)
    assert report.cause_ids == ["clock-skew"]
    assert "59 min 55 s" in report.causes[0].detail


@pytest.mark.parametrize("sdk", SDKS)
def test_clock_skew_v1_shows_as_expired(server, monkeypatch, sdk):
    freeze_sdk_clocks(monkeypatch, NOW - 7200)  # the signing machine is two hours slow
    url = sdk_url(sdk, PLAIN, "v1", "cat.jpg", at=NOW - 7200)
    report = causes(url, rejected(server, url), now=NOW - 7200)
    assert report.cause_ids == ["expired"]


@pytest.mark.parametrize("sdk", SDKS)
def test_region_not_the_buckets(server, sdk):
    url = sdk_url(sdk, PLAIN, "v4", "cat.jpg", region="cn-beijing")
    xml = rejected(server, url)
    assert "<CanonicalRequest>" in xml and "<StringToSign>" in xml
    report = causes(url, xml)
    assert report.cause_ids == ["region"]
    scope = next(line for line in report.diffs[0].lines if line.label == "scope")
    assert scope.kind == "changed"
    assert [scope.server[a:b] for a, b in scope.server_spans] == ["hangzhou"]
    assert [scope.ours[a:b] for a, b in scope.ours_spans] == ["beijing"]


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key,written,read", [
    ("photo 1+2.jpg", "photo+1%2B2.jpg", "photo+1+2.jpg"),   # space form-encoded as '+'
    ("a+b.jpg", "a%20b.jpg", "a b.jpg"),                    # '+' turned into a space
])
def test_plus_or_space_in_key(server, sdk, version, key, written, read):
    url = sdk_url(sdk, PLAIN, version, key)
    encoded = urlsplit(url).path[1:]
    broken = url.replace(encoded, written, 1)
    assert broken != url
    report = causes(broken, rejected(server, broken))
    assert report.cause_ids == ["key-encoding"]
    assert repr(key) in report.causes[0].detail and repr(read) in report.causes[0].detail
    assert report.ours.confirmed


@pytest.mark.parametrize("sdk,version", [("oss2", "v1"), ("oss2", "v4"), ("v2", "v4")])
def test_process_encoded_twice(server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "cat.jpg", process="image/resize,w_20")
    raw = get_param(url, "x-oss-process")
    broken = set_param(url, "x-oss-process", raw.replace("%", "%25"))
    report = causes(broken, rejected(server, broken))
    assert report.cause_ids == ["process-encoding"]
    assert "encoded twice" in report.causes[0].detail


def test_process_not_signed_by_alibabacloud_oss_v2_v1(server):
    """Pitfall 1 of the spec, for real: the V2 SDK's V1 URL with a process is rejected."""
    url = v2_url(PLAIN, "v1", "cat.jpg", process="image/resize,w_20")
    report = causes(url, rejected(server, url))
    assert report.cause_ids == ["process-unsigned"]
    assert report.ours.confirmed


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_process_appended_after_signing(server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "cat.jpg")
    broken = url + "&x-oss-process=" + quote("image/resize,w_20", safe="")
    report = causes(broken, rejected(server, broken))
    assert report.cause_ids == ["process-unsigned"]


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_sts_token_missing(server, sdk, version):
    url = sdk_url(sdk, STS, version, "cat.jpg")
    name = "security-token" if version == "v1" else "x-oss-security-token"
    broken = set_param(url, name, None)
    report = causes(broken, rejected(server, broken), creds=STS)
    assert report.cause_ids == ["sts-token-missing"]


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_sts_token_not_signed(server, sdk, version):
    url = sdk_url(sdk, STS, version, "cat.jpg", token=False)
    name = "security-token" if version == "v1" else "x-oss-security-token"
    broken = set_param(url, name, quote(STS.security_token, safe=""))
    report = causes(broken, rejected(server, broken), creds=STS)
    assert report.cause_ids == ["sts-token-unsigned"]
    # the token never shows in the report
    assert STS.security_token not in repr(report.to_dict())
    assert quote(STS.security_token, safe="") not in repr(report.to_dict())


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_header_signed_but_not_sent(server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "upload.jpg", method="PUT",
                  headers={"Content-Type": "image/jpeg"})
    xml = rejected(server, url, "PUT", body=IMG)  # no Content-Type sent
    report = causes(url, xml, method="PUT")
    assert report.cause_ids == ["header-signed-not-sent"]
    assert "content-type: image/jpeg" in report.causes[0].detail


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_header_sent_but_not_signed(server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "upload.jpg", method="PUT")
    sent = {"Content-Type": "image/jpeg"}
    xml = rejected(server, url, "PUT", headers=sent, body=IMG)
    report = causes(url, xml, method="PUT", headers=sent)
    assert report.cause_ids == ["header-sent-not-signed"]
    # and without credentials the diff alone says so, from OSS's strings
    report = causes(url, xml, creds=None, method="PUT")
    assert report.cause_ids == ["header-sent-not-signed"]


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_wrong_method(server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "cat.jpg")
    xml = rejected(server, url, "HEAD")  # the error comes in the x-oss-err header
    report = causes(url, xml, method="HEAD")
    assert report.cause_ids == ["method"]
    assert report.causes[0].detail == "signed for GET, sent as HEAD"
    # Without credentials: OSS's strings say HEAD, the URL is taken as a GET URL.
    report = causes(url, xml, creds=None)
    assert report.cause_ids == ["method"]
    first = report.diffs[-1].lines[0]  # V1 StringToSign, V4 CanonicalRequest
    assert (first.kind, first.server, first.ours) == ("changed", "HEAD", "GET")


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_bucket_in_path_and_host(server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "cat.jpg")
    broken = url.replace("/cat.jpg?", f"/{BUCKET}/cat.jpg?", 1)
    report = causes(broken, rejected(server, broken))
    assert report.cause_ids == ["bucket-twice"]


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_wrong_secret(server, sdk, version):
    url = sdk_url(sdk, PLAIN, version, "cat.jpg", secret="NotTheSecret0000")
    xml = rejected(server, url)
    report = causes(url, xml)
    assert report.cause_ids == ["wrong-secret"]
    assert all(d.equal for d in report.diffs)  # everything else equal
    report = causes(url, xml, creds=None)
    assert report.cause_ids == ["wrong-secret"]


def test_the_server_returns_what_oss_returns_for_v1_and_v4(server):
    """The error XML carries OSS's fields: StringToSign(+Bytes) for V1, plus the
    CanonicalRequest for V4 (spec section 5)."""
    v1 = rejected(server, oss2_url(PLAIN, "v1", "cat.jpg", secret="NotTheSecret0000"))
    v4 = rejected(server, oss2_url(PLAIN, "v4", "cat.jpg", secret="NotTheSecret0000"))
    for xml in (v1, v4):
        for tag in ("Code>SignatureDoesNotMatch<", "<OSSAccessKeyId>", "<SignatureProvided>",
                    "<StringToSign>", "<StringToSignBytes>"):
            assert tag in xml
    assert "<CanonicalRequest>" in v4 and "<CanonicalRequest>" not in v1
    assert "<EC>0002-00000040</EC>" in v1 and "<EC>0002-00000201</EC>" in v4


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("version", VERSIONS)
def test_valid_on_an_ip_endpoint(server, sdk, version):
    """Both SDKs switch to path-style for an IP endpoint; the region is then the
    credential's (nothing in the URL says the bucket's)."""
    endpoint = f"127.0.0.1:{server.port}"
    if sdk == "oss2":
        auth = (oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
            PLAIN.access_key_id, PLAIN.access_key_secret)) if version == "v4"
            else oss2.Auth(PLAIN.access_key_id, PLAIN.access_key_secret))
        url = oss2.Bucket(auth, f"http://{endpoint}", BUCKET, region=REGION).sign_url(
            "GET", "dir/photo 1.jpg", 3600)
    else:
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
            PLAIN.access_key_id, PLAIN.access_key_secret)
        cfg.region, cfg.signature_version = REGION, version
        cfg.endpoint, cfg.disable_ssl = endpoint, True
        request = osv2.models.GetObjectRequest(bucket=BUCKET, key="dir/photo 1.jpg")
        url = osv2.Client(cfg).presign(request, expiration=_dt.datetime.fromtimestamp(
            NOW + 3600, _dt.timezone.utc)).url
    assert send(server, url)[0] == 200
    report = explain(url, now=NOW + 5, credentials=PLAIN)
    assert report.verdict == "valid"
    assert (report.anatomy.address.style, report.anatomy.address.bucket) == ("ip", BUCKET)


def test_valid_with_additional_host_header(server):
    """oss2 signs ``x-oss-additional-headers=host``: the URL's own host is what is sent."""
    auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        PLAIN.access_key_id, PLAIN.access_key_secret))
    host = f"{BUCKET}.{DOMAIN}"
    url = oss2.Bucket(auth, f"http://{DOMAIN}", BUCKET, region=REGION).sign_url(
        "GET", "cat.jpg", 3600, headers={"Host": host}, additional_headers=["host"])
    assert "x-oss-additional-headers=host" in url
    assert send(server, url)[0] == 200
    report = explain(url, now=NOW + 5, credentials=PLAIN)
    assert report.verdict == "valid" and report.anatomy.signature.additional_headers == ("host",)


def test_cli_reads_the_error_from_stdin(server, monkeypatch, capsys):
    import io
    import json

    from core.cli.main import main

    url = oss2_url(PLAIN, "v4", "cat.jpg", region="cn-beijing")
    xml = rejected(server, url)
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", PLAIN.access_key_id)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", PLAIN.access_key_secret)
    monkeypatch.delenv("OSS_SESSION_TOKEN", raising=False)
    monkeypatch.setattr("core.cli.explain.time.time", lambda: NOW + 5)
    monkeypatch.setattr("sys.stdin", io.StringIO(xml))
    assert main(["explain", url, "--error-xml", "-", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in data["causes"]] == ["region"]
    assert data["error"]["code"] == "SignatureDoesNotMatch"
    scope = [line for line in data["diffs"][0]["lines"] if line["label"] == "scope"][0]
    assert scope["server"] == "20231114/cn-hangzhou/oss/aliyun_v4_request"
