"""The running server and expected values shared by the documented-response tests
(tests/test_server_documented_responses.py, tests/test_server_documented_errors.py): objects
put into the bucket as files with a known modification time, so ETag, CRC-64 and times come
from outside the server."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import xml.etree.ElementTree as ET

import pytest

import alibabacloud_oss_v2 as osv2
import oss2
from alibabacloud_oss_v2.crc import Crc64

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tDocResponses01", "Doc+Responses/Secret=01")
REGION = "cn-hangzhou"
B = "docbkt"
T = 1_700_000_000
T_ISO = "2023-11-14T22:13:20.000Z"
T_HTTP = "Tue, 14 Nov 2023 22:13:20 GMT"
T_DT = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)
OBJECTS = {"a.txt": b"alpha", "dir/b.txt": b"bravo!", "dir/sub/c.txt": b"charlie",
           "e f+g.txt": b"echo", "z.bin": b"\x00" * 3}


def crc64(data: bytes) -> str:
    c = Crc64(0)
    c.update(data)
    return str(c.sum64())


def etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


def serve_documented(tmp_path):
    """The bucket's objects written as files into ``tmp_path``, a private server over it;
    yields (alibabacloud-oss-v2 client, server, root). The tests' ``env`` fixture."""
    for key, data in OBJECTS.items():
        path = tmp_path / B / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (T, T))
    with running_server(tmp_path, "private", (CREDS,), region=REGION) as srv:
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
            CREDS.access_key_id, CREDS.access_key_secret)
        cfg.region, cfg.endpoint, cfg.retry_max_attempts = REGION, srv.url, 1
        yield osv2.Client(cfg), srv, tmp_path


def oss2_bucket(srv) -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url, B)


def service_error(call) -> osv2.exceptions.ServiceError:
    with pytest.raises(osv2.exceptions.OperationError) as e:
        call()
    return e.value.unwrap()


def signed_list(srv, params: dict[str, str]) -> ET.Element:
    """The raw XML of a V1-signed (oss2's signer) GET of the bucket with ``params``."""
    resp = oss2_bucket(srv)._do("GET", B, "", params=params)
    assert resp.status == 200
    return ET.fromstring(resp.read())
