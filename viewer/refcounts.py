"""Keep PySide6 6.12 from aborting long sessions on Python 3.11.

PySide6/shiboken 6.12.0 returns ``None`` from void methods (``setText``,
``processEvents``, ...) and ``True`` from ``Signal.emit()`` without adding a reference. On
Python 3.12+ those singletons are immortal and nothing happens; on 3.11 every such call
lowers their reference count by one, and after a few thousand calls the interpreter dies
with "Fatal Python error: none_dealloc" (or bool_dealloc). 6.11.3 does not have the bug.

We detect the leak with a harmless probe and, only if it is there, make the singletons
practically immortal by adding 2**40 to their counts -- what CPython 3.12 does by design.
The singletons are statically allocated and never freed, so this changes nothing else.
"""
from __future__ import annotations

import ctypes
import sys

_BOOST = 1 << 40
_done = False


def leaks_singleton_refs() -> bool:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setObjectName("probe")  # a void method: returns None
    return sys.getrefcount(None) <= before - 16


def protect() -> bool:
    """Apply the guard if this PySide6 needs it; returns whether it was applied."""
    global _done
    if _done:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    if not leaks_singleton_refs():
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _BOOST
    _done = True
    return True
