"""Bundled fonts, sample images and icons (data only; nothing to import).

In a checkout this folder is ``resources/``; in a wheel it is installed as the package
``oss_style_viewer_resources`` (pyproject.toml maps the name onto this folder), so that it
can be found with :mod:`importlib.resources` without claiming the generic top-level name
``resources`` in site-packages. Look files up with :func:`core.resources.resource_path`.
"""
