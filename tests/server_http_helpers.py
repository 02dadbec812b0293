"""Raw HTTP to ``oss-img serve`` for tests that read an answer element by element (the
SDKs parse only what they model): status, headers (lower-cased names) and body."""
from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET


def call(server, method: str, path: str, body: bytes = b"", headers=None
         ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def xml_answer(answer, tag: str, status: int = 200) -> ET.Element:
    """The XML document of a ``call`` answer, checked: status, one Content-Type of
    application/xml (OSS's for every XML body), root element ``tag``."""
    got_status, headers, body = answer
    assert got_status == status, body
    assert headers["content-type"] == "application/xml"
    root = ET.fromstring(body)
    assert root.tag == tag
    assert_no_mixed_content(root)
    return root


def assert_no_mixed_content(root: ET.Element) -> None:
    """OSS's XML answers hold text only in leaf elements: an element with children has no
    text of its own and none between them (a stray string there is a broken answer that a
    lenient parser would silently drop)."""
    for element in root.iter():
        if len(element):
            stray = [element.text] + [child.tail for child in element]
            assert all(not (s or "").strip() for s in stray), (element.tag, stray)


def error_answer(answer, status: int, code: str) -> dict[str, str]:
    """The elements of an OSS error answer, after checking its HTTP status and Code."""
    root = xml_answer(answer, "Error", status)
    fields = {child.tag: child.text or "" for child in root}
    assert fields["Code"] == code, fields
    return fields


def children(root: ET.Element) -> list[str]:
    return [child.tag for child in root]

