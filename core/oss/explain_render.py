"""Text and JSON forms of an :class:`core.oss.explain.ExplainReport`.

The text form is for a terminal: one fact a line, the two strings side by side where they
differ, with ``^`` under the differing characters (aligned for wide CJK characters).
"""
from __future__ import annotations

import json
import unicodedata

from .explain import ExplainReport
from .explain_strings import StringDiff
from .explain_url import SIGNATURE_PARAMS

VERDICTS = {"valid": "VALID", "invalid": "INVALID", "unchecked": "NOT CHECKED",
            "unsigned": "UNSIGNED", "unparseable": "UNPARSEABLE"}
_W = 14  # label column


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def carets(text: str, spans) -> str:
    """A line of ``^`` under the characters of ``text`` covered by ``spans``; an empty
    span (something missing on this side) gets one ``^`` at the gap."""
    marks = [" "] * (_width(text) + 1)
    for start, end in spans:
        col = _width(text[:start])
        width = _width(text[start:end]) if end > start else 1
        for i in range(col, min(col + width, len(marks))):
            marks[i] = "^"
    return "".join(marks).rstrip()


def _row(label: str, value: str) -> str:
    return f"{label:<{_W}}{value}"


def _diff_lines(diff: StringDiff) -> list[str]:
    out = [f"{diff.name}: " + ("identical" if diff.equal else "differs")
           + "  (OSS = what OSS verified, ours = what was signed)"]
    for line in diff.lines:
        label = f"{line.label}"
        if line.kind == "equal":
            out.append(f"  = {label:<18} {line.server}")
            continue
        sym = {"changed": "~", "server-only": "-", "ours-only": "+"}[line.kind]
        out.append(f"  {sym} {label}")
        pad = " " * 12
        if line.server is not None:
            out.append(f"      OSS : {line.server}")
            if line.kind == "changed":
                out.append(pad + carets(line.server, line.server_spans))
        else:
            out.append("      OSS : (no such line)")
        if line.ours is not None:
            out.append(f"      ours: {line.ours}")
            if line.kind == "changed":
                out.append(pad + carets(line.ours, line.ours_spans))
        else:
            out.append("      ours: (no such line)")
    return out


def render_text(report: ExplainReport) -> str:
    a = report.anatomy
    lines = [f"{VERDICTS[report.verdict]}: {report.summary}", "", _row("URL", report.url)]
    if a.address is None:
        lines += [_row("Problem", f"{p.code}: {p.message}") for p in a.problems]
        return "\n".join(lines) + "\n"
    ad = a.address
    lines.append(_row("Address", f"{ad.style}, {ad.scheme}, host {ad.host}"))
    lines.append(_row("Bucket", f"{ad.bucket} (from the {ad.bucket_source})" if ad.bucket
                      else "unknown (custom domain)"))
    region = f"{ad.region} (from the {ad.region_source})" if ad.region else "unknown"
    lines.append(_row("Endpoint", f"{ad.endpoint or '(custom domain)'}, region {region}"))
    if a.key is not None:
        lines.append(_row("Key", a.key))
        if a.key_encoded != a.key:
            lines.append(_row("  encoded", a.key_encoded or ""))
    else:
        lines.append(_row("Key", "(none: the bucket itself)"))
    p = a.process
    if p is not None:
        lines.append(_row("Process", p.value))
        if p.raw != p.value:
            lines.append(_row("  encoded", p.raw))
        if p.error:
            where = ", ".join(f"{k} {p.error[k] + 1 if k == 'step' else p.error[k]}"
                              for k in ("step", "key") if p.error.get(k) is not None)
            lines.append(_row("  error", f"{p.error['code']}: {p.error['message']}"
                              + (f" ({where})" if where else "")))
        elif p.style:
            lines.append(_row("  style", p.style))
        else:
            for i, step in enumerate(p.steps, 1):
                lines.append(_row(f"  step {i}", step))
            if p.canonical != p.value:
                lines.append(_row("  canonical", p.canonical or ""))
    for c in a.separators:
        lines.append(_row("Separator", f"with '{c.separator}' enabled on the bucket: key "
                          f"{c.key!r}, style {c.style!r}"))
    for k, v in report.to_dict()["query"]:
        if k not in SIGNATURE_PARAMS and k != "x-oss-process":
            lines.append(_row("Parameter", f"{k}={v}"))
    lines += _signature_lines(report)
    lines += _check_lines(report)
    if report.diffs:
        lines.append("")
        for d in report.diffs:
            lines += _diff_lines(d)
    if report.causes:
        lines.append("")
        lines.append("Cause" + ("s" if len(report.causes) > 1 else ""))
        for c in report.causes:
            lines.append(f"  * {c.title} [{c.id}]")
            lines.append(f"    {c.detail}")
            lines.append(f"    fix: {c.fix}")
    if report.suspects:
        lines.append("")
        lines.append("Could also be (not confirmed)")
        for c in report.suspects:
            lines.append(f"  ? {c.title} [{c.id}]: {c.detail}")
    for n in report.notes:
        lines.append(_row("Note", n))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _signature_lines(report: ExplainReport) -> list[str]:
    s, t = report.anatomy.signature, report.times
    if s.version == "none":
        return [_row("Signature", "none")]
    out = [_row("Signature", "V4 (OSS4-HMAC-SHA256)" if s.version == "v4"
                else "V1 (HMAC-SHA1)"),
           _row("  key id", s.access_key_id or "(missing)")]
    if s.version == "v4":
        out.append(_row("  scope", s.scope))
        out.append(_row("  region", s.scope_region or "(empty)"))
        if s.additional_headers:
            out.append(_row("  additional", ", ".join(s.additional_headers)
                            + " (x-oss-additional-headers)"))
        if "signed_at" in t:
            out.append(_row("  signed at", f"{t['signed_at']} ({t['signed_at_local']}), "
                            f"{t['signed_relative']}"))
    else:
        subs = ", ".join(s.signed_params) or "none"
        out.append(_row("  signs", f"/bucket/key + sub-resources: {subs}"))
    out.append(_row("  headers", ", ".join(report.signed_headers) + " (signed, as sent)"
                    if report.signed_headers else "none sent that the signature covers"))
    if "expires_at" in t:
        out.append(_row("  expires", f"{t['expires_at']} ({t['expires_at_local']}), "
                        f"{t['expires_relative']}"))
    out.append(_row("  STS token", "present" if s.sts_token else "none"))
    return out


def _check_lines(report: ExplainReport) -> list[str]:
    out = []
    c = report.check
    if c.get("credentials") and "signature_matches" in c:
        out.append(_row("Check", f"recomputed with {c['credentials']}: "
                        + ("matches" if c["signature_matches"] else "does NOT match")))
    elif report.anatomy.signature.version != "none" and not c.get("credentials"):
        out.append(_row("Check", "no credentials (OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET): "
                        "signature not recomputed"))
    if report.error is not None:
        e = report.error
        out.append(_row("OSS said", f"{e.code}" + (f" (EC {e.ec})" if e.ec else "")
                        + (f", RequestId {e.request_id}" if e.request_id else "")))
    if report.server is not None and report.diffs:
        out.append(_row("OSS side", report.server.source))
        out.append(_row("Our side", report.ours.source))
    return out


def render_json(report: ExplainReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


__all__ = ["render_text", "render_json", "carets"]
