"""Self-contained HTML reports of a batch run and of a batch-diff.

One file, nothing fetched: CSS inline, histograms as inline SVG, thumbnails as data: URIs
(so the report can be mailed or attached to a ticket). The contact sheet lists failures
first, then outputs from the least saved; it stops at :data:`MAX_THUMBS` and says so.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
from html import escape
from pathlib import Path


from .. import codec
from ..errors import OssError
from . import stats
from .diff import Diff

MAX_THUMBS = 300
THUMB = 160

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.sub{color:#666;margin-bottom:16px;word-break:break-all}
table{border-collapse:collapse;background:#fff} td,th{padding:4px 10px;border:1px solid #ddd;
text-align:left;vertical-align:top} th{background:#f0f0f0} td.n{text-align:right}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px;width:172px}
.card.fail{border-color:#d33;background:#fff5f5}
.card img{display:block;max-width:160px;max-height:160px;margin:0 auto 4px}
.card .name{font-weight:600;word-break:break-all;font-size:12px}
.card .meta{font-size:12px;color:#555}
.box{height:100px;display:flex;align-items:center;justify-content:center;color:#b00;
font-weight:600;background:repeating-linear-gradient(45deg,#fee,#fee 8px,#fdd 8px,#fdd 16px)}
.hists{display:flex;flex-wrap:wrap;gap:24px}
.hist{background:#fff;border:1px solid #ddd;padding:8px}
.bad{color:#b00} .good{color:#070}
.pair{display:flex;gap:6px} .pair figure{margin:0;text-align:center;font-size:12px}
"""


def thumbnail_uri(path: str | os.PathLike, size: int = THUMB,
                  sha256: str | None = None) -> str | None:
    """A small PNG/JPEG data: URI of the image at ``path``, or None if it can't be read
    (or, given ``sha256``, if the file no longer holds those bytes)."""
    try:
        data = Path(path).read_bytes()
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            return None
        im = codec.open_image(data)
        im.seek(0)
        im.thumbnail((size, size))
        im = im.convert("RGBA") if im.mode in ("P", "LA", "PA", "RGBA") else im.convert("RGB")
    except (OSError, OssError, ValueError, EOFError, SyntaxError):
        return None
    buf = io.BytesIO()
    if im.mode == "RGBA":
        im.save(buf, "PNG", optimize=True)
        mime = "image/png"
    else:
        im.save(buf, "JPEG", quality=80)
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def svg_histogram(h: stats.Histogram, title: str, fmt, width: int = 420,
                  height: int = 180, css_class: str = "") -> str:
    """Bars of ``h`` with the axis ends labelled by ``fmt(edge)``."""
    pad_l, pad_b, pad_t = 34, 28, 22
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    parts = [f'<svg class="histogram {css_class}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
             f'<text x="{pad_l}" y="15" font-size="13" font-weight="600">{escape(title)}'
             '</text>']
    if not h.counts:
        parts.append(f'<text x="{pad_l}" y="{pad_t + plot_h // 2}" fill="#888">no data</text>')
    else:
        peak = max(h.counts)
        bar_w = plot_w / len(h.counts)
        for i, c in enumerate(h.counts):
            bh = plot_h * c / peak if peak else 0
            x = pad_l + i * bar_w
            y = pad_t + plot_h - bh
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                         f'height="{bh:.1f}" fill="#3b7dd8"><title>{fmt(h.edges[i])} – '
                         f'{fmt(h.edges[i + 1])}: {c}</title></rect>')
        base = pad_t + plot_h
        parts += [f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" '
                  'stroke="#444"/>',
                  f'<text x="{pad_l}" y="{base + 16}" font-size="11">{escape(fmt(h.edges[0]))}'
                  '</text>',
                  f'<text x="{pad_l + plot_w}" y="{base + 16}" font-size="11" '
                  f'text-anchor="end">{escape(fmt(h.edges[-1]))}</text>',
                  f'<text x="{pad_l - 4}" y="{pad_t + 10}" font-size="11" '
                  f'text-anchor="end">{peak}</text>']
    parts.append("</svg>")
    return "".join(parts)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _secs(v: float | None) -> str:
    return "–" if v is None else f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s"


def _page(title: str, subtitle: str, body: list[str]) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><div class=\"sub\">{escape(subtitle)}</div>"
            + "".join(body) + "</body></html>\n")


def _card(record: dict, out_dir: Path) -> str:
    name = escape(record["source"])
    err = record.get("error")
    if err:
        # The source as it was when it failed, if it is a local file that still holds it.
        uri = thumbnail_uri(record["ref"], sha256=record["source_sha256"]) \
            if record.get("source_sha256") and os.path.isfile(record["ref"]) else None
        img = (f'<img src="{uri}" alt="{name}">' if uri else
               f'<div class="box">{escape(err["code"])}</div>')
        return (f'<div class="card fail" data-source="{name}">{img}<div class="name">{name}'
                f'</div><div class="meta bad">{escape(err["code"])}: '
                f'{escape(err["message"])}</div></div>')
    uri = thumbnail_uri(out_dir / record["output"]) if record["output_format"] != "json" \
        else None
    img = f'<img src="{uri}" alt="{name}">' if uri else '<div class="box">no preview</div>'
    s = stats.savings(record)
    cls = "bad" if s is not None and s < 0 else "good"
    return (f'<div class="card" data-source="{name}">{img}<div class="name">{name}</div>'
            f'<div class="meta">{record["output_width"]}×{record["output_height"]} '
            f'{escape(record["output_format"])}, {stats.human_bytes(record["output_bytes"])}'
            f'<br><span class="{cls}">saved {_pct(s)}</span> of '
            f'{stats.human_bytes(record["source_bytes"])}</div></div>')


