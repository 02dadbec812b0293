"""Documented error answers of the service's core calls (split from
tests/test_server_documented_responses.py, which has the whole successful responses): the
error body's ``Code``/``Message``/``RequestId``/``HostId``, ``x-oss-ec`` and ``x-oss-err``,
the HTTP status OSS publishes for each code (shared/spec/oss-signing.md section 5), and the
refusals of unsupported calls."""
from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
import requests

import alibabacloud_oss_v2 as osv2
import oss2

from tests.documented_env import B, CREDS, oss2_bucket, serve_documented, service_error, signed_list
from tests.helpers import md5_b64, running_server


@pytest.fixture
def env(tmp_path):
    yield from serve_documented(tmp_path)


# ----------------------------------------------------------------------------- errors

def test_error_body_and_headers(env):
    _, srv, _ = env
    r = requests.get(f"{srv.url}/{B}/a.txt")            # anonymous on a private server
    assert r.status_code == 403
    assert r.headers["Content-Type"] == "application/xml"
    doc = ET.fromstring(r.content)
    assert doc.tag == "Error" and doc.findtext("Code") == "AccessDenied"
    assert doc.findtext("Message")
    rid = doc.findtext("RequestId")
    assert rid == r.headers["x-oss-request-id"] and len(rid) == 24
    assert rid == rid.upper() and int(rid, 16) >= 0
    assert doc.findtext("HostId") == srv.url.split("//")[1]
    missing = requests.get(f"{srv.url}/nobkt/a.txt")
    assert missing.status_code == 404
    assert ET.fromstring(missing.content).findtext("Code") == "NoSuchBucket"
    # without a Host header naming the server: the bucket's virtual host on the domain
    two = requests.get(f"{srv.url}/{B}/a.txt")
    assert two.headers["x-oss-request-id"] != rid


def test_head_errors_carry_the_body_in_x_oss_err(env):
    _, srv, _ = env
    r = requests.head(f"{srv.url}/{B}/a.txt")
    assert r.status_code == 403 and r.content == b""
    doc = ET.fromstring(base64.b64decode(r.headers["x-oss-err"]))
    assert doc.findtext("Code") == "AccessDenied"
    assert doc.findtext("RequestId") == r.headers["x-oss-request-id"]


def test_sdk_errors_no_such_key_and_bucket(env):
    client, srv, _ = env
    err = service_error(lambda: client.get_object(osv2.GetObjectRequest(bucket=B,
                                                                        key="none")))
    assert (err.status_code, err.code) == (404, "NoSuchKey") and len(err.request_id) == 24
    err = service_error(lambda: client.head_object(osv2.HeadObjectRequest(bucket=B,
                                                                          key="none")))
    assert (err.status_code, err.code) == (404, "NoSuchKey")     # from x-oss-err
    err = service_error(lambda: client.get_object(osv2.GetObjectRequest(bucket="nobkt",
                                                                        key="a.txt")))
    assert (err.status_code, err.code) == (404, "NoSuchBucket")
    # OSS's whole answer, as a live one quotes it (developer.aliyun.com/ask/597026):
    # "The specified bucket does not exist.", EC 0015-00000101.
    assert (err.message, err.ec) == ("The specified bucket does not exist.", "0015-00000101")
    with pytest.raises(oss2.exceptions.NoSuchKey) as e:
        oss2_bucket(srv).get_object("none")
    assert e.value.status == 404 and e.value.request_id
    assert e.value.details["HostId"]


def _raw(srv, request: bytes) -> tuple[int, dict[str, str], bytes]:
    import socket
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_host_id_without_a_host_header_is_the_bucket_endpoint(env):
    _, srv, _ = env
    status, headers, body = _raw(srv, f"GET /{B}/a.txt HTTP/1.0\r\n\r\n".encode())
    doc = ET.fromstring(body)
    assert status == 403 and doc.findtext("HostId") == f"{B}.localhost"
    assert doc.findtext("RequestId") == headers["x-oss-request-id"]
    status, _, body = _raw(srv, b"GET / HTTP/1.0\r\n\r\n")
    assert status == 403 and ET.fromstring(body).findtext("HostId") == "localhost"
    status, _, body = _raw(srv, f"GET /{B}/a.txt HTTP/1.0\r\nHost: img.example\r\n\r\n"
                           .encode())
    assert ET.fromstring(body).findtext("HostId") == "img.example"


