"""Name the usual cause of a rejected signed URL.

Three sources, in order of strength:

* the error OSS returned (``Code`` + ``EC``): expiry, clock skew, a missing STS token;
* a comparison of the strings OSS verified against the strings the client signed
  (:func:`classify`): which named part differs -- method, scope region, key, bucket,
  a query parameter, a header -- and, when nothing differs, the secret;
* readings of the request a client may have signed instead (:func:`client_variants`); with
  credentials, the reading whose signature equals the URL's is what was really signed.

When none of these can decide, :func:`suspects` lists what the URL itself makes likely.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import quote, unquote, unquote_plus

from .explain_strings import Parsed, SignedRequest
from .explain_url import SIGNATURE_PARAMS, TOKEN_PARAMS, UrlAnatomy, human_duration

# id -> (title, what to do)
CAUSES = {
    "expired": ("The URL has expired",
                "Sign a new URL with a longer validity (V4 allows up to 7 days)."),
    "clock-skew": ("Clock skew between the signing machine and OSS",
                   "Synchronise the signing machine's clock (NTP); OSS accepts a V4 URL "
                   "at most 15 minutes before its x-oss-date."),
    "region": ("The region in the credential scope is not the bucket's",
               "Sign with the bucket's region id (e.g. cn-hangzhou, not oss-cn-hangzhou): "
               "oss2 Bucket(..., region=...), alibabacloud-oss-v2 cfg.region."),
    "key-encoding": ("'+' or space in the key encoded differently",
                     "Percent-encode the key once: space as %20, '+' as %2B. A '+' in a URL "
                     "path is a plus to OSS, never a space; do not form-encode the path."),
    "process-encoding": ("x-oss-process not encoded the way it was signed",
                         "Put the x-oss-process value in the URL percent-encoded exactly "
                         "once ('/' %2F, ',' %2C, '+' %2B, '=' %3D), as the SDKs do."),
    "process-unsigned": ("x-oss-process is not covered by the signature",
                         "Give x-oss-process to the signer (params / process=) instead of "
                         "appending it to a signed URL. alibabacloud-oss-v2 1.4.x leaves it "
                         "out of V1 signatures: use V4 or oss2 for processed URLs."),
    "sts-token-missing": ("The STS security token is missing",
                          "Sign with the temporary key's security token (oss2 StsAuth, or a "
                          "credentials provider given the token); the URL must carry "
                          "security-token (V1) or x-oss-security-token (V4)."),
    "sts-token-unsigned": ("The STS security token is not covered by the signature",
                           "Give the token to the signer instead of appending it to the URL."),
    "token-invalid": ("The STS security token is not the one issued with this key",
                      "Use the token returned with this temporary AccessKey (it may have "
                      "expired or been mangled in transit: encode '+' '/' '=')."),
    "header-signed-not-sent": ("A header was signed but not sent as signed",
                               "Send exactly the headers given to the signer (Content-Type "
                               "and x-oss-* included), or sign without them."),
    "header-sent-not-signed": ("A header was sent but not signed",
                               "Either give that header to the signer, or do not send it "
                               "(browsers and curl -d add Content-Type on their own)."),
    "method": ("Wrong HTTP method",
               "Use the method the URL was signed for (a GET URL cannot be used for HEAD or "
               "PUT); sign one URL per method."),
    "bucket-twice": ("The bucket is both in the host and in the path",
                     "With a virtual-hosted host (bucket.oss-...), the path is just /key; "
                     "use path-style (oss-.../bucket/key) only with a path-style signer."),
    "param-added": ("A query parameter was added after signing",
                    "V4 signs every query parameter: add it before signing, or drop it."),
    "param-missing": ("A signed query parameter is missing",
                      "Send the URL exactly as signed."),
    "param-differs": ("A query parameter differs from what was signed",
                      "Send the URL exactly as signed."),
    "resource-differs": ("OSS read another bucket or key than was signed",
                         "Send the URL exactly as signed; check the bucket and key."),
    "canonical-differs": ("The canonical request differs",
                          "OSS did not return its CanonicalRequest; compare the request "
                          "with the URL by hand."),
    "wrong-secret": ("Wrong AccessKey secret (everything else equal)",
                     "Sign with the secret that belongs to this AccessKeyId (no stray "
                     "spaces or newlines; a rotated or disabled key fails the same way)."),
    "access-key-unknown": ("OSS does not know this AccessKeyId",
                           "Check the AccessKeyId; a deleted key or a temporary key used "
                           "without its token fails this way."),
    "not-signed": ("The URL is not signed and the object is private",
                   "Sign the URL (oss-img explain shows how it would be checked)."),
    "malformed": ("The signature parameters are malformed",
                  "Let an SDK build the URL; do not edit its parameters by hand."),
}


@dataclass(frozen=True)
class Cause:
    id: str
    detail: str
    confirmed: bool = True

    @property
    def title(self) -> str:
        return CAUSES[self.id][0]

    @property
    def fix(self) -> str:
        return CAUSES[self.id][1]

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "detail": self.detail,
                "fix": self.fix, "confirmed": self.confirmed}


# ----------------------------------------------------------------------------- from OSS's error

def _server_time(text: str) -> int | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return int(datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp())
        except (TypeError, ValueError):
            continue
    return None


def causes_from_error(code: str, ec: str, fields: dict[str, str],
                      anatomy: UrlAnatomy) -> list[Cause]:
    """What OSS's own error code already says (no string comparison needed)."""
    sig = anatomy.signature
    server_time = _server_time(fields.get("ServerTime", ""))
    if ec == "0002-00000069" or (code == "AccessDenied" and "expired" in fields.get(
            "Message", "").lower()):
        detail = "OSS says the request has expired"
        if sig.expires_at is not None and server_time is not None:
            detail = (f"the URL expired {human_duration(server_time - sig.expires_at)} "
                      f"before OSS's time {fields['ServerTime']}")
            if sig.signed_at is not None and server_time < sig.signed_at:
                detail += "; x-oss-date is after OSS's time too: the signing clock is off"
        return [Cause("expired", detail)]
    if ec == "0002-00000235" or code == "RequestTimeTooSkewed":
        detail = "OSS says the request time is too far from its own"
        if sig.signed_at is not None and server_time is not None:
            detail = (f"x-oss-date is {human_duration(sig.signed_at - server_time)} after "
                      f"OSS's time {fields['ServerTime']}: the signing machine's clock is "
                      "ahead (OSS allows 15 min)")
        return [Cause("clock-skew", detail)]
    if code == "InvalidAccessKeyId":
        if ec == "0002-00000003":
            return [Cause("sts-token-missing", f"{sig.access_key_id} is a temporary (STS) "
                          "key but the URL carries no security token")]
        if ec == "0002-00000008":
            return [Cause("token-invalid", "OSS rejects the security token in the URL")]
        return [Cause("access-key-unknown", f"OSS has no AccessKeyId {sig.access_key_id!r}")]
    if code == "AccessDenied" and sig.version == "none":
        return [Cause("not-signed", "the object is private and the URL has no signature")]
    return []


