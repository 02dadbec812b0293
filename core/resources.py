"""Where the bundled fonts, samples and icons are: editable install, wheel or checkout.

The project's ``resources/`` folder is installed as the package
``oss_style_viewer_resources`` (a setuptools ``package-dir`` mapping in pyproject.toml; a
distinct name, because several distributions on PyPI ship a top-level ``resources``
package and two of them in one site-packages would overwrite each other's files). It is
found with :mod:`importlib.resources`, which works for a wheel, for an editable install
(setuptools maps the name onto the checkout's folder) and for a zip-free ``--target``
install. Run straight from a checkout with nothing installed, the folder next to ``core/``
is used.
"""
from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

PACKAGE = "oss_style_viewer_resources"
CHECKOUT_DIR = Path(__file__).resolve().parent.parent / "resources"


@lru_cache(maxsize=1)
def resource_root() -> Path:
    """The folder holding ``fonts/``, ``samples/`` and ``icons/``."""
    try:
        root = importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:
        return CHECKOUT_DIR
    if isinstance(root, Path):
        return root
    # Fonts are memory-mapped and handed to FreeType by file name, so the resources must
    # be real files: an import from a zip archive is not supported.
    raise RuntimeError(f"{PACKAGE} is not installed as plain files ({root}); "
                       "install the wheel with pip or pipx instead of zip-importing it.")


def resource_path(*parts: str) -> Path:
    """A file or folder under the resources, e.g. ``resource_path("icons", "app.svg")``."""
    return resource_root().joinpath(*parts)
