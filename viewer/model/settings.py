"""Reading values back from QSettings.

QSettings hands back whatever the backend stored: an INI file (and the Linux default
format) returns ``"true"``/``"false"`` strings, the registry and plist return real bools,
and a hand-edited file may hold anything. Panels read their remembered fields through
these helpers so a stray value falls back instead of raising or flipping a switch.
"""
from __future__ import annotations

TRUE_WORDS = ("1", "true", "yes", "on")


def to_bool(value: object) -> bool:
    """A remembered flag: ``"true"``, ``"1"``, ``"yes"``, ``"on"`` (any case) or a truthy
    non-string. ``bool("false")`` would be True, which is why this exists."""
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)