def test_ec_header_equals_the_ec_element(env):
    # a V1 signature that does not match: OSS's EC 0002-00000040 (spec section 5)
    _, srv, _ = env
    bad = oss2.Bucket(oss2.Auth(CREDS.access_key_id, "not-the-secret"), srv.url, B)
    resp = requests.get(bad.sign_url("GET", "a.txt", 60))
    doc = ET.fromstring(resp.content)
    assert resp.status_code == 403 and doc.findtext("Code") == "SignatureDoesNotMatch"
    assert doc.findtext("EC") == resp.headers["x-oss-ec"] == "0002-00000040"
    assert doc.findtext("RecommendDoc").endswith("0002-00000040")


@pytest.mark.parametrize("method, path, status, code", [
    ("POST", f"/{B}/a.txt", 501, "NotImplemented"),        # no such POST object call
    ("PATCH", f"/{B}/a.txt", 405, "MethodNotAllowed"),
    ("POST", f"/{B}", 405, "MethodNotAllowed"),
    ("DELETE", "/", 405, "MethodNotAllowed"),
    ("PUT", "/", 405, "MethodNotAllowed"),                   # no bucket named: the service
    ("GET", f"/{B}/a.txt?website", 501, "NotImplemented"),   # a sub-resource not served
    ("GET", f"/{B}?cors", 501, "NotImplemented"),
    ("GET", "/?regions", 501, "NotImplemented"),
    ("POST", f"/{B}/a.txt?symlink", 405, "MethodNotAllowed"),
    ("DELETE", f"/{B}/a.txt?acl", 405, "MethodNotAllowed"),
    ("PUT", f"/{B}?uploads", 405, "MethodNotAllowed"),
    ("GET", f"/{B}?delete", 405, "MethodNotAllowed"),
    ("POST", f"/{B}?style", 405, "MethodNotAllowed"),
    ("PUT", f"/{B}?style", 400, "MissingArgument"),
    ("DELETE", f"/{B}?style", 400, "MissingArgument"),
    ("DELETE", f"/{B}?acl", 405, "MethodNotAllowed"),
    ("POST", f"/{B}?bucketInfo", 405, "MethodNotAllowed"),
    ("POST", f"/{B}/a.txt?tagging", 405, "MethodNotAllowed"),
    ("PUT", f"/{B}?versions", 405, "MethodNotAllowed"),
    ("DELETE", f"/{B}?live", 405, "MethodNotAllowed"),
    ("PUT", f"/{B}/ch/p.m3u8?vod&endTime=2&startTime=1", 405, "MethodNotAllowed"),
])
def test_unsupported_calls_get_oss_status_and_code(tmp_path, method, path, status, code):
    (tmp_path / B).mkdir()
    (tmp_path / B / "a.txt").write_bytes(b"alpha")
    with running_server(tmp_path, "public-read-write") as srv:
        r = requests.request(method, srv.url + path)
        assert r.status_code == status
        doc = ET.fromstring(r.content)
        assert doc.findtext("Code") == code
        # MethodNotAllowed names the method refused (as oss2 parses it: details["Method"])
        # and says so in OSS's words (its "HTTP status code 405" error page)
        if code == "MethodNotAllowed":
            assert (doc.findtext("Method"), doc.findtext("Message")) == (
                method, "The specified method is not allowed against this resource.")
        else:
            assert doc.findtext("Method") is None
        # the object and the bucket are untouched
        assert requests.get(f"{srv.url}/{B}/a.txt").content == b"alpha"