# ----------------------------------------------------------------------------- from the strings

def _describe_key_change(signed: str, read: str) -> str:
    pluses = [i for i, (a, b) in enumerate(zip(signed, read)) if a != b]
    what = []
    if any(signed[i] == " " and read[i] == "+" for i in pluses):
        what.append("a space was written as '+' (form encoding); OSS reads '+' as a plus")
    if any(signed[i] == "+" and read[i] == " " for i in pluses):
        what.append("a '+' reached OSS as a space (encode it as %2B)")
    return f"signed key {signed!r}, OSS read {read!r}: " + "; ".join(what)


def _describe_process_change(signed: str, read: str) -> str:
    if unquote(read) == signed:
        how = "the value is percent-encoded twice in the URL (OSS decodes once)"
    elif quote(signed, safe="") == read:
        how = "the signer was given the value already encoded"
    elif read.replace(" ", "+") == signed:
        how = "a raw '+' in the value reached OSS as a space: encode it as %2B"
    elif read.replace("+", " ") == signed:
        how = "a space was written as '+': encode it as %20"
    else:
        how = "the values differ"
    return f"signed {signed!r}, OSS read {read!r}: {how}"


def _query_causes(version: str, server: Parsed, ours: Parsed) -> list[Cause]:
    out = []
    token = TOKEN_PARAMS[version]
    for name in sorted(set(server.query) | set(ours.query)):
        s, o = server.query.get(name), ours.query.get(name)
        if s == o or name == "x-oss-signature":
            continue
        if name == token:
            if o is None:
                out.append(Cause("sts-token-unsigned", f"OSS verified {name} but the "
                                 "signature was computed without it"))
            elif s is None:
                out.append(Cause("sts-token-missing", f"the signature covers {name} but "
                                 "the request OSS got has none"))
            else:
                out.append(Cause("token-invalid", f"{name} differs from the signed one"))
        elif name == "x-oss-process":
            if o is None:
                sign = "V1 signs it as a sub-resource" if version == "v1" else \
                    "V4 signs every parameter"
                out.append(Cause("process-unsigned", f"OSS verified x-oss-process={s} but "
                                 f"the signature was computed without it ({sign})"))
            elif s is None:
                out.append(Cause("process-encoding", "the signature covers x-oss-process "
                                 "but OSS got none (a raw '#' or '&' in the URL cuts it)"))
            else:
                out.append(Cause("process-encoding", _describe_process_change(o, s)))
        elif o is None:
            out.append(Cause("param-added", f"OSS verified {name}={s}, which was not signed"))
        elif s is None:
            out.append(Cause("param-missing", f"{name}={o} was signed but not sent"))
        else:
            out.append(Cause("param-differs", f"{name} signed as {o!r}, sent as {s!r}"))
    return out


