"""``oss-img url | sign | styles`` through ``core.cli.main``.

Signed output is compared with oss2 and alibabacloud-oss-v2 under the same frozen clock
(``--now``); ``styles`` runs against the loopback OSS stand-in of test_client.py, which
verifies every request's signature.
"""
from __future__ import annotations

import datetime as _dt
import json
import time
from types import SimpleNamespace

import pytest

import oss2
import oss2.auth
import alibabacloud_oss_v2 as osv2

from core.cli import main
from tests.sdk_clock import freeze_sdk_clocks
from tests.test_client import BUCKET, PLAIN, STS, oss  # noqa: F401  (fixture)
from tests.signing_env import decoded

NOW = 1700000000
ENDPOINT = "oss-cn-hangzhou.aliyuncs.com"
KEY = "photos/猫 a+b.jpg"
PROCESS = "image/resize,w_100/watermark,text_SGk+Pz8=,g_se"


@pytest.fixture
def env(monkeypatch):
    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    def set_creds(creds):
        monkeypatch.setenv("OSS_ACCESS_KEY_ID", creds.access_key_id)
        monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", creds.access_key_secret)
        if creds.security_token:
            monkeypatch.setenv("OSS_SESSION_TOKEN", creds.security_token)
    return set_creds


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- url

@pytest.mark.parametrize("extra,expected", [
    # HTTPS unless asked otherwise, like the app (oss2 would default to http)
    ([], "https://example-bucket.oss-cn-hangzhou.aliyuncs.com/a%20b.jpg"),
    (["--http"], "http://example-bucket.oss-cn-hangzhou.aliyuncs.com/a%20b.jpg"),
    (["--https", "--process", "image/resize,w_100"],
     "https://example-bucket.oss-cn-hangzhou.aliyuncs.com/a%20b.jpg"
     "?x-oss-process=image%2Fresize%2Cw_100"),
    (["--style", "thumb", "--path-style"],
     "https://oss-cn-hangzhou.aliyuncs.com/example-bucket/a%20b.jpg?x-oss-process=style%2Fthumb"),
    (["--style", "thumb", "--cname", "img.example.com", "--https"],
     "https://img.example.com/a%20b.jpg?x-oss-process=style%2Fthumb"),
    (["--style", "thumb", "--separator", "!"],
     "https://example-bucket.oss-cn-hangzhou.aliyuncs.com/a%20b.jpg!thumb"),
])
def test_url(capsys, extra, expected):
    code, out, err = run(capsys, "url", "--endpoint", ENDPOINT, "--bucket", BUCKET,
                         "--key", "a b.jpg", *extra)
    assert (code, out, err) == (0, expected + "\n", "")


def test_url_errors(capsys):
    code, _, err = run(capsys, "url", "--endpoint", ENDPOINT, "--bucket", BUCKET,
                       "--key", "a.jpg", "--separator", "-")
    assert code == 1 and err.startswith("MissingArgument: --separator needs --style")
    code, _, err = run(capsys, "url", "--endpoint", ENDPOINT, "--bucket", "Bad_Bucket",
                       "--key", "a.jpg")
    assert code == 1 and err.startswith("InvalidBucketName: ")
    # argparse: --process and --style exclude each other; still <Code>: <Message> first
    code, out, err = run(capsys, "url", "--endpoint", ENDPOINT, "--bucket", BUCKET,
                         "--key", "a", "--process", "image/resize,w_1", "--style", "s")
    assert (code, out) == (2, "")  # argparse's mutual exclusion: a usage error
    assert err.splitlines()[0] == ("InvalidArgument: Argument --style: not allowed with "
                                   "argument --process")
    code, _, err = run(capsys, "url", "--endpoint", ENDPOINT, "--bucket", BUCKET,
                       "--key", "a", "--http", "--https")
    assert code == 2 and err.startswith("InvalidArgument: Argument --https: not allowed")


@pytest.mark.parametrize("endpoint, expected", [
    ("http://oss-cn-hangzhou.aliyuncs.com", "http://example-bucket.oss-cn-hangzhou"),
    ("https://oss-cn-hangzhou.aliyuncs.com", "https://example-bucket.oss-cn-hangzhou"),
    ("127.0.0.1:9000", "https://127.0.0.1:9000/example-bucket/"),
])
def test_url_scheme_of_the_endpoint_is_kept(capsys, endpoint, expected):
    code, out, _ = run(capsys, "url", "--endpoint", endpoint, "--bucket", BUCKET,
                       "--key", "a.jpg")
    assert code == 0 and out.startswith(expected)


# ----------------------------------------------------------------------------- sign

@pytest.fixture
def frozen_sdks(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


@pytest.mark.parametrize("creds", [PLAIN, STS], ids=["ak", "sts"])
@pytest.mark.parametrize("version", ["v1", "v4"])
def test_sign_equals_oss2(capsys, env, frozen_sdks, creds, version):
    env(creds)
    code, out, err = run(capsys, "sign", "--endpoint", ENDPOINT, "--bucket", BUCKET,
                         "--key", KEY, "--process", PROCESS, "--https", "--version", version,
                         "--expires", "600", "--now", str(NOW))
    assert (code, err) == (0, "")
    provider = oss2.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret, creds.security_token)
    auth = oss2.ProviderAuthV4(provider) if version == "v4" else oss2.ProviderAuth(provider)
    bucket = oss2.Bucket(auth, f"https://{ENDPOINT}", BUCKET, region="cn-hangzhou")
    theirs = bucket.sign_url("GET", KEY, 600, params={"x-oss-process": PROCESS})
    assert decoded(out.strip()) == decoded(theirs)


