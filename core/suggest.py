"""'Did you mean resize?': the closest valid action or key for a misspelt one.

OSS answers ``resiz`` with "The action: resiz is not supported." and silently ignores a
key it does not know (``resize,width_100`` resizes nothing). The parser adds a suggestion
to its message (the OSS code and EC stay as they are), and :func:`ignored_keys` lets a
caller tell the user which keys OSS will ignore, each with its likely intent.

Closeness is :func:`difflib.get_close_matches` (Ratcliff/Obershelp), over the names and
-- for keys, which are one or two letters -- also over the parameters' titles from
``core.params`` ("width" -> ``w``, "opacity" -> ``t``).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable

from .params import REGISTRY, Operation

CUTOFF = 0.6
_VALUE_START = re.compile(r"[0-9-]")


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def closest(word: str, choices: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The choice nearest to ``word`` (case-insensitive), or None when none is close."""
    choices = list(choices)
    if not word or word in choices:
        return None
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[found[0]] if found else None


def did_you_mean(suggestion: str | None, lead: str = " ") -> str:
    """``Did you mean x?`` to append to a message after ``lead`` (empty without a
    suggestion)."""
    return f"{lead}Did you mean {suggestion}?" if suggestion else ""


def action_suggestion(name: str) -> str | None:
    return closest(name, REGISTRY)


def key_suggestion(cls: type[Operation], token: str) -> str | None:
    """The likely meant ``key`` or ``key_value`` for a token of action ``cls`` that is
    not one of its keys: ``w100`` -> ``w_100``, ``width`` -> ``w``, ``wdth_100`` ->
    ``w_100``, ``W_5`` -> ``w_5``."""
    specs = cls.specs()
    if not specs or cls.SINGLE_VALUE:
        return None
    key, sep, value = token.partition("_")
    if not sep:
        # The underscore forgotten: a known key followed by what looks like its value.
        for spec in sorted(specs, key=lambda s: len(s.key), reverse=True):
            rest = token[len(spec.key):]
            if token.startswith(spec.key) and rest and (
                    _VALUE_START.match(rest) or len(spec.key) >= 3):
                return f"{spec.key}_{rest}"
    keys = [s.key for s in specs]
    found = closest(key, keys)
    if found is None:
        titles = {_norm(s.title): s.key for s in specs}
        title = closest(_norm(key), titles)
        found = titles[title] if title else None
        if found is None and _norm(key) in titles:
            found = titles[_norm(key)]
    if found is None or found == key:
        return None
    return f"{found}_{value}" if sep else found


@dataclass(frozen=True)
class IgnoredKey:
    step: int            # zero-based index of the action
    action: str
    key: str
    suggestion: str | None

    def __str__(self) -> str:
        text = (f"step {self.step + 1} ({self.action}): {self.key} is not a parameter of "
                f"{self.action}; OSS ignores it.")
        return text + did_you_mean(self.suggestion)


def ignored_keys(process: str) -> list[IgnoredKey]:
    """Keys of an ``image/...`` value that OSS (and the parser) silently ignore. Call it
    on a value that parses; anything unparsable is skipped, not reported."""
    kind, _, body = (process or "").partition("/")
    if kind != "image":
        return []
    out: list[IgnoredKey] = []
    for index, segment in enumerate(s for s in body.split("/") if s):
        name, *tokens = segment.split(",")
        cls = REGISTRY.get(name)
        if cls is None or cls.SINGLE_VALUE:
            continue
        for tok in tokens:
            key, sep, _ = tok.partition("_")
            if sep and cls.spec(key) is None:
                out.append(IgnoredKey(index, name, key, key_suggestion(cls, tok)))
    return out