def _header_causes(server: Parsed, ours: Parsed) -> list[Cause]:
    out = []
    for name in sorted(set(server.headers) | set(ours.headers)):
        s, o = server.headers.get(name), ours.headers.get(name)
        if s == o:
            continue
        if o is None:
            out.append(Cause("header-sent-not-signed", f"{name}: {s} was sent but the "
                             "signature does not cover it"))
        elif s is None:
            out.append(Cause("header-signed-not-sent", f"{name}: {o} was signed but not "
                             "sent"))
        else:
            out.append(Cause("header-signed-not-sent", f"{name} was signed as {o!r} but "
                             f"sent as {s!r}"))
    return out


def _resource_causes(server: Parsed, ours: Parsed) -> list[Cause]:
    if (server.bucket, server.key) == (ours.bucket, ours.key):
        return []
    if server.bucket == ours.bucket and server.key and ours.key is not None:
        if ours.bucket and server.key == f"{ours.bucket}/{ours.key}":
            return [Cause("bucket-twice", f"OSS read the key {server.key!r}: the path "
                          f"repeats the bucket {ours.bucket!r} already in the host")]
        if (len(server.key) == len(ours.key)
                and server.key.replace("+", " ") == ours.key.replace("+", " ")):
            return [Cause("key-encoding", _describe_key_change(ours.key, server.key))]
    return [Cause("resource-differs", f"signed /{ours.bucket or ''}/{ours.key or ''}, OSS "
                  f"read /{server.bucket or ''}/{server.key or ''}")]


def classify(version: str, server: Parsed, ours: Parsed) -> list[Cause]:
    """Name what differs between what OSS verified (``server``) and what was signed."""
    out: list[Cause] = []
    if server.method and ours.method and server.method != ours.method:
        out.append(Cause("method", f"signed for {ours.method}, sent as {server.method}"))
    if version == "v4" and server.scope_region != ours.scope_region:
        out.append(Cause("region", f"the URL's credential scope names "
                         f"{ours.scope_region or '(empty)'}, OSS verified with the bucket's "
                         f"region {server.scope_region or '(empty)'}"))
    if version == "v1" or (server.has_canonical and ours.has_canonical):
        out += _resource_causes(server, ours)
        out += _query_causes(version, server, ours)
        out += _header_causes(server, ours)
    elif version == "v4" and server.hash != ours.hash:
        out.append(Cause("canonical-differs", "the SHA-256 of the canonical request differs"))
    if server.date != ours.date and not out:
        out.append(Cause("param-differs", f"the date line differs: signed {ours.date!r}, "
                         f"OSS used {server.date!r}"))
    return out


# ----------------------------------------------------------------------------- readings

CONTENT_TYPE_GUESSES = ("application/octet-stream", "image/jpeg", "image/png", "image/webp",
                        "text/plain", "application/x-www-form-urlencoded", "application/xml",
                        "application/json", "binary/octet-stream")
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