def test_sign_v4_equals_alibabacloud_oss_v2_and_style(capsys, env, frozen_sdks):
    env(STS)
    code, out, _ = run(capsys, "sign", "--endpoint", ENDPOINT, "--bucket", BUCKET, "--key",
                       KEY, "--style", "thumb", "--https", "--now", str(NOW))
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        STS.access_key_id, STS.access_key_secret, STS.security_token)
    cfg.region, cfg.endpoint = "cn-hangzhou", ENDPOINT
    theirs = osv2.Client(cfg).presign(
        osv2.models.GetObjectRequest(bucket=BUCKET, key=KEY, process="style/thumb"),
        expiration=_dt.datetime.fromtimestamp(NOW + 3600, _dt.timezone.utc)).url
    assert code == 0 and decoded(out.strip()) == decoded(theirs)


def test_sign_is_reproducible_and_json(capsys, env):
    env(PLAIN)
    argv = ["sign", "--endpoint", ENDPOINT, "--bucket", BUCKET, "--key", "a.jpg",
            "--now", str(NOW), "--json"]
    first, second = run(capsys, *argv), run(capsys, *argv)
    assert first == second
    data = json.loads(first[1])
    assert data["version"] == "v4" and data["expires_at"] == NOW + 3600
    assert data["canonical_request"].startswith("GET\n/example-bucket/a.jpg\n")
    assert data["string_to_sign"].startswith("OSS4-HMAC-SHA256\n20231114T221320Z\n")


@pytest.mark.parametrize("argv,prefix", [
    (["--cname", "img.example.com", "--endpoint", "img.example.com"], "InvalidArgument: "),
    (["--endpoint", ENDPOINT, "--expires", "604801"], "InvalidArgument: "),
    (["--endpoint", ENDPOINT, "--region", "oss-cn-hangzhou"], "InvalidArgument: "),
])
def test_sign_errors(capsys, env, argv, prefix):
    env(PLAIN)
    code, out, err = run(capsys, "sign", "--bucket", BUCKET, "--key", "a.jpg", *argv)
    assert (code, out) == (1, "") and err.startswith(prefix)


def test_sign_without_credentials(capsys, env):
    code, out, err = run(capsys, "sign", "--endpoint", ENDPOINT, "--bucket", BUCKET,
                         "--key", "a.jpg")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == ("MissingArgument: Credentials are not set: export "
                                   "OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET "
                                   "(and OSS_SESSION_TOKEN for STS).")


def test_no_secret_option_exists(capsys):
    for command in ("sign", "styles"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "secret" not in capsys.readouterr().out.lower().replace("oss_access_key_secret", "")


# ----------------------------------------------------------------------------- styles

@pytest.mark.parametrize("version", ["v1", "v4"])
def test_styles_commands(capsys, env, oss, version):  # noqa: F811
    env(STS)
    oss.now = time.time()  # the CLI signs with the real clock
    common = ["--endpoint", oss.endpoint, "--http", "--bucket", BUCKET,
              "--region", "cn-hangzhou", "--version", version]
    assert run(capsys, "styles", "put", "thumb", "image/resize,p_50", *common) == (
        0, '{"name": "thumb", "content": "image/resize,p_50"}\n', "")
    code, out, _ = run(capsys, "styles", "get", "thumb", *common)
    assert code == 0 and json.loads(out)["content"] == "image/resize,p_50"
    code, out, _ = run(capsys, "styles", "list", *common)
    assert [s["name"] for s in json.loads(out)] == ["thumb"]
    assert run(capsys, "styles", "delete", "thumb", *common)[:2] == (0, '{"deleted": "thumb"}\n')
    code, out, err = run(capsys, "styles", "get", "thumb", *common)
    assert (code, out) == (1, "") and err.startswith("NoSuchStyle: ")
    methods = [(r["method"], r["query"].get("styleName")) for r in oss.requests]
    assert methods == [("PUT", "thumb"), ("GET", "thumb"), ("GET", None), ("DELETE", "thumb"),
                       ("GET", "thumb")]
    assert all(r["headers"]["x-oss-security-token"] == STS.security_token for r in oss.requests)


def test_secret_not_in_cli_output(capsys, env, oss):  # noqa: F811
    oss.now = time.time()
    outputs = []
    env(STS)
    for version in ("v1", "v4"):
        outputs.append(run(capsys, "sign", "--endpoint", ENDPOINT, "--bucket", BUCKET,
                           "--key", "a.jpg", "--version", version, "--json"))
    wrong = SimpleNamespace(access_key_id=STS.access_key_id, access_key_secret="WrongSecret99",
                            security_token=STS.security_token)
    env(wrong)
    outputs.append(run(capsys, "styles", "list", "--endpoint", oss.endpoint, "--http",
                       "--bucket", BUCKET, "--region", "cn-hangzhou"))
    assert outputs[-1][2].startswith("SignatureDoesNotMatch: ")
    text = repr(outputs)
    assert STS.access_key_secret not in text and "WrongSecret99" not in text
