"""A local library of named styles, stored as one JSON file ``{"name": "image/..."}``.

The file has the same shape as the CLI's ``--styles FILE``, so a library exported from the
viewer can be handed to ``oss-img process --styles`` unchanged, and vice versa.

Guarantees:

* Names are validated as OSS validates them (:func:`core.cascade.validate_style_name`);
  contents must parse (:func:`core.cascade.parse`) as an ``image/...`` cascade.
* Every change is written with :func:`core.storage.atomic_write` *before* it is applied in
  memory: a failed or interrupted write leaves both the file and the object as they were.
* A library file that cannot be understood is never overwritten: it is renamed to
  ``<file>.corrupt-<n>`` and the problem is reported in :attr:`StyleLibrary.load_error`.
  A file that exists but cannot be read (permissions) blocks writes instead.
* Entries whose names are valid but whose content the local parser rejects (an action the
  engine does not implement yet, a pipe) are kept as they are and listed in
  :attr:`StyleLibrary.problems`: the user's data outlives our parser's gaps.

Nothing here imports Qt: the CLI and scripts may use it too.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Iterator, Mapping

from .cascade import no_such_style, parse, validate_style_name
from .errors import OssError
from .storage import atomic_write

LIMIT = 50  # styles per bucket (OSS documentation, "Image styles")


def validate_content(content: str) -> str:
    """Check a style's content: a non-empty ``image/...`` cascade. Returns it stripped.

    Raises :class:`OssError`. A style may not refer to another style (OSS resolves only one
    level, and :func:`core.cascade.resolve` refuses the same).
    """
    if not isinstance(content, str):
        raise OssError("InvalidArgument", "A style's content must be a string.",
                       key="content")
    content = content.strip()
    if not content:
        raise OssError("MissingArgument", "The style content is empty.", key="content")
    cascade = parse(content)
    if cascade.is_style:
        raise OssError("InvalidArgument", "A style cannot refer to another style.",
                       key="content")
    return content


class ConflictPolicy(StrEnum):
    SKIP = "skip"        # keep the library's version (default: nothing is lost)
    REPLACE = "replace"  # take the imported version


@dataclass(frozen=True)
class Conflict:
    name: str
    existing: str
    incoming: str


@dataclass(frozen=True)
class InvalidEntry:
    name: str
    content: object
    error: str


@dataclass(frozen=True)
class ImportReport:
    """What :meth:`StyleLibrary.merge` did, entry by entry; nothing is dropped unreported."""

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()      # conflicts resolved in favour of the import
    unchanged: tuple[str, ...] = ()     # same name, same content
    conflicts: tuple[Conflict, ...] = ()  # same name, different content, library kept
    invalid: tuple[InvalidEntry, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added"]
        if self.replaced:
            parts.append(f"{len(self.replaced)} replaced")
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already present")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} kept (different content): "
                         + ", ".join(c.name for c in self.conflicts))
        if self.invalid:
            parts.append(f"{len(self.invalid)} invalid: "
                         + "; ".join(f"{e.name!r}: {e.error}" for e in self.invalid))
        return ", ".join(parts) + "."


@dataclass(frozen=True)
class ContentProblem:
    name: str
    error: str


def _decode_mapping(text: str, origin: str) -> dict:
    """JSON text -> dict, or OssError naming ``origin``."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise OssError("InvalidArgument", f"{origin} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise OssError("InvalidArgument",
                       f"{origin} must be a JSON object of style name -> process string.")
    return data


