"""The bundled watermark fonts, made known to Qt so text fields can show CJK.

The preview draws watermark text with the fonts in ``resources/fonts`` (through Pillow);
Qt's own widgets only know the system's fonts, so on a system without CJK fonts the
watermark Text field showed "Hello □□" for text the preview drew as 世界 (issue 9).
:func:`cjk_families` registers the bundled files with ``QFontDatabase`` once and returns
their family names, for widgets to list as fallbacks after their own font.
"""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QFont, QFontDatabase

from core.fonts import available_fonts


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    families: list[str] = []
    seen: set[str] = set()
    for info in available_fonts():
        path = str(info.path)
        if path in seen:
            continue
        seen.add(path)
        font_id = QFontDatabase.addApplicationFont(path)
        if font_id < 0:
            continue
        for family in QFontDatabase.applicationFontFamilies(font_id):
            if family not in families:
                families.append(family)
    # Sans-serif CJK first: they suit a UI field best.
    order = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback")
    return tuple(sorted(families, key=lambda f: order.index(f) if f in order else len(order)))


def with_cjk_fallback(font: QFont) -> QFont:
    """``font`` with the bundled CJK families after its own."""
    out = QFont(font)
    own = [f for f in font.families() or [font.family()] if f]
    out.setFamilies(own + [f for f in cjk_families() if f not in own])
    return out


__all__ = ["cjk_families", "with_cjk_fallback"]
