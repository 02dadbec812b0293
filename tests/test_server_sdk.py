"""The official SDKs as real clients of ``oss-img serve`` on loopback.

oss2 2.19 and alibabacloud-oss-v2 1.4 talk to a private server (two keys: a plain one and
an STS one) exactly as they would to OSS: endpoint ``http://127.0.0.1:<port>`` (both SDKs
switch to path-style for an IP endpoint), region cn-hangzhou for V4. The SDKs sign with the
wall clock and the server verifies with it; expiry is tested on a second server whose
clock runs two hours ahead, so nothing here depends on timing.
"""
from __future__ import annotations

import datetime as _dt
import io
import time

import pytest
import requests
from PIL import Image

import oss2
import oss2.credentials
import alibabacloud_oss_v2 as osv2

from core.oss.credentials import Credentials
from core.serve.runner import serve
from tests.helpers import encode, quadrants

REGION = "cn-hangzhou"
CREDS = Credentials("LTAI5tSdkServerKey001", "Sdk+Server/Secret=001")
STS = Credentials("STS.NSdkServerKey0002", "StsSdkSecret0123456789", "CAIS+sdk/Token=02")
BUCKET = "sdk-bucket"
IMG = encode(quadrants(40, 30), "JPEG", quality=95)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("serve-root")
    (r / BUCKET).mkdir()
    (r / BUCKET / "seed.jpg").write_bytes(IMG)
    return r


@pytest.fixture(scope="module")
def server(root):
    srv = serve(root, "127.0.0.1", 0, "private", (CREDS, STS), region=REGION)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def future_server(root):
    """The same root, but the server's clock is two hours ahead: every URL signed now
    for less than that has expired, without waiting."""
    srv = serve(root, "127.0.0.1", 0, "private", (CREDS, STS), region=REGION,
                clock=lambda: time.time() + 7200)
    srv.start()
    yield srv
    srv.stop()


def dims(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


# ----------------------------------------------------------------------------- oss2

OSS2_AUTHS = {
    "v1": lambda: oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret),
    "v4": lambda: oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret)),
    "sts-v1": lambda: oss2.StsAuth(STS.access_key_id, STS.access_key_secret,
                                   STS.security_token),
    "sts-v4": lambda: oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        STS.access_key_id, STS.access_key_secret, STS.security_token)),
}


def oss2_bucket(server, auth="v4", bucket=BUCKET) -> oss2.Bucket:
    return oss2.Bucket(OSS2_AUTHS[auth](), server.url, bucket, region=REGION)


@pytest.mark.parametrize("auth", list(OSS2_AUTHS))
def test_oss2_put_process_list_delete(server, auth):
    b = oss2_bucket(server, auth)
    key = f"oss2/{auth}/photo 1+.jpg"
    put = b.put_object(key, IMG)
    assert put.status == 200 and put.etag
    got = b.get_object(key, process="image/resize,w_20/format,png")
    assert got.headers["Content-Type"] == "image/png"
    assert dims(got.read()) == (20, 15)
    assert b.get_object(key).read() == IMG
    assert b.head_object(key).content_length == len(IMG)
    assert b.object_exists(key) and not b.object_exists(key + ".nope")
    listed = [o.key for o in oss2.ObjectIterator(b, prefix=f"oss2/{auth}/")]
    assert listed == [key]
    tree = list(oss2.ObjectIterator(b, prefix="oss2/", delimiter="/"))
    assert any(o.is_prefix() and o.key == f"oss2/{auth}/" for o in tree)
    b.delete_object(key)
    assert not b.object_exists(key)


def test_oss2_paginates_with_markers(server):
    b = oss2_bucket(server)
    keys = [f"pages/{i:02d}.txt" for i in range(7)]
    for k in keys:
        b.put_object(k, k.encode())
    result = b.list_objects(prefix="pages/", max_keys=3)
    assert result.is_truncated and len(result.object_list) == 3
    assert [o.key for o in oss2.ObjectIterator(b, prefix="pages/", max_keys=2)] == keys


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_signed_url_fetched_with_requests(server, version):
    b = oss2_bucket(server, version)
    key = "signed/dir/cat (1).jpg"
    b.put_object(key, IMG)
    # a fresh params dict per URL: oss2 mutates the one it is given
    url = b.sign_url("GET", key, 300, params={"x-oss-process": "image/resize,w_10"})
    r = requests.get(url)
    assert r.status_code == 200, r.text
    assert dims(r.content) == (10, 8)
    slash_safe = b.sign_url("GET", key, 300, slash_safe=True)
    assert requests.get(slash_safe).content == IMG
    assert "w_10" in url
    assert requests.get(url.replace("w_10", "w_11")).status_code == 403