def test_server_side_encryption_is_refused_not_ignored(tmp_path):
    (tmp_path / B).mkdir()
    with running_server(tmp_path, "public-read-write") as srv:
        for name in ("x-oss-server-side-encryption", "x-oss-server-side-data-encryption"):
            r = requests.put(f"{srv.url}/{B}/s.txt", data=b"x", headers={name: "KMS"})
            assert r.status_code == 501
            assert ET.fromstring(r.content).findtext("Code") == "NotImplemented"
        assert requests.get(f"{srv.url}/{B}/s.txt").status_code == 404


def test_style_routing_by_method_and_name(tmp_path):
    (tmp_path / B).mkdir()
    with running_server(tmp_path, "public-read-write") as srv:
        body = b"<Style><Content>image/resize,w_10</Content></Style>"
        assert requests.put(f"{srv.url}/{B}?style&styleName=s", data=body).status_code == 200
        r = requests.post(f"{srv.url}/{B}?style&styleName=s", data=body)
        assert r.status_code == 405 and code_of(r) == "MethodNotAllowed"
        r = requests.get(f"{srv.url}/{B}?style&styleName=s")      # GetStyle
        assert ET.fromstring(r.content).tag == "Style"
        r = requests.get(f"{srv.url}/{B}?style")                   # ListStyle
        assert ET.fromstring(r.content).tag == "StyleList"
        # deleting a style that is not there is no error
        assert requests.delete(f"{srv.url}/{B}?style&styleName=none").status_code == 204
        assert requests.delete(f"{srv.url}/{B}?style&styleName=s").status_code == 204
        assert requests.get(f"{srv.url}/{B}?style&styleName=s").status_code == 404


def code_of(resp) -> str:
    return ET.fromstring(resp.content).findtext("Code")


def test_public_read_lets_anonymous_clients_list_and_read_only(tmp_path):
    (tmp_path / B).mkdir()
    (tmp_path / B / "a.txt").write_bytes(b"alpha")
    with running_server(tmp_path, "public-read", (CREDS,)) as srv:
        for query in ("", "?list-type=2", "?list-type=2&fetch-owner=true"):
            r = requests.get(f"{srv.url}/{B}{query}")
            assert r.status_code == 200
            assert ET.fromstring(r.content).findtext("Contents/Key") == "a.txt"
        assert requests.get(f"{srv.url}/{B}/a.txt").content == b"alpha"
        assert requests.head(f"{srv.url}/{B}/a.txt?objectMeta").status_code == 200
        assert requests.head(f"{srv.url}/{B}").status_code == 200
        for method, path in (("PUT", f"/{B}/b.txt"), ("DELETE", f"/{B}/a.txt"),
                             ("GET", f"/{B}?style"), ("GET", f"/{B}?style&styleName=x"),
                             ("PUT", f"/{B}/a.txt?acl"), ("GET", "/")):
            r = requests.request(method, srv.url + path)
            assert r.status_code == 403, (method, path)


def test_listing_edge_rules(env):
    client, srv, root = env
    # a delimiter at the very start of the part after the prefix
    doc = signed_list(srv, {"delimiter": "a"})
    assert [p.findtext("Prefix") for p in doc.findall("CommonPrefixes")] == ["a"]
    assert "a.txt" not in [c.findtext("Key") for c in doc.findall("Contents")]
    # an empty max-keys is no max-keys (oss2 sends empty parameters for unset ones)
    doc = signed_list(srv, {"max-keys": ""})
    assert doc.findtext("MaxKeys") == "100"
    with pytest.raises(oss2.exceptions.ServerError) as e:
        oss2_bucket(srv).list_objects_v2(continuation_token="%%not-base64%%")
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        oss2_bucket(srv)._do("GET", B, "", params={"encoding-type": "base64"})
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")


