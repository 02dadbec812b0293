"""Control characters in the keys of a DeleteMultipleObjects body, character by character,
and the XML a request body may not hold; raw HTTP against an ``oss-img serve`` on loopback.

Expected values:
- OSS keys may hold any UTF-8 character but NUL; oss2's test_chinese deletes
  ``'a\\x0c-2.txt'`` (ElementTree writes the byte raw) and alibabacloud-oss-v2 escapes
  0x01 as ``&#01;``; XML 1.0 (the Char production) itself allows only tab, LF and CR of
  the C0 controls. So every control character 0x01-0x1F reaches the key, sent raw or as a
  decimal or hexadecimal character reference, and the answer lists the key
  (``encoding-type=url``: percent-encoded, RFC 3986, as Python's ``quote`` gives it).
- A NUL, raw or as ``&#0;``, is not XML at all: 400 MalformedXML, nothing deleted; so is
  a body declaring a DTD or an entity (no entity expansion on a server).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
import requests

from tests.helpers import md5_b64, running_server

B = "ctl-keys"
CONTROLS = [c for c in range(1, 32) if c not in (0x09, 0x0A, 0x0D)]


@pytest.fixture
def srv(tmp_path):
    (tmp_path / B).mkdir()
    with running_server(tmp_path, "public-read-write") as server:
        server.folder = tmp_path / B
        yield server


def delete(srv, objects: bytes) -> requests.Response:
    body = b"<Delete><Quiet>false</Quiet>" + objects + b"</Delete>"
    return requests.post(f"{srv.url}/{B}?delete&encoding-type=url", data=body,
                         headers={"Content-MD5": md5_b64(body)}, timeout=10)


def deleted_keys(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [d.findtext("Key") for d in ET.fromstring(resp.content).findall("Deleted")]


@pytest.mark.parametrize("form", [
    lambda c: bytes([c]),                      # raw, as ElementTree writes it
    lambda c: b"&#%d;" % c,                    # decimal reference
    lambda c: b"&#%02d;" % c,                  # zero-padded, as alibabacloud-oss-v2 writes
    lambda c: b"&#x%X;" % c,                   # hexadecimal reference
    lambda c: b"&#x%x;" % c,
], ids=["raw", "decimal", "padded", "HEX", "hex"])
def test_every_control_character_reaches_the_key(srv, form):
    keys = [f"k{chr(c)}x" for c in CONTROLS]
    for key in keys:
        (srv.folder / key).write_bytes(b"x")
    objects = b"".join(b"<Object><Key>k" + form(c) + b"x</Key></Object>" for c in CONTROLS)
    assert deleted_keys(delete(srv, objects)) == [quote(k, safe="/") for k in keys]
    assert [p.name for p in srv.folder.iterdir()] == []


@pytest.mark.parametrize("ref, char", [(b"&#9;", "\t"), (b"&#x0A;", "\n"), (b"&#13;", "\r"),
                                       (b"&#32;", " "), (b"&#x7F;", "\x7f")])
def test_references_xml_allows_are_read_as_themselves(srv, ref, char):
    (srv.folder / f"k{char}x").write_bytes(b"x")
    (srv.folder / "kx").write_bytes(b"x")
    keys = deleted_keys(delete(srv, b"<Object><Key>k" + ref + b"x</Key></Object>"))
    assert keys == [quote(f"k{char}x", safe="/")]
    assert [p.name for p in srv.folder.iterdir()] == ["kx"]


@pytest.mark.parametrize("objects", [
    b"<Object><Key>k\x00x</Key></Object>",
    b"<Object><Key>k&#0;x</Key></Object>",
    b"<Object><Key>k&#x0;x</Key></Object>",
])
def test_a_nul_is_malformed_xml(srv, objects):
    (srv.folder / "kx").write_bytes(b"x")
    resp = delete(srv, objects)
    assert resp.status_code == 400 and b"<Code>MalformedXML</Code>" in resp.content
    assert (srv.folder / "kx").exists()


@pytest.mark.parametrize("body", [
    b'<!DOCTYPE Delete [<!ENTITY k "kx">]><Delete><Object><Key>&k;</Key></Object></Delete>',
    b"<!DOCTYPE Delete><Delete><Object><Key>kx</Key></Object></Delete>",
    b'<Delete><!ENTITY k "kx"><Object><Key>kx</Key></Object></Delete>',
])
def test_a_dtd_or_an_entity_is_malformed_xml(srv, body):
    (srv.folder / "kx").write_bytes(b"x")
    resp = requests.post(f"{srv.url}/{B}?delete", data=body,
                         headers={"Content-MD5": md5_b64(body)}, timeout=10)
    assert resp.status_code == 400 and b"<Code>MalformedXML</Code>" in resp.content
    assert (srv.folder / "kx").exists()