def test_oss2_styles(server):
    b = oss2_bucket(server)
    b.put_object("styled.jpg", IMG)
    b.put_bucket_style("sdk-thumb", "image/resize,w_12")
    assert b.get_bucket_style("sdk-thumb").content == "image/resize,w_12"
    assert "sdk-thumb" in [s.name for s in b.list_bucket_style().styles]
    assert dims(b.get_object("styled.jpg", process="style/sdk-thumb").read()) == (12, 9)
    url = b.sign_url("GET", "styled.jpg", 300, params={"x-oss-process": "style/sdk-thumb"})
    assert dims(requests.get(url).content) == (12, 9)
    b.delete_bucket_style("sdk-thumb")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        b.get_bucket_style("sdk-thumb")
    assert e.value.status == 404 and e.value.code == "NoSuchStyle"


def test_oss2_typed_errors(server):
    b = oss2_bucket(server)
    with pytest.raises(oss2.exceptions.NoSuchKey) as e:
        b.get_object("missing.jpg")
    assert e.value.request_id and e.value.details["Key"] == "missing.jpg"
    with pytest.raises(oss2.exceptions.NoSuchKey):   # HEAD: decoded from x-oss-err
        b.head_object("missing.jpg")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        oss2_bucket(server, bucket="no-such-bucket").get_object("x")
    with pytest.raises(oss2.exceptions.InvalidArgument) as e:
        b.get_object("seed.jpg", process="image/resize,w_0")
    assert e.value.details["EC"] == "0040-00000312"

    wrong = oss2.Bucket(oss2.Auth(CREDS.access_key_id, "wrong-secret"), server.url, BUCKET)
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as e:
        wrong.get_object("seed.jpg")
    sts = e.value.details["StringToSign"]
    assert sts.startswith("GET\n") and sts.endswith("/sdk-bucket/seed.jpg")
    assert e.value.details["EC"] == "0002-00000040"

    anonymous = oss2.Bucket(oss2.AnonymousAuth(), server.url, BUCKET)
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous.get_object("seed.jpg")


def test_oss2_bucket_lifecycle(server):
    b = oss2_bucket(server, bucket="made-by-oss2")
    b.create_bucket()
    names = [x.name for x in oss2.BucketIterator(oss2.Service(OSS2_AUTHS["v1"](), server.url))]
    assert "made-by-oss2" in names
    assert b.get_bucket_acl().acl == "private"
    b.put_object("k", b"v")
    assert b.get_object_acl("k").acl == "default"
    with pytest.raises(oss2.exceptions.ServerError) as e:
        b.delete_bucket()
    assert e.value.code == "BucketNotEmpty"
    b.delete_object("k")
    b.delete_bucket()


def test_oss2_expired_url(server, future_server):
    b = oss2_bucket(server, "v1")
    url = b.sign_url("GET", "seed.jpg", 60)
    assert requests.get(url).status_code == 200
    r = requests.get(url.replace(server.url, future_server.url))
    assert r.status_code == 403
    assert "<EC>0002-00000069</EC>" in r.text
    v4 = oss2_bucket(server, "v4").sign_url("GET", "seed.jpg", 60)
    r = requests.get(v4.replace(server.url, future_server.url))
    assert r.status_code == 403 and "<EC>0002-00000069</EC>" in r.text


# ----------------------------------------------------------------------------- V2 SDK

def v2_client(server, creds=CREDS, *, version=None, region=REGION) -> osv2.Client:
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret, creds.security_token)
    cfg.region = region
    cfg.endpoint = server.url
    cfg.retry_max_attempts = 1   # an error is an answer here, not a reason to back off
    if version:
        cfg.signature_version = version
    return osv2.Client(cfg)


