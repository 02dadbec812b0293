"""Parse and serialize ``x-oss-process`` values.

Two phases, in the manner of imgproxy: the tokenizer splits the string into actions and
``key_value`` tokens while recording each token's character span; the binder then reads the
operation's declarations (``core.params``) to turn tokens into typed, validated values.
Every error names the step, the key and the span of the offending token.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from . import ops as _ops  # noqa: F401  (registers every operation)
from .binder import Token, bind as _bind, split as _split
from .errors import OssError
from .params import CASCADE_CHECKS, Operation

STYLE_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,63}\Z")
MAX_PROCESS_LENGTH = 4096  # OSS rejects over-long values (EC 0017-00000288); no figure published


@dataclass(frozen=True)
class Cascade:
    """An immutable, hashable cascade: either image actions or a style reference."""

    steps: tuple[Operation, ...] = ()
    style: str | None = None

    def to_string(self) -> str:
        if self.style is not None:
            return f"style/{self.style}"
        if not self.steps:
            return ""
        return "image/" + "/".join(op.to_string() for op in self.steps)

    def __str__(self) -> str:
        return self.to_string()

    def __len__(self) -> int:
        return len(self.steps)

    def prefix(self, n: int) -> "Cascade":
        return Cascade(self.steps[:n])

    @property
    def is_style(self) -> bool:
        return self.style is not None


def validate_style_name(name: str) -> str:
    if not STYLE_NAME_RE.match(name or ""):
        raise OssError("InvalidArgument",
                       f"The value: {name} of parameter: stylename is invalid.",
                       ec="0017-00000250", key="stylename")
    return name


def parse(process: str) -> Cascade:
    """Parse an ``x-oss-process`` value (``image/...`` or ``style/<name>``).

    The empty string is the empty cascade (no processing). Raises :class:`OssError`.
    """
    if process is None or process == "":
        return Cascade()
    if not isinstance(process, str):
        raise TypeError("process must be a str")
    if len(process) > MAX_PROCESS_LENGTH:
        raise OssError("InvalidArgument",
                       f"The x-oss-process value is too long (more than {MAX_PROCESS_LENGTH} characters).",
                       ec="0017-00000288", span=(MAX_PROCESS_LENGTH, len(process)))
    if "|" in process:
        at = process.index("|")
        raise OssError("NotImplemented",
                       "Pipes ('|', e.g. sys/saveas) are not supported by the local engine.",
                       span=(at, len(process)))
    kind, slash, body = process.partition("/")
    if kind == "style":
        if not slash:
            raise OssError("MissingArgument", "Missing style name.", key="stylename",
                           span=(0, len(process)))
        try:
            return Cascade(style=validate_style_name(body))
        except OssError as e:
            raise e.at(span=(6, len(process)))
    if kind != "image":
        raise OssError("InvalidArgument",
                       f"The value: {kind} of parameter: x-oss-process is invalid."
                       "reason:must start with image/ or style/",
                       key="x-oss-process", span=(0, len(kind)))
    if not body:
        raise OssError("MissingArgument", "No action after image/.", span=(0, len(process)))
    segments = _split(body, "/", len(kind) + 1)
    if len(segments) > 1 and segments[-1].text == "":
        segments = segments[:-1]  # tolerate one trailing slash
    steps = []
    for index, seg in enumerate(segments):
        steps.append(_bind(index, seg))
    steps_t = tuple(steps)
    _check_cascade(steps_t, segments)
    return Cascade(steps_t)


def _check_cascade(steps: tuple[Operation, ...], segments: list[Token]) -> None:
    if len(steps) > 1:
        for i, op in enumerate(steps):
            if op.TERMINAL:
                raise OssError("InvalidArgument",
                               f"The action: {op.NAME} cannot be combined with other actions.",
                               step=i, action=op.NAME, span=segments[i].span)
    for check in CASCADE_CHECKS:
        try:
            check(steps)
        except OssError as e:
            if e.step is not None and e.span is None and e.step < len(segments):
                e.span = segments[e.step].span
            raise


def to_string(cascade: Cascade | Operation | tuple) -> str:
    if isinstance(cascade, Operation):
        return "image/" + cascade.to_string()
    if isinstance(cascade, tuple):
        cascade = Cascade(cascade)
    return cascade.to_string()


StyleLookup = Mapping[str, str] | Callable[[str], "str | None"]


def no_such_style(name: str) -> OssError:
    """404 NoSuchStyle: what the engine, the style library and the service's style API
    answer for a style that is not there."""
    return OssError("NoSuchStyle", "The specified style does not exist.", key="stylename",
                    details={"StyleName": name})


def resolve(cascade: Cascade, styles: StyleLookup | None) -> Cascade:
    """Replace a ``style/<name>`` reference by the style's own cascade."""
    if not cascade.is_style:
        return cascade
    content = None
    if styles is not None:
        content = styles(cascade.style) if callable(styles) else styles.get(cascade.style)
    if content is None:
        raise no_such_style(cascade.style)
    resolved = parse(content)
    if resolved.is_style:
        raise OssError("InvalidArgument", "A style cannot refer to another style.",
                       key="stylename")
    return resolved
