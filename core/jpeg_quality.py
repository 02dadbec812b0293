"""The JPEG quality estimate that ``quality,q_``/``Q_`` need (:mod:`core.engine`):
which IJG quality, if any, produced a file's quantization tables. Pure functions."""
from __future__ import annotations

from functools import lru_cache

__all__ = ["estimate_jpeg_quality"]

# IJG (ITU T.81 Annex K) base tables, natural (row-major) order.
_STD_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)
_STD_CHROMA = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
) + (99,) * 32
# _ZIGZAG[k] = natural index of the k-th coefficient in zig-zag order.
_ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)


def _ijg_table(base: tuple[int, ...], quality: int) -> tuple[int, ...]:
    """libjpeg ``jpeg_set_quality(..., force_baseline=TRUE)``."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return tuple(min(255, max(1, (v * scale + 50) // 100)) for v in base)


_IJG = {q: (_ijg_table(_STD_LUMA, q), _ijg_table(_STD_CHROMA, q)) for q in range(1, 101)}
_IJG_ZIGZAG = {q: tuple(tuple(t[i] for i in _ZIGZAG) for t in pair) for q, pair in _IJG.items()}


def estimate_jpeg_quality(quantization: dict[int, list[int]]) -> int | None:
    """IJG-scale quality (1..100) whose standard tables are nearest to ``quantization``.

    ``quantization`` is Pillow's ``im.quantization`` (table id -> 64 values; Pillow gives
    them in natural order, zig-zag order is recognised as well). Table 0 is compared
    with the scaled luminance table and table 1, when present, with the chrominance
    table; the smallest sum of squared differences wins, the higher quality on a tie.
    Libjpeg-made files match one quality exactly. None when there is no usable table.
    """
    try:
        tables = tuple(sorted((int(k), tuple(int(v) for v in t))
                              for k, t in dict(quantization or {}).items()))
    except (TypeError, ValueError):
        return None
    return _estimate_quality(tables)


@lru_cache(maxsize=64)
def _estimate_quality(items: tuple[tuple[int, tuple[int, ...]], ...]) -> int | None:
    """:func:`estimate_jpeg_quality` on hashable tables (one encoder's files share them,
    so a service sees the same few tables again and again)."""
    tables = {k: t for k, t in items if len(t) == 64 and any(t)}
    if not tables:
        return None
    ids = sorted(tables)
    luma = tables[ids[0]]
    chroma = tables.get(1) if ids[0] == 0 else (tables[ids[1]] if len(ids) > 1 else None)
    best: tuple[int, int] | None = None  # (error, -quality)
    for candidates in (_IJG, _IJG_ZIGZAG):
        for q, (ref_luma, ref_chroma) in candidates.items():
            err = sum((a - b) ** 2 for a, b in zip(luma, ref_luma))
            if chroma is not None:
                err += sum((a - b) ** 2 for a, b in zip(chroma, ref_chroma))
            key = (err, -q)
            if best is None or key < best:
                best = key
    return -best[1] if best is not None else None