def service_error(excinfo) -> osv2.exceptions.ServiceError:
    err = excinfo.value
    inner = err.unwrap() if hasattr(err, "unwrap") else err
    assert isinstance(inner, osv2.exceptions.ServiceError), repr(err)
    return inner


@pytest.mark.parametrize("creds, version", [(CREDS, None), (CREDS, "v1"), (STS, None),
                                            (STS, "v1")],
                         ids=["v4", "v1", "sts-v4", "sts-v1"])
def test_v2_put_process_list_delete(server, creds, version):
    c = v2_client(server, creds, version=version)
    key = f"v2/{version or 'v4'}/{'sts' if creds.is_sts else 'plain'}/猫 a+b.jpg"
    put = c.put_object(osv2.PutObjectRequest(bucket=BUCKET, key=key, body=IMG))
    assert put.status_code == 200 and put.etag
    processed = osv2.GetObjectRequest(bucket=BUCKET, key=key, process="image/resize,w_16")
    if version == "v1":
        # alibabacloud-oss-v2 1.4.1 leaves x-oss-process out of V1 signatures (header and
        # URL); OSS signs it as a sub-resource, and so does our verifier.
        with pytest.raises(Exception) as e:
            c.get_object(processed)
        assert service_error(e).code == "SignatureDoesNotMatch"
        c = v2_client(server, creds)
    assert dims(c.get_object(processed).body.read()) == (16, 12)
    c = v2_client(server, creds, version=version)
    assert c.get_object(osv2.GetObjectRequest(bucket=BUCKET, key=key)).body.read() == IMG
    head = c.head_object(osv2.HeadObjectRequest(bucket=BUCKET, key=key))
    assert head.content_length == len(IMG) and head.etag == put.etag
    prefix = key.rsplit("/", 1)[0] + "/"
    v1 = c.list_objects(osv2.ListObjectsRequest(bucket=BUCKET, prefix=prefix))
    assert [o.key for o in v1.contents] == [key]
    v2 = c.list_objects_v2(osv2.ListObjectsV2Request(bucket=BUCKET, prefix=prefix))
    assert [o.key for o in v2.contents] == [key]
    c.delete_object(osv2.DeleteObjectRequest(bucket=BUCKET, key=key))
    assert not c.is_object_exist(BUCKET, key)


def test_v2_paginator(server):
    c = v2_client(server)
    keys = [f"v2pages/{i}.txt" for i in range(5)]
    for k in keys:
        c.put_object(osv2.PutObjectRequest(bucket=BUCKET, key=k, body=k.encode()))
    pages = list(c.list_objects_v2_paginator(limit=2).iter_page(
        osv2.ListObjectsV2Request(bucket=BUCKET, prefix="v2pages/")))
    assert len(pages) == 3
    assert [o.key for p in pages for o in p.contents] == keys


def test_v2_presigned_v4_url(server):
    c = v2_client(server)
    c.put_object(osv2.PutObjectRequest(bucket=BUCKET, key="pre/x.jpg", body=IMG))
    pre = c.presign(osv2.GetObjectRequest(bucket=BUCKET, key="pre/x.jpg",
                                          process="image/resize,w_8"))
    r = requests.get(pre.url)
    assert r.status_code == 200, r.text
    assert dims(r.content) == (8, 6)
    sts = v2_client(server, STS).presign(osv2.GetObjectRequest(bucket=BUCKET, key="pre/x.jpg"))
    assert requests.get(sts.url).content == IMG


def test_v2_v1_presign_does_not_sign_the_process_and_is_refused(server):
    """alibabacloud-oss-v2 1.4.1 leaves x-oss-process out of V1 presigned URLs (see
    docs/COMPATIBILITY.md); OSS lists it as a sub-resource, and so does our verifier."""
    c = v2_client(server, version="v1")
    plain = c.presign(osv2.GetObjectRequest(bucket=BUCKET, key="seed.jpg"))
    assert requests.get(plain.url).status_code == 200
    processed = c.presign(osv2.GetObjectRequest(bucket=BUCKET, key="seed.jpg",
                                                process="image/resize,w_8"))
    r = requests.get(processed.url)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    assert "x-oss-process=image/resize,w_8" in r.text  # the server's StringToSign


