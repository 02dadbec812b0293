"""The strings a signature covers: build them for a request, read them back, diff them.

A :class:`SignedRequest` is one reading of a request (method, bucket, key, query, headers,
region). :func:`strings_for` gives its StringToSign (and, for V4, CanonicalRequest) with
the functions in :mod:`core.oss.signing`, so "ours" is byte-for-byte what the official SDKs
sign. :func:`diff_strings` compares two strings line by line and, inside changed lines,
character by character; :func:`parse_strings` reads either side back into named parts so
that :mod:`core.oss.explain_causes` can say what differs in OSS terms.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from .credentials import Credentials
from .signing import (V1_SUBRESOURCES, V1_URL_PARAMS, canonical_request_v4, scope_v4,
                      signature_v1, signature_v4, string_to_sign_v1, string_to_sign_v4)


@dataclass(frozen=True)
class SignedRequest:
    """One reading of a request, as a signer or as the server sees it."""

    version: str                      # "v1" or "v4"
    method: str
    bucket: str | None
    key: str | None
    query: tuple[tuple[str, str], ...]   # decoded, signature parameters included
    headers: tuple[tuple[str, str], ...]  # lower-case names
    region: str | None = None         # V4: the region in the scope

    def with_(self, **changes) -> "SignedRequest":
        for name in ("query", "headers"):
            if name in changes and isinstance(changes[name], dict):
                changes[name] = tuple(changes[name].items())
        return replace(self, **changes)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def header_map(self) -> dict[str, str]:
        return dict(self.headers)


@dataclass(frozen=True)
class Strings:
    string_to_sign: str
    canonical_request: str | None = None


def _v4_credential(params: dict[str, str]) -> tuple[str, str, str]:
    parts = (params.get("x-oss-credential", "").split("/") + [""] * 5)[:5]
    return parts[1], parts[2], parts[3] or "oss"


def strings_for(req: SignedRequest) -> Strings:
    """What a signer computes for ``req`` (auth parameters are read from its query)."""
    params = req.params
    headers = req.header_map
    if req.version == "v1":
        signed = {k: v for k, v in params.items() if k not in V1_URL_PARAMS}
        return Strings(string_to_sign_v1(req.method, req.bucket, req.key, signed, headers,
                                         params.get("Expires", "")))
    date, region, product = _v4_credential(params)
    region = req.region if req.region is not None else region
    additional = [h for h in params.get("x-oss-additional-headers", "").split(";") if h]
    canonical = canonical_request_v4(req.method, req.bucket, req.key, params, headers,
                                     additional)
    sts = string_to_sign_v4(params.get("x-oss-date", ""), scope_v4(date, region, product),
                            canonical)
    return Strings(sts, canonical)


def signature_for(req: SignedRequest, strings: Strings, credentials: Credentials) -> str:
    if req.version == "v1":
        return signature_v1(credentials.access_key_secret, strings.string_to_sign)
    date, region, product = _v4_credential(req.params)
    region = req.region if req.region is not None else region
    return signature_v4(credentials.access_key_secret, date, region, strings.string_to_sign,
                        product)


# ----------------------------------------------------------------------------- reading back

@dataclass(frozen=True)
class Parsed:
    """The named parts of a StringToSign (+ CanonicalRequest); empty where unknown."""

    version: str
    method: str = ""
    bucket: str | None = None
    key: str | None = None
    query: dict[str, str] = field(default_factory=dict)     # decoded
    headers: dict[str, str] = field(default_factory=dict)   # signed headers
    date: str = ""                    # V1 Expires/Date line; V4 x-oss-date
    scope_region: str = ""
    scope: str = ""
    hash: str = ""
    has_canonical: bool = False


def _split_resource(resource: str) -> tuple[str | None, str | None, dict[str, str]]:
    """``/bucket/key?sub=v&sub2`` -> (bucket, key, subresources); keys may hold ``?``."""
    path, query = resource, ""
    at = resource.find("?")
    while at != -1:
        names = [p.partition("=")[0] for p in resource[at + 1:].split("&")]
        if names and all(n in V1_SUBRESOURCES for n in names):
            path, query = resource[:at], resource[at + 1:]
            break
        at = resource.find("?", at + 1)
    subs = {}
    for pair in query.split("&") if query else ():
        name, _, value = pair.partition("=")
        subs[name] = value
    if path in ("", "/"):
        return None, None, subs
    bucket, _, key = path[1:].partition("/")
    return bucket or None, key or None, subs


def _header_lines(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        name, _, value = line.partition(":")
        out[name] = value
    return out


def parse_strings(version: str, strings: Strings) -> Parsed:
    lines = strings.string_to_sign.split("\n")
    if version == "v1":
        lines += [""] * max(0, 5 - len(lines))
        headers = _header_lines(lines[4:-1])
        if lines[1]:
            headers["content-md5"] = lines[1]
        if lines[2]:
            headers["content-type"] = lines[2]
        bucket, key, subs = _split_resource(lines[-1])
        return Parsed("v1", lines[0], bucket, key, subs, headers, lines[3])
    lines += [""] * max(0, 4 - len(lines))
    scope = lines[2]
    region = (scope.split("/") + ["", ""])[1]
    parsed = Parsed("v4", date=lines[1], scope=scope, scope_region=region, hash=lines[3])
    if strings.canonical_request is None:
        return parsed
    c = strings.canonical_request.split("\n")
    c += [""] * max(0, 6 - len(c))
    uri = unquote(c[1])
    bucket, key = None, None
    if uri not in ("", "/"):
        bucket, _, key = uri[1:].partition("/")
    query = {}
    for pair in c[2].split("&") if c[2] else ():
        name, _, value = pair.partition("=")
        query[unquote(name)] = unquote(value)
    return replace(parsed, method=c[0], bucket=bucket or None, key=key or None, query=query,
                   headers=_header_lines(c[3:-3]), has_canonical=True)


# ----------------------------------------------------------------------------- diff

V1_LABELS = ("verb", "Content-MD5", "Content-Type", "Expires")
V4_STS_LABELS = ("algorithm", "x-oss-date", "scope", "hash")


def line_labels(version: str, name: str, lines: list[str]) -> list[str]:
    """What each line of a StringToSign / CanonicalRequest is."""
    n = len(lines)
    if version == "v1":
        return [V1_LABELS[i] if i < 4 else ("resource" if i == n - 1 else "x-oss-* header")
                for i in range(n)]
    if name == "StringToSign":
        return [V4_STS_LABELS[i] if i < 4 else "extra" for i in range(n)]
    fixed = {0: "method", 1: "canonical URI", 2: "canonical query", n - 3: "end of headers",
             n - 2: "additional headers", n - 1: "payload"}
    return [fixed.get(i, "header") for i in range(n)]


@dataclass(frozen=True)
class DiffLine:
    """One line of the comparison. ``kind``: equal, changed, server-only, ours-only.
    ``server_spans`` / ``ours_spans`` are (start, end) ranges of differing characters."""

    kind: str
    label: str
    server: str | None
    ours: str | None
    server_spans: tuple[tuple[int, int], ...] = ()
    ours_spans: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "server": self.server,
                "ours": self.ours, "server_spans": [list(s) for s in self.server_spans],
                "ours_spans": [list(s) for s in self.ours_spans]}


@dataclass(frozen=True)
class StringDiff:
    name: str                       # "StringToSign" or "CanonicalRequest"
    lines: tuple[DiffLine, ...]

    @property
    def equal(self) -> bool:
        return all(line.kind == "equal" for line in self.lines)

    def to_dict(self) -> dict:
        return {"name": self.name, "equal": self.equal,
                "lines": [line.to_dict() for line in self.lines]}


def char_spans(a: str, b: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """Ranges of ``a`` and ``b`` that differ (difflib, no junk heuristic). Where one side
    has characters the other lacks, the other side gets an empty range at the gap."""
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    merged: list[list[int]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        # Two changes a character or two apart read as one changed word (cn-hangzhou
        # vs cn-beijing), not as a scatter of single letters.
        if merged and i1 - merged[-1][1] < 3 and j1 - merged[-1][3] < 3:
            merged[-1][1], merged[-1][3] = i2, j2
        else:
            merged.append([i1, i2, j1, j2])
    return (tuple((m[0], m[1]) for m in merged), tuple((m[2], m[3]) for m in merged))


def diff_strings(version: str, name: str, server: str, ours: str) -> StringDiff:
    a, b = server.split("\n"), ours.split("\n")
    labels_a, labels_b = line_labels(version, name, a), line_labels(version, name, b)
    out: list[DiffLine] = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out += [DiffLine("equal", labels_a[i1 + k], a[i1 + k], b[j1 + k])
                    for k in range(i2 - i1)]
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            if labels_a[i1 + k] == "hash":  # a digest differs as a whole
                sa, sb = ((0, len(a[i1 + k])),), ((0, len(b[j1 + k])),)
            else:
                sa, sb = char_spans(a[i1 + k], b[j1 + k])
            out.append(DiffLine("changed", labels_a[i1 + k], a[i1 + k], b[j1 + k], sa, sb))
        out += [DiffLine("server-only", labels_a[i], a[i], None, ((0, len(a[i])),))
                for i in range(i1 + pairs, i2)]
        out += [DiffLine("ours-only", labels_b[j], None, b[j], (), ((0, len(b[j])),))
                for j in range(j1 + pairs, j2)]
    return StringDiff(name, tuple(out))


def diff_all(version: str, server: Strings, ours: Strings) -> tuple[StringDiff, ...]:
    diffs = [diff_strings(version, "StringToSign", server.string_to_sign, ours.string_to_sign)]
    if server.canonical_request is not None and ours.canonical_request is not None:
        diffs.append(diff_strings(version, "CanonicalRequest", server.canonical_request,
                                  ours.canonical_request))
    return tuple(diffs)


__all__ = ["SignedRequest", "Strings", "strings_for", "signature_for", "Parsed",
           "parse_strings", "DiffLine", "StringDiff", "diff_strings", "diff_all",
           "char_spans", "line_labels"]