def test_symlink_and_bucket_refusals(tmp_path):
    (tmp_path / B).mkdir()
    (tmp_path / B / "dir").mkdir()
    (tmp_path / B / "dir" / "b.txt").write_bytes(b"bravo")
    (tmp_path / "afile").write_bytes(b"not a bucket")
    with running_server(tmp_path, "public-read-write") as srv:
        r = requests.put(f"{srv.url}/{B}/link?symlink")             # no target
        assert r.status_code == 400 and code_of(r) == "MissingArgument"
        r = requests.put(f"{srv.url}/{B}/dir?symlink",
                         headers={"x-oss-symlink-target": "dir/b.txt"})
        assert r.status_code == 400 and code_of(r) == "InvalidObjectName"
        assert (tmp_path / B / "dir" / "b.txt").read_bytes() == b"bravo"
        r = requests.put(f"{srv.url}/afile")            # a file of that name is in ROOT
        assert r.status_code == 409 and code_of(r) == "BucketAlreadyExists"
        assert requests.put(f"{srv.url}/newbkt").status_code == 200
        assert (tmp_path / "newbkt").is_dir()
        assert requests.put(f"{srv.url}/newbkt").status_code == 200    # already mine: ok


def _delete_body(*keys: str, quiet: bool = False) -> bytes:
    objects = "".join(f"<Object><Key>{k}</Key></Object>" for k in keys)
    return f"<Delete><Quiet>{str(quiet).lower()}</Quiet>{objects}</Delete>".encode()


def test_delete_multiple_objects_rules(tmp_path):
    (tmp_path / B).mkdir()
    for name in ("a b.txt", "c.txt"):
        (tmp_path / B / name).write_bytes(b"x")
    with running_server(tmp_path, "public-read-write") as srv:
        url = f"{srv.url}/{B}?delete"
        body = _delete_body("a b.txt")
        r = requests.post(url, data=body)                        # Content-MD5 is required
        assert r.status_code == 400 and code_of(r) == "MissingArgument"
        assert (tmp_path / B / "a b.txt").exists()
        # without encoding-type the keys come back as they are
        r = requests.post(url, data=body, headers={"Content-MD5": md5_b64(body)})
        doc = ET.fromstring(r.content)
        assert r.status_code == 200 and doc.tag == "DeleteResult"
        assert [d.findtext("Key") for d in doc.findall("Deleted")] == ["a b.txt"]
        assert doc.find("EncodingType") is None
        assert not (tmp_path / B / "a b.txt").exists()
        for bad in (b"<Delete><Quiet>true</Quiet></Delete>",                  # no object
                    _delete_body(*[f"k{i}" for i in range(1001)]),           # over 1000
                    b"<Other/>", b"<Delete><Object>"):
            r = requests.post(url, data=bad, headers={"Content-MD5": md5_b64(bad)})
            assert r.status_code == 400 and code_of(r) == "MalformedXML"
        thousand = _delete_body(*[f"k{i}" for i in range(999)], "c.txt")
        r = requests.post(url, data=thousand, headers={"Content-MD5": md5_b64(thousand)})
        assert r.status_code == 200 and len(ET.fromstring(r.content)) == 1000
        assert not (tmp_path / B / "c.txt").exists()


def test_xml_bodies_are_checked_against_their_content_md5(tmp_path):
    (tmp_path / B).mkdir()
    (tmp_path / B / "c.txt").write_bytes(b"x")
    with running_server(tmp_path, "public-read-write") as srv:
        body = _delete_body("c.txt")
        empty_md5 = "1B2M2Y8AsgTpgAmY7PhCfg=="          # the MD5 of no bytes
        r = requests.post(f"{srv.url}/{B}?delete", data=body,
                          headers={"Content-MD5": empty_md5})
        assert r.status_code == 400 and code_of(r) == "InvalidDigest"
        assert (tmp_path / B / "c.txt").exists()
        r = requests.post(f"{srv.url}/{B}?delete", data=body,
                          headers={"Content-MD5": "not base64"})
        assert r.status_code == 400 and code_of(r) == "InvalidDigest"
        style = b"<Style><Content>image/resize,w_10</Content></Style>"
        r = requests.put(f"{srv.url}/{B}?style&styleName=s", data=style,
                         headers={"Content-MD5": empty_md5})
        assert r.status_code == 400 and code_of(r) == "InvalidDigest"
        r = requests.put(f"{srv.url}/{B}?style&styleName=s", data=style,
                         headers={"Content-MD5": md5_b64(style)})
        assert r.status_code == 200