def test_v2_expired_url(server, future_server):
    c = v2_client(server)
    pre = c.presign(osv2.GetObjectRequest(bucket=BUCKET, key="seed.jpg"),
                    expires=_dt.timedelta(minutes=1))
    assert requests.get(pre.url).status_code == 200
    r = requests.get(pre.url.replace(server.url, future_server.url))
    assert r.status_code == 403 and "<EC>0002-00000069</EC>" in r.text


def test_v2_styles(server):
    c = v2_client(server)
    c.put_style(osv2.PutStyleRequest(bucket=BUCKET, style_name="v2-thumb",
                                     style=osv2.StyleContent(content="image/resize,w_14")))
    got = c.get_style(osv2.GetStyleRequest(bucket=BUCKET, style_name="v2-thumb"))
    assert got.style.content == "image/resize,w_14" and got.style.name == "v2-thumb"
    names = [s.name for s in c.list_style(osv2.ListStyleRequest(bucket=BUCKET)).style_list.styles]
    assert "v2-thumb" in names
    img = c.get_object(osv2.GetObjectRequest(bucket=BUCKET, key="seed.jpg",
                                             process="style/v2-thumb"))
    assert dims(img.body.read()) == (14, 11)   # 30 * 14 / 40 = 10.5, rounded up
    c.delete_style(osv2.DeleteStyleRequest(bucket=BUCKET, style_name="v2-thumb"))
    with pytest.raises(Exception) as e:
        c.get_style(osv2.GetStyleRequest(bucket=BUCKET, style_name="v2-thumb"))
    err = service_error(e)
    assert err.status_code == 404 and err.code == "NoSuchStyle"


def test_v2_typed_errors(server):
    c = v2_client(server)
    with pytest.raises(Exception) as e:
        c.get_object(osv2.GetObjectRequest(bucket=BUCKET, key="missing.jpg"))
    err = service_error(e)
    assert (err.status_code, err.code) == (404, "NoSuchKey") and len(err.request_id) == 24
    with pytest.raises(Exception) as e:   # HEAD: no body, decoded from x-oss-err
        c.head_object(osv2.HeadObjectRequest(bucket=BUCKET, key="missing.jpg"))
    assert service_error(e).code == "NoSuchKey"
    with pytest.raises(Exception) as e:
        c.get_object(osv2.GetObjectRequest(bucket=BUCKET, key="seed.jpg",
                                           process="image/resize,w_0"))
    err = service_error(e)
    assert err.code == "InvalidArgument" and err.ec == "0040-00000312"

    wrong = v2_client(server, Credentials(CREDS.access_key_id, "wrong-secret"))
    with pytest.raises(Exception) as e:
        wrong.get_object(osv2.GetObjectRequest(bucket=BUCKET, key="seed.jpg"))
    err = service_error(e)
    assert err.code == "SignatureDoesNotMatch" and err.ec == "0002-00000201"
    assert err.error_fileds["StringToSign"].startswith("OSS4-HMAC-SHA256\n")

    elsewhere = v2_client(server, region="cn-shanghai")
    with pytest.raises(Exception) as e:
        elsewhere.get_object(osv2.GetObjectRequest(bucket=BUCKET, key="seed.jpg"))
    assert service_error(e).code == "SignatureDoesNotMatch"


def test_v2_bucket_calls(server):
    c = v2_client(server)
    c.put_bucket(osv2.PutBucketRequest(bucket="made-by-v2"))
    assert c.is_bucket_exist("made-by-v2")            # GetBucketAcl underneath
    assert not c.is_bucket_exist("never-made-by-v2")
    acl = c.get_bucket_acl(osv2.GetBucketAclRequest(bucket="made-by-v2"))
    assert acl.acl == "private"
    names = [b.name for b in c.list_buckets(osv2.ListBucketsRequest()).buckets]
    assert "made-by-v2" in names
    c.delete_bucket(osv2.DeleteBucketRequest(bucket="made-by-v2"))
    names = [b.name for b in c.list_buckets(osv2.ListBucketsRequest()).buckets]
    assert "made-by-v2" not in names