def _key_readings(key: str, encoded: str | None) -> list[str]:
    """The keys a signer may have meant when '+' and space got swapped on the way."""
    out = []
    if encoded:
        out.append(unquote_plus(encoded))     # a space written as '+' (form encoding)
    spots = [i for i, c in enumerate(key) if c in "+ "]
    if len(spots) <= 8:
        for mask_bits in range(1, 1 << len(spots)):
            chars = list(key)
            for n, i in enumerate(spots):
                if mask_bits >> n & 1:
                    chars[i] = " " if chars[i] == "+" else "+"
            out.append("".join(chars))
    else:
        out += [key.replace("+", " "), key.replace(" ", "+")]
    return [k for k in dict.fromkeys(out) if k != key]


def client_variants(base: SignedRequest, encoded_key: str | None = None
                    ) -> Iterator[tuple[str, SignedRequest]]:
    """(what changed, request) for the readings a client may have signed instead of
    ``base``: each is ``base`` broken back in one of the usual ways."""
    yield "the URL as it is", base
    for m in METHODS:
        if m != base.method:
            yield f"method {m}", base.with_(method=m)
    key, bucket = base.key or "", base.bucket or ""
    for alt in _key_readings(key, encoded_key):
        yield f"key {alt!r}", base.with_(key=alt)
    if bucket and key.startswith(bucket + "/"):
        yield f"key {key[len(bucket) + 1:]!r}", base.with_(key=key[len(bucket) + 1:] or None)
    params = base.params
    for name in params:
        if name not in SIGNATURE_PARAMS:
            yield f"without {name}", base.with_(query={k: v for k, v in params.items()
                                                       if k != name})
    value = params.get("x-oss-process")
    if value is not None:
        for alt in dict.fromkeys((unquote(value), quote(value, safe=""),
                                  value.replace(" ", "+"), value.replace("+", " "))):
            if alt != value:
                yield f"x-oss-process {alt!r}", base.with_(query={**params, "x-oss-process": alt})
    headers = base.header_map
    for name in headers:
        yield f"without header {name}", base.with_(headers={k: v for k, v in headers.items()
                                                            if k != name})
    if "content-type" not in headers:
        guessed = mimetypes.guess_type(key)[0]
        for ctype in dict.fromkeys(((guessed,) if guessed else ()) + CONTENT_TYPE_GUESSES):
            yield f"with Content-Type {ctype}", base.with_(headers={**headers,
                                                                   "content-type": ctype})


# ----------------------------------------------------------------------------- hints

def suspects(anatomy: UrlAnatomy, method: str) -> list[Cause]:
    """What the URL alone makes likely when nothing could be confirmed."""
    out = []
    sig, key, params = anatomy.signature, anatomy.key or "", anatomy.params
    if sig.version == "v1" and "x-oss-process" in params:
        out.append(Cause("process-unsigned", "alibabacloud-oss-v2 1.4.x signs V1 URLs without "
                         "x-oss-process, and a process appended to a signed URL is not "
                         "signed either", confirmed=False))
    if "+" in key or " " in key:
        out.append(Cause("key-encoding", f"the key {key!r} holds '+' or a space; check the "
                         "path encodes them as %2B and %20", confirmed=False))
    bucket = anatomy.address.bucket if anatomy.address else None
    if (anatomy.address and anatomy.address.style in ("virtual-hosted", "cname") and bucket
            and key.startswith(bucket + "/")):
        out.append(Cause("bucket-twice", f"the key starts with the bucket name {bucket!r}",
                         confirmed=False))
    if anatomy.process and {"+", " "} & set(anatomy.process.unencoded):
        out.append(Cause("process-encoding", "x-oss-process holds a raw '+' or space",
                         confirmed=False))
    if method != "GET":
        out.append(Cause("method", f"the request is a {method}; most presigned URLs are "
                         "signed for GET", confirmed=False))
    out.append(Cause("wrong-secret", "a different secret, or a request that differs in a "
                     "way only the signer knows", confirmed=False))
    return out


__all__ = ["Cause", "CAUSES", "causes_from_error", "classify", "client_variants",
           "suspects", "METHODS"]
