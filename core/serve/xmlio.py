"""Small XML bodies in and out, in OSS's shapes."""
from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from .config import (MAX_XML_BODY, OWNER_ID, entity_too_large, error, invalid_digest,
                     malformed_xml)
from .messages import Request
from .store import decode_content_md5

# Characters XML 1.0 cannot carry at all (not even escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL_BYTES = re.compile(b"[\x01-\x08\x0b\x0c\x0e-\x1f]")
_CHAR_REF = re.compile(rb"&#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
_STAND_IN = 0xF780       # private-use block: U+F781..U+F79F stand for 0x01..0x1F
_STAND_INS = re.compile("[\uf781-\uf79f]")


def xml_doc(root: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{body}</{root}>\n'
            ).encode("utf-8")


def el(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def owner() -> str:
    return f"<Owner>{el('ID', OWNER_ID)}{el('DisplayName', OWNER_ID)}</Owner>"


def xml_safe(value: str, what: str) -> str:
    """``value`` if an XML document can hold it, else InvalidArgument (a stored value that
    later breaks every GetStyle/ListStyle answer is refused when it arrives)."""
    if _NOT_XML.search(value):
        raise error("InvalidArgument", f"The {what} contains control characters.", 400,
                    ArgumentName=what)
    return value


def read_small(req: Request, limit: int = MAX_XML_BODY) -> bytes:
    if req.content_length is not None and req.content_length > limit:
        raise entity_too_large(limit)
    if req.body is None:
        return b""
    data = req.body.read(limit + 1)
    if len(data) > limit:
        raise entity_too_large(limit)
    return data


def _control_ref(m: re.Match) -> bytes:
    code = int(m[1], 16) if m[1] else int(m[2])
    if 0 < code < 0x20 and code not in (0x09, 0x0A, 0x0D):
        return chr(_STAND_IN + code).encode("utf-8")
    return m[0]


def read_xml(req: Request) -> ET.Element | None:
    """Parse a small XML request body (None when empty), after checking its Content-MD5
    when the request has one (InvalidDigest otherwise, as for an object's body)."""
    data = read_small(req)
    md5 = req.headers.get("content-md5")
    if md5 is not None and decode_content_md5(md5) != hashlib.md5(data).digest():
        raise invalid_digest()
    if not data.strip():
        return None
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise malformed_xml()
    # Keys may hold control characters XML 1.0 cannot (oss2's test_chinese deletes
    # 'a\x0c-2.txt'; ElementTree writes the byte raw and OSS accepts it): parse them as
    # private-use stand-ins and put them back. A control byte is never part of a
    # multi-byte UTF-8 sequence, so the byte-wise swap is safe.
    data = _CONTROL_BYTES.sub(lambda m: chr(_STAND_IN + m[0][0]).encode("utf-8"), data)
    # ... and so may character references to them (alibabacloud-oss-v2 escapes 0x01 as
    # '&#01;', which XML 1.0 forbids and OSS accepts)
    data = _CHAR_REF.sub(_control_ref, data)
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise malformed_xml() from None
    for node in root.iter():
        if node.text:
            node.text = _STAND_INS.sub(lambda m: chr(ord(m[0]) - _STAND_IN), node.text)
    return root
