"""``oss-img batch-diff``: what changed between two batch runs (e.g. before and after a
style edit), matched by source name.

Categories: ``new_errors`` (succeeded before, fail now), ``fixed`` (failed before,
succeed now), ``changed_errors`` (fail both times with another code), ``changed``
(both succeeded, output bytes differ: size, dimensions and a pixel difference from
:mod:`core.compare`, worst first), ``added`` / ``removed`` sources, and the count of
unchanged ones.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import codec
from ..compare import compare
from ..errors import OssError
from . import manifest
from .sources import MANIFEST


@dataclass
class Change:
    source: str
    old: dict
    new: dict
    size_changed: bool
    dims_changed: bool
    pixels: dict | None = None    # core.compare figures when the sizes match

    @property
    def badness(self) -> tuple:
        """Sort key, worst first: other dimensions, then the most pixels differing."""
        p = self.pixels or {}
        return (not self.dims_changed, -(p.get("differing") or 0.0),
                -(p.get("mean") or 0.0), self.source)

    def to_dict(self) -> dict:
        o, n = self.old, self.new
        return {"source": self.source, "old_output": o["output"], "new_output": n["output"],
                "old_bytes": o["output_bytes"], "new_bytes": n["output_bytes"],
                "old_size": [o["output_width"], o["output_height"]],
                "new_size": [n["output_width"], n["output_height"]],
                "old_format": o["output_format"], "new_format": n["output_format"],
                "size_changed": self.size_changed, "dims_changed": self.dims_changed,
                "pixels": self.pixels}


@dataclass
class Diff:
    old_dir: str
    new_dir: str
    new_errors: list[tuple[dict, dict]] = field(default_factory=list)
    fixed: list[tuple[dict, dict]] = field(default_factory=list)
    changed_errors: list[tuple[dict, dict]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    unchanged: int = 0

    def to_dict(self) -> dict:
        def err(pair):
            old, new = pair
            return {"source": new["source"], "old_error": old.get("error"),
                    "new_error": new.get("error")}
        return {"old": self.old_dir, "new": self.new_dir,
                "counts": {"new_errors": len(self.new_errors), "fixed": len(self.fixed),
                           "changed_errors": len(self.changed_errors),
                           "changed": len(self.changed), "added": len(self.added),
                           "removed": len(self.removed), "unchanged": self.unchanged},
                "new_errors": [err(p) for p in self.new_errors],
                "fixed": [err(p) for p in self.fixed],
                "changed_errors": [err(p) for p in self.changed_errors],
                "changed": [c.to_dict() for c in self.changed],
                "added": [r["source"] for r in self.added],
                "removed": [r["source"] for r in self.removed]}


def _load(folder: str | os.PathLike) -> dict[str, dict]:
    if not (Path(folder) / MANIFEST).is_file():
        raise OssError("InvalidArgument", f"No {MANIFEST} in {folder}: not a batch output "
                       "folder.")
    return manifest.load(folder)


def _pixels(old_path: Path, new_path: Path) -> dict | None:
    try:
        a = codec.decode(old_path.read_bytes(), orient=False).image
        b = codec.decode(new_path.read_bytes(), orient=False).image
    except (OSError, OssError):
        return None
    c = compare(a, b)
    if not c.same_size:
        return None
    return {"mean": sum(c.mean_abs or ()) / 4, "max": c.max_abs, "differing": c.differing,
            "summary": c.summary()}


def diff(old_dir: str | os.PathLike, new_dir: str | os.PathLike) -> Diff:
    old, new = _load(old_dir), _load(new_dir)
    result = Diff(str(old_dir), str(new_dir))
    for name in sorted(set(old) | set(new)):
        o, n = old.get(name), new.get(name)
        if o is None:
            result.added.append(n)
        elif n is None:
            result.removed.append(o)
        elif o.get("error") and n.get("error"):
            if o["error"]["code"] != n["error"]["code"]:
                result.changed_errors.append((o, n))
            else:
                result.unchanged += 1
        elif n.get("error"):
            result.new_errors.append((o, n))
        elif o.get("error"):
            result.fixed.append((o, n))
        elif o["output_sha256"] == n["output_sha256"]:
            result.unchanged += 1
        else:
            dims = (o["output_width"], o["output_height"]) != \
                (n["output_width"], n["output_height"])
            change = Change(name, o, n, o["output_bytes"] != n["output_bytes"], dims)
            if not dims and o["output_format"] != "json":
                change.pixels = _pixels(Path(old_dir) / o["output"],
                                        Path(new_dir) / n["output"])
            result.changed.append(change)
    result.changed.sort(key=lambda c: c.badness)
    return result