def encode(styles: Mapping[str, str]) -> str:
    """The file form: sorted keys, two-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(dict(styles), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class StyleLibrary:
    """Named styles in one JSON file. See the module docstring for the guarantees."""

    LIMIT = LIMIT

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._styles: dict[str, str] = {}
        self.load_error: str | None = None       # what went wrong reading the file, if anything
        self.recovered_to: Path | None = None    # where a corrupt file was moved
        self._blocked: str | None = None         # set when writing could destroy unread data
        self.reload()

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        """(Re)read the file. Never raises for a bad file: see :attr:`load_error`."""
        self._styles, self.load_error, self.recovered_to, self._blocked = {}, None, None, None
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as e:
            # Unreadable is not corrupt: we may not be able to rename it either, and
            # writing would replace data we never saw. Refuse writes until it is readable.
            self.load_error = f"Cannot read the style library {self.path}: {e.strerror or e}"
            self._blocked = self.load_error
            return
        try:
            self._styles = self._decode_library(raw)
        except OssError as e:
            self.recovered_to = self._preserve_corrupt()
            self.load_error = (f"The style library {self.path} could not be read ({e.message}); "
                               f"it was kept as {self.recovered_to.name} and a new, empty "
                               "library started.")

    def _decode_library(self, raw: bytes) -> dict[str, str]:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise OssError("InvalidArgument", f"not UTF-8 ({e.reason})") from None
        if not text.strip():
            return {}
        data = _decode_mapping(text, "the file")
        for name, content in data.items():
            try:
                validate_style_name(name)
            except OssError:
                raise OssError("InvalidArgument", f"invalid style name {name!r}") from None
            if not isinstance(content, str):
                raise OssError("InvalidArgument", f"the content of {name!r} is not a string")
        return dict(data)

    def _preserve_corrupt(self) -> Path:
        n = 1
        while True:
            target = self.path.with_name(f"{self.path.name}.corrupt-{n}")
            if not target.exists():
                break
            n += 1
        os.replace(self.path, target)
        return target

    # -- reading -----------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(self._styles, key=lambda n: (n.lower(), n))

    def get(self, name: str) -> str:
        try:
            return self._styles[name]
        except KeyError:
            raise no_such_style(name) from None

    def as_dict(self) -> dict[str, str]:
        return dict(self._styles)

    def __contains__(self, name: object) -> bool:
        return name in self._styles

    def __len__(self) -> int:
        return len(self._styles)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    @property
    def at_limit(self) -> bool:
        """True from the 50th style on: a bucket cannot hold more."""
        return len(self._styles) >= LIMIT

    @property
    def over_limit(self) -> bool:
        return len(self._styles) > LIMIT

    @property
    def problems(self) -> list[ContentProblem]:
        """Entries kept from the file whose content the local parser rejects."""
        out = []
        for name in self.names():
            try:
                validate_content(self._styles[name])
            except OssError as e:
                out.append(ContentProblem(name, str(e)))
        return out

    @property
    def writable(self) -> bool:
        return self._blocked is None

    # -- editing (each one writes the file first, then updates memory) -----------------
    def save(self, name: str, content: str, *, overwrite: bool = True) -> None:
        """Add or replace a style. ``overwrite=False`` refuses an existing name."""
        validate_style_name(name)
        content = validate_content(content)
        if not overwrite and name in self._styles:
            raise OssError("InvalidArgument", f"A style named {name} already exists.",
                           key="stylename", details={"StyleName": name})
        self._commit({**self._styles, name: content})

    def rename(self, old: str, new: str) -> None:
        content = self.get(old)
        validate_style_name(new)
        if new == old:
            return
        if new in self._styles:
            raise OssError("InvalidArgument", f"A style named {new} already exists.",
                           key="stylename", details={"StyleName": new})
        styles = {k: v for k, v in self._styles.items() if k != old}
        styles[new] = content
        self._commit(styles)

    def delete(self, name: str) -> None:
        self.get(name)
        self._commit({k: v for k, v in self._styles.items() if k != name})

    def replace_all(self, styles: Mapping[str, str]) -> None:
        """Make the library exactly ``styles`` (undo/redo snapshots). Names are validated;
        contents are not, so that a snapshot holding a kept unparsable entry restores."""
        styles = dict(styles)
        for name, content in styles.items():
            validate_style_name(name)
            if not isinstance(content, str):
                raise OssError("InvalidArgument", f"The content of {name} is not a string.")
        self._commit(styles)

    def merge(self, incoming: Mapping[object, object],
              policy: ConflictPolicy | str = ConflictPolicy.SKIP) -> ImportReport:
        """Merge entries into the library in one write; report every entry's fate."""
        policy = ConflictPolicy(policy)
        styles = dict(self._styles)
        added, replaced, unchanged, conflicts, invalid = [], [], [], [], []
        for name, content in incoming.items():
            try:
                if not isinstance(name, str):
                    raise OssError("InvalidArgument", "the name is not a string")
                validate_style_name(name)
                content = validate_content(content)  # type: ignore[arg-type]
            except OssError as e:
                invalid.append(InvalidEntry(str(name), content, str(e)))
                continue
            if name not in styles:
                styles[name] = content
                added.append(name)
            elif styles[name] == content:
                unchanged.append(name)
            elif policy is ConflictPolicy.REPLACE:
                styles[name] = content
                replaced.append(name)
            else:
                conflicts.append(Conflict(name, styles[name], content))
        report = ImportReport(tuple(added), tuple(replaced), tuple(unchanged),
                              tuple(conflicts), tuple(invalid))
        if report.changed:
            self._commit(styles)
        return report

    def import_file(self, path: str | os.PathLike,
                    policy: ConflictPolicy | str = ConflictPolicy.SKIP) -> ImportReport:
        """Merge a JSON file of the library's shape. A file that is not such an object
        raises OssError and changes nothing."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise OssError("InvalidArgument", f"Cannot read {path.name}: {e}") from None
        return self.merge(_decode_mapping(text, path.name), policy)

    def export_file(self, path: str | os.PathLike, names: list[str] | None = None) -> None:
        """Write all styles (or ``names``) to ``path``, atomically, in the library's shape."""
        chosen = self._styles if names is None else {n: self.get(n) for n in names}
        atomic_write(path, encode(chosen))

    def _commit(self, styles: dict[str, str]) -> None:
        if self._blocked:
            raise OssError("AccessDenied", self._blocked + " Not writing over it.")
        atomic_write(self.path, encode(styles))
        self._styles = styles
