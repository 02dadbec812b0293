"""Figures of a batch run, shared by the HTML report and the viewer's Batch view."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass


def savings(record: dict) -> float | None:
    """Fraction of the source's bytes saved (negative when the output is bigger)."""
    if record.get("error") or not record.get("source_bytes") or \
            record.get("output_bytes") is None:
        return None
    return 1.0 - record["output_bytes"] / record["source_bytes"]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0-100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class Histogram:
    edges: tuple[float, ...]     # len(counts) + 1
    counts: tuple[int, ...]


def histogram(values: list[float], bins: int = 20) -> Histogram:
    """Equal-width bins from the smallest to the largest value (the last bin closed)."""
    if not values:
        return Histogram((), ())
    lo, hi = min(values), max(values)
    if hi == lo:
        return Histogram((lo, hi), (len(values),))
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    return Histogram(tuple(lo + i * width for i in range(bins)) + (hi,), tuple(counts))


@dataclass(frozen=True)
class Summary:
    count: int
    ok: int
    failed: int
    failures_by_code: dict[str, int]
    bytes_in: int               # sources that succeeded
    bytes_out: int
    median_in: float | None
    median_out: float | None
    saved: float | None         # 1 - bytes_out / bytes_in over the successes
    seconds: dict[str, float | None]   # p50, p90, p99, max, total

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def summarize(records: list[dict]) -> Summary:
    ok = [r for r in records if not r.get("error")]
    failed = [r for r in records if r.get("error")]
    by_code = Counter(r["error"]["code"] for r in failed)
    bytes_in = sum(r["source_bytes"] or 0 for r in ok)
    bytes_out = sum(r["output_bytes"] or 0 for r in ok)
    times = [r["seconds"] for r in records if r.get("seconds") is not None]
    return Summary(
        count=len(records), ok=len(ok), failed=len(failed),
        failures_by_code=dict(sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0]))),
        bytes_in=bytes_in, bytes_out=bytes_out,
        median_in=median([r["source_bytes"] for r in ok]),
        median_out=median([r["output_bytes"] for r in ok]),
        saved=(1 - bytes_out / bytes_in) if bytes_in else None,
        seconds={"p50": percentile(times, 50), "p90": percentile(times, 90),
                 "p99": percentile(times, 99), "max": max(times) if times else None,
                 "total": sum(times)})


def worst_first(records: list[dict]) -> list[dict]:
    """Failures first (by code, then name), then successes from the least saved."""
    def key(r: dict):
        if r.get("error"):
            return (0, r["error"]["code"], 0.0, r["source"])
        s = savings(r)
        return (1, "", s if s is not None else 0.0, r["source"])
    return sorted(records, key=key)


def human_bytes(n: float | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
