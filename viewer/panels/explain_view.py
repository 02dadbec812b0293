"""An explain report as HTML for a QTextBrowser: facts, diffs with the differing
characters highlighted, causes with their fix. No widgets here (model/rendering only)."""
from __future__ import annotations

from html import escape

from core.oss.explain import ExplainReport
from core.oss.explain_strings import StringDiff

VERDICT_STYLE = {  # verdict -> (label, background, text colour)
    "valid": ("VALID", "#1e7b34", "#ffffff"),
    "invalid": ("INVALID", "#b3261e", "#ffffff"),
    "unchecked": ("NOT CHECKED", "#6b6f76", "#ffffff"),
    "unsigned": ("UNSIGNED", "#6b6f76", "#ffffff"),
    "unparseable": ("UNPARSEABLE", "#b3261e", "#ffffff"),
}
MARK_SERVER = "#f6b6b0"   # characters OSS verified that were not signed
MARK_OURS = "#a8dcb1"     # characters signed that OSS did not see


def marked(text: str, spans, colour: str) -> str:
    """``text`` escaped, with ``spans`` on a coloured background; an empty span (text
    missing on this side) shows as a thin coloured bar."""
    def esc(part: str) -> str:
        return escape(part)

    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(esc(text[pos:start]))
        if end > start:
            out.append(f'<span style="background:{colour};color:#000000">{esc(text[start:end])}</span>')
        else:
            out.append(f'<span style="background:{colour};color:#000000"> </span>')
        pos = max(pos, end)
    out.append(esc(text[pos:]))
    return "".join(out)


def _row(label: str, value: str) -> str:
    return (f'<tr><td style="color:#777;padding-right:12px;white-space:nowrap">{label}</td>'
            f"<td>{value}</td></tr>")


def _diff_html(diff: StringDiff) -> str:
    head = (f"<h3>{diff.name} — "
            + ("identical" if diff.equal else "<span style='color:#b3261e'>differs</span>")
            + "</h3><p style='color:#777'>OSS: what OSS verified &middot; ours: what was "
            "signed</p>")
    rows = []
    for line in diff.lines:
        label = escape(line.label)
        if line.kind == "equal":
            rows.append(f"<tr><td style='color:#777'>{label}</td><td></td>"
                        f"<td><code style='white-space:pre-wrap'>{marked(line.server or '', (), '')}</code></td></tr>")
            continue
        server = ("<i>(no such line)</i>" if line.server is None
                  else "<code style='white-space:pre-wrap'>" + marked(line.server, line.server_spans, MARK_SERVER) + "</code>")
        ours = ("<i>(no such line)</i>" if line.ours is None
                else "<code style='white-space:pre-wrap'>" + marked(line.ours, line.ours_spans, MARK_OURS) + "</code>")
        rows.append(f"<tr><td style='color:#b3261e'><b>{label}</b></td><td>OSS</td>"
                    f"<td>{server}</td></tr>")
        rows.append(f"<tr><td></td><td>ours</td><td>{ours}</td></tr>")
    return head + "<table cellspacing='2'>" + "".join(rows) + "</table>"


def report_html(report: ExplainReport) -> str:
    a = report.anatomy
    label, bg, fg = VERDICT_STYLE[report.verdict]
    parts = [f"<p style='background:{bg};color:{fg};padding:6px;font-size:large'>"
             f"<b>{label}</b> — {escape(report.summary)}</p>"]
    for cause in report.causes:
        parts.append(f"<p><b>{escape(cause.title)}</b> <span style='color:#777'>"
                     f"[{cause.id}]</span><br>{escape(cause.detail)}<br>"
                     f"<i>Fix:</i> {escape(cause.fix)}</p>")
    if report.suspects:
        items = "".join(f"<li>{escape(c.title)}: {escape(c.detail)}</li>"
                        for c in report.suspects)
        parts.append(f"<p>Could also be (not confirmed):</p><ul>{items}</ul>")
    for d in report.diffs:
        parts.append(_diff_html(d))
    rows = []
    if a.address is not None:
        ad = a.address
        rows.append(_row("Address", escape(f"{ad.style}, {ad.scheme}, host {ad.host}")))
        rows.append(_row("Bucket", escape(f"{ad.bucket} (from the {ad.bucket_source})"
                                          if ad.bucket else "unknown (custom domain)")))
        region = f"{ad.region} (from the {ad.region_source})" if ad.region else "unknown"
        rows.append(_row("Endpoint", escape(f"{ad.endpoint or '(custom domain)'}, "
                                            f"region {region}")))
        rows.append(_row("Key", f"<code style='white-space:pre-wrap'>{escape(a.key or '(none)')}</code>"
                         + (f" &nbsp;<span style='color:#777'>encoded</span> <code style='white-space:pre-wrap'>"
                            f"{escape(a.key_encoded)}</code>"
                            if a.key_encoded and a.key_encoded != a.key else "")))
    if a.process is not None:
        p = a.process
        value = f"<code style='white-space:pre-wrap'>{escape(p.value)}</code>"
        if p.error:
            value += (f"<br><span style='color:#b3261e'>{escape(p.error['code'])}: "
                      f"{escape(p.error['message'])}</span>")
        elif p.steps:
            value += "<ol style='margin:0'>" + "".join(
                f"<li><code style='white-space:pre-wrap'>{escape(s)}</code></li>" for s in p.steps) + "</ol>"
        rows.append(_row("Process", value))
    for c in a.separators:
        rows.append(_row("Separator", escape(f"with '{c.separator}': key {c.key!r}, "
                                             f"style {c.style!r}")))
    s, t = a.signature, report.times
    if s.version != "none":
        rows.append(_row("Signature", escape(
            ("V4 (OSS4-HMAC-SHA256)" if s.version == "v4" else "V1 (HMAC-SHA1)")
            + f", key id {s.access_key_id}")))
        if s.version == "v4":
            rows.append(_row("Scope", f"<code style='white-space:pre-wrap'>{escape(s.scope)}</code>"))
            if s.additional_headers:
                rows.append(_row("Also signs", escape(", ".join(s.additional_headers))))
        rows.append(_row("Headers", escape(", ".join(report.signed_headers) + " (signed, as sent)"
                                           if report.signed_headers
                                           else "none sent that the signature covers")))
        if "expires_at" in t:
            rows.append(_row("Expires", escape(f"{t['expires_at_local']} "
                                               f"({t['expires_at']}), {t['expires_relative']}")))
        rows.append(_row("STS token", "present" if s.sts_token else "none"))
    elif a.address is not None:
        rows.append(_row("Signature", "none"))
    for p in a.problems:
        rows.append(_row("Problem", escape(f"{p.code}: {p.message}")))
    for n in report.notes:
        rows.append(_row("Note", escape(n)))
    parts.append("<table>" + "".join(rows) + "</table>")
    return "<html><body>" + "".join(parts) + "</body></html>"


__all__ = ["report_html", "marked", "VERDICT_STYLE", "MARK_SERVER", "MARK_OURS"]
