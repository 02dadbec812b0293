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
from .errors import OssError
from .params import CASCADE_CHECKS, REGISTRY, Operation
from .suggest import action_suggestion, did_you_mean, key_suggestion

STYLE_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,63}\Z")
MAX_PROCESS_LENGTH = 4096  # OSS rejects over-long values (EC 0017-00000288); no figure published


@dataclass(frozen=True)
class Token:
    text: str
    start: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.start + len(self.text))


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


def _split(text: str, sep: str, start: int) -> list[Token]:
    out, pos = [], start
    for piece in text.split(sep):
        out.append(Token(piece, pos))
        pos += len(piece) + len(sep)
    return out


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


def _bind(index: int, seg: Token) -> Operation:
    tokens = _split(seg.text, ",", seg.start)
    name_tok = tokens[0]
    name = name_tok.text
    if name == "":
        raise OssError("InvalidArgument", "Empty action.", step=index, span=seg.span)
    cls = REGISTRY.get(name)
    if cls is None:
        raise OssError("InvalidArgument", f"The action: {name} is not supported."
                       + did_you_mean(action_suggestion(name)),
                       ec="0040-00000213", step=index, action=name, span=name_tok.span)
    values: dict[str, object] = {}
    try:
        if cls.SINGLE_VALUE:
            (spec,) = cls.SPECS
            if len(tokens) == 1 or (len(tokens) == 2 and tokens[1].text == ""):
                raise OssError("MissingArgument",
                               f"Missing value of parameter: {name}.",
                               ec=spec.ec_missing, key=spec.key, span=seg.span)
            if len(tokens) > 2:
                raise OssError("InvalidArgument",
                               f"The action: {name} only takes one value.",
                               ec="0040-00000203", key=spec.key,
                               span=(tokens[2].start, tokens[-1].span[1]))
            try:
                values[spec.key] = spec.decode(tokens[1].text, param_name=name)
            except OssError as e:
                raise e.at(span=tokens[1].span)
        else:
            raw: dict[str, Token] = {}
            for tok in tokens[1:]:
                key, sep, value = tok.text.partition("_")
                if not sep:
                    raise OssError("InvalidArgument",
                                   f"The value: {tok.text} of parameter: {name} is invalid."
                                   "reason:expected key_value"
                                   + did_you_mean(key_suggestion(cls, tok.text), ". "),
                                   ec=cls.EC_UNKNOWN_VALUE, key=tok.text, span=tok.span)
                if cls.spec(key) is None:
                    continue  # OSS tolerates unknown keys (the SDK tests send crop,...,r_1)
                raw[key] = tok  # a repeated key: the later one wins
            cls.precheck({k: t.text.partition("_")[2] for k, t in raw.items()})
            for key, tok in raw.items():
                spec = cls.spec(key)
                value = tok.text.partition("_")[2]
                if value == "":
                    raise OssError("InvalidArgument",
                                   f"The value:  of parameter: {key} is invalid.",
                                   ec=spec.ec_missing or spec.ec, key=key, span=tok.span)
                try:
                    values[key] = spec.decode(value)
                except OssError as e:
                    raise e.at(span=tok.span)
        op = cls(**values)
        op.check()
    except OssError as e:
        raise e.at(step=index, action=name, span=seg.span)
    return op


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


def resolve(cascade: Cascade, styles: StyleLookup | None) -> Cascade:
    """Replace a ``style/<name>`` reference by the style's own cascade."""
    if not cascade.is_style:
        return cascade
    content = None
    if styles is not None:
        content = styles(cascade.style) if callable(styles) else styles.get(cascade.style)
    if content is None:
        raise OssError("NoSuchStyle", "The specified style does not exist.",
                       key="stylename", details={"StyleName": cascade.style})
    resolved = parse(content)
    if resolved.is_style:
        raise OssError("InvalidArgument", "A style cannot refer to another style.",
                       key="stylename")
    return resolved