def batch_report(records: list[dict], out_dir: str | os.PathLike, *, process: str,
                 sources: str) -> str:
    """The HTML report of a run whose outputs are in ``out_dir``."""
    out_dir = Path(out_dir)
    s = stats.summarize(records)
    rows = [("Sources", s.count), ("Succeeded", s.ok), ("Failed", s.failed),
            ("Bytes in (succeeded)", stats.human_bytes(s.bytes_in)),
            ("Bytes out", stats.human_bytes(s.bytes_out)),
            ("Median bytes in / out",
             f"{stats.human_bytes(s.median_in)} / {stats.human_bytes(s.median_out)}"),
            ("Saved", _pct(s.saved)),
            ("Time p50 / p90 / p99 / max",
             " / ".join(_secs(s.seconds[k]) for k in ("p50", "p90", "p99", "max")))]
    body = ['<h2>Summary</h2><table id="summary">'
            + "".join(f"<tr><th>{escape(k)}</th><td class=\"n\">{escape(str(v))}</td></tr>"
                      for k, v in rows) + "</table>"]
    if s.failures_by_code:
        body.append('<h2>Failures by code</h2><table id="failures"><tr><th>Code</th>'
                    '<th>Count</th></tr>' + "".join(
                        f"<tr><td>{escape(c)}</td><td class=\"n\">{n}</td></tr>"
                        for c, n in s.failures_by_code.items()) + "</table>")
    ok = [r for r in records if not r.get("error")]
    hb = stats.histogram([r["output_bytes"] for r in ok])
    hs = stats.histogram([100 * stats.savings(r) for r in ok if stats.savings(r) is not None])
    body.append('<h2>Distributions</h2><div class="hists"><div class="hist">'
                + svg_histogram(hb, "Output bytes", stats.human_bytes, css_class="bytes")
                + '</div><div class="hist">'
                + svg_histogram(hs, "Savings (%)", lambda v: f"{v:.0f}%", css_class="savings")
                + "</div></div>")
    ordered = stats.worst_first(records)
    shown = ordered[:MAX_THUMBS]
    more = len(ordered) - len(shown)
    body.append('<h2>Contact sheet</h2><p>Failures first, then the least saved.'
                + (f" The {more} best-saved are not shown." if more else "")
                + '</p><div class="cards" id="sheet">'
                + "".join(_card(r, out_dir) for r in shown) + "</div>")
    return _page("Batch report", f"{process} over {sources}", body)


def _err_rows(pairs: list[tuple[dict, dict]]) -> str:
    def text(e):
        return "ok" if not e else f"{e['code']}: {e['message']}"
    return "".join(f"<tr><td>{escape(n['source'])}</td><td>{escape(text(o.get('error')))}"
                   f"</td><td>{escape(text(n.get('error')))}</td></tr>" for o, n in pairs)


def diff_report(d: Diff) -> str:
    c = d.to_dict()["counts"]
    body = ['<h2>Summary</h2><table id="summary">' + "".join(
        f"<tr><th>{escape(k.replace('_', ' '))}</th><td class=\"n\">{v}</td></tr>"
        for k, v in c.items()) + "</table>"]
    for title, pairs, ident in (("New errors", d.new_errors, "new-errors"),
                                ("Fixed", d.fixed, "fixed"),
                                ("Errors with another code", d.changed_errors, "changed-errors")):
        if pairs:
            body.append(f'<h2>{title}</h2><table id="{ident}"><tr><th>Source</th>'
                        f'<th>Before</th><th>After</th></tr>{_err_rows(pairs)}</table>')
    if d.changed:
        cards = []
        for ch in d.changed[:MAX_THUMBS]:
            o, n = ch.old, ch.new
            figs = []
            for label, rec, root in (("before", o, d.old_dir), ("after", n, d.new_dir)):
                uri = thumbnail_uri(Path(root) / rec["output"])
                img = f'<img src="{uri}" alt="{label}">' if uri else \
                    '<div class="box">no preview</div>'
                figs.append(f'<figure class="{label}">{img}{label}: {rec["output_width"]}×'
                            f'{rec["output_height"]}, {stats.human_bytes(rec["output_bytes"])}'
                            '</figure>')
            px = ch.pixels["summary"] if ch.pixels else (
                "Sizes differ." if ch.dims_changed else "Not comparable.")
            cards.append(f'<tr data-source="{escape(ch.source)}"><td>{escape(ch.source)}'
                         f'<br><small>{escape(px)}</small></td><td><div class="pair">'
                         + "".join(figs) + "</div></td></tr>")
        body.append('<h2>Changed outputs (worst first)</h2><table id="changed">'
                    "<tr><th>Source</th><th>Before / after</th></tr>" + "".join(cards)
                    + "</table>")
    if d.added or d.removed:
        body.append("<h2>Added / removed sources</h2><p>"
                    + escape(", ".join(["+" + r["source"] for r in d.added]
                                       + ["−" + r["source"] for r in d.removed])) + "</p>")
    return _page("Batch diff", f"{d.old_dir} → {d.new_dir}", body)
