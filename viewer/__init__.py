"""oss-style-viewer: the Qt desktop application over ``core``."""

from .refcounts import protect as _protect_singletons

# Before any widget exists: PySide6 6.12 on Python 3.11 leaks references to None/True.
_protect_singletons()
