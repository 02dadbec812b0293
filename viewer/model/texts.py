"""What the views say about a result, in words: an OSS error in OSS terms, a size, a
size change. Qt-free, so panels and the canvas share it without importing each other."""
from __future__ import annotations

import math

from core.errors import OssError


def error_text(error: OssError) -> str:
    """One line in OSS terms: code, message, EC."""
    text = f"{error.code}: {error.message}"
    if error.ec:
        text += f" (EC {error.ec})"
    return text


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.2f} MB"


def ratio_text(out_bytes: int, src_bytes: int) -> str:
    if src_bytes <= 0:
        return ""
    change = (out_bytes - src_bytes) / src_bytes * 100
    if math.isclose(change, 0, abs_tol=0.05):
        return "same size as the source"
    return f"{change:+.0f}% vs source {human_bytes(src_bytes)}"
