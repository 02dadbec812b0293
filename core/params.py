"""Parameter declarations: the single source of truth for every action parameter.

Each operation is a frozen dataclass whose fields are declared with :func:`param`. The
field name *is* the OSS wire key (``w``, ``m``, ``Q``...); the metadata carries the type,
range, default, enum choices, value codec, a human title, help text and the fine-grained
OSS error code (EC) for a bad value. The parser (``core.cascade``), the canonical
serializer and the viewer's form generator all read these declarations and nothing else.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Callable, ClassVar, Iterator

from .errors import OssError, invalid


class Kind(StrEnum):
    INT = "int"          # decimal integer, optionally negative where the range allows
    ENUM = "enum"        # one of ``choices``
    COLOR = "color"      # RRGGBB hex
    BASE64 = "base64"    # URL-safe base64 of UTF-8 text; the field holds the decoded text
    FLAG = "flag"        # 0 or 1 (an INT with range [0, 1], shown as a check box)


_INT_RE = re.compile(r"-?[0-9]+\Z")
_COLOR_RE = re.compile(r"[0-9A-Fa-f]{6}\Z")


@dataclass(frozen=True)
class ParamSpec:
    key: str
    kind: Kind
    title: str
    help: str
    min: int | None = None
    max: int | None = None
    default: Any = None            # effective value when the key is absent (documentation, forms)
    choices: tuple[str, ...] = ()
    required: bool = False         # the action needs this key (or see Operation.check)
    ec: str | None = None          # EC for an invalid value
    ec_missing: str | None = None  # EC when the value is missing
    max_bytes: int | None = None   # BASE64: limit on decoded byte length
    unit: str = ""                 # "px", "%", "°" ... for forms

    # -- codec -------------------------------------------------------------------------
    def decode(self, raw: str, *, param_name: str | None = None) -> Any:
        """Wire string -> Python value, or OssError naming this key."""
        name = param_name or self.key
        if self.kind in (Kind.INT, Kind.FLAG):
            if not _INT_RE.match(raw):
                raise invalid(self.key, raw, "Value must be digit", self.ec, name)
            value = int(raw)
            lo = 0 if self.kind is Kind.FLAG and self.min is None else self.min
            hi = 1 if self.kind is Kind.FLAG and self.max is None else self.max
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise invalid(self.key, raw, f"Value must be in [{lo},{hi}]", self.ec, name)
            return value
        if self.kind is Kind.ENUM:
            if raw not in self.choices:
                raise invalid(self.key, raw, "Value must be one of " + ",".join(self.choices),
                              self.ec, name)
            return raw
        if self.kind is Kind.COLOR:
            if not _COLOR_RE.match(raw):
                raise invalid(self.key, raw, "Value must be RRGGBB hex", self.ec, name)
            return raw.upper()
        if self.kind is Kind.BASE64:
            text = b64decode_text(raw, self.key, self.ec)
            if self.max_bytes is not None and len(text.encode("utf-8")) > self.max_bytes:
                raise invalid(self.key, raw, f"Decoded value must be at most {self.max_bytes} bytes",
                              self.ec, name)
            return text
        raise AssertionError(self.kind)

    def encode(self, value: Any) -> str:
        """Python value -> canonical wire string."""
        if self.kind is Kind.BASE64:
            return b64encode_text(value)
        if self.kind is Kind.COLOR:
            return str(value).upper()
        return str(value)

    def validate(self, value: Any) -> Any:
        """Check a Python value (from a form or an API caller) against the declaration."""
        return self.decode(self.encode(value))


def b64encode_text(text: str) -> str:
    """OSS URL-safe base64: standard base64, ``+``->``-``, ``/``->``_``, no padding."""
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def b64decode_text(raw: str, key: str = "", ec: str | None = None) -> str:
    """Decode OSS URL-safe base64 (padding optional). Raises OssError on bad input."""
    if not raw or not re.fullmatch(r"[A-Za-z0-9_\-]+={0,2}", raw):
        raise OssError("InvalidArgument", "Input is not base64 decoding.", ec=ec, key=key)
    stripped = raw.rstrip("=")
    if len(stripped) % 4 == 1:
        raise OssError("InvalidArgument", "Input is not base64 decoding.", ec=ec, key=key)
    try:
        data = base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
        return data.decode("utf-8")
    except (binascii.Error, ValueError):
        raise OssError("InvalidArgument", "Input is not base64 decoding.", ec=ec, key=key) from None


def param(kind: Kind, title: str, help: str = "", **spec: Any) -> Any:
    """Declare an operation field. The field's name becomes the wire key."""
    return dataclasses.field(default=None, metadata={"oss": (kind, title, help, spec)})


class Operation:
    """Base of every action. Subclasses are frozen dataclasses registered with
    :func:`operation`; ``None`` in a field means "not given" (the declared default applies)."""

    NAME: ClassVar[str]
    TITLE: ClassVar[str]
    HELP: ClassVar[str]
    SINGLE_VALUE: ClassVar[bool] = False   # bare value form: ``rotate,90``
    TERMINAL: ClassVar[bool] = False       # info / average-hue: must be the only action
    EC_UNKNOWN_VALUE: ClassVar[str | None] = None
    SPECS: ClassVar[tuple[ParamSpec, ...]]
    # What a step allocates besides its input at its peak, in copies of the input picture
    # (measured, bench/bench_big.py): the engine checks input + this against its memory
    # budget before running the step. 1 = one new picture the size of the input.
    WORKING_COPIES: ClassVar[float] = 1.0

    @classmethod
    def specs(cls) -> tuple[ParamSpec, ...]:
        return cls.SPECS

    @classmethod
    def spec(cls, key: str) -> ParamSpec | None:
        for s in cls.SPECS:
            if s.key == key:
                return s
        return None

    def given(self) -> Iterator[tuple[ParamSpec, Any]]:
        """The parameters that were set, in declaration order."""
        for s in self.SPECS:
            v = getattr(self, s.key)
            if v is not None:
                yield s, v

    def get(self, key: str) -> Any:
        """Effective value: the given one or the declared default."""
        v = getattr(self, key)
        return self.spec(key).default if v is None else v

    @classmethod
    def precheck(cls, raw: dict[str, str]) -> None:
        """Rules on the raw wire values that must run before each value is decoded
        (e.g. resize's w_0,h_0 has its own EC). Raises OssError."""

    def makes_static(self) -> bool:
        """Whether this step turns an animation into its first frame (so an animated
        source's other frames need not be decoded at all)."""
        return False

    def working_bytes(self, pic) -> int:
        """Bytes this step allocates besides its input ``pic`` (a Picture) at its peak."""
        return int(pic.nbytes * self.WORKING_COPIES)

    def uses_objects(self) -> bool:
        """Whether this step reads other objects of the bucket (an image watermark), so
        its result depends on the resolver as well as on the source."""
        return any(s.key == "image" and s.kind is Kind.BASE64 and getattr(self, "image")
                   for s in self.SPECS)

    def check(self) -> None:
        """Cross-parameter validation (after every value passed its own declaration)."""
        for s in self.SPECS:
            if s.required and getattr(self, s.key) is None:
                raise OssError("MissingArgument",
                               f"Missing argument: {s.key} of action: {self.NAME}.",
                               ec=s.ec_missing, key=s.key)

    def to_string(self) -> str:
        parts = [self.NAME]
        for s, v in self.given():
            parts.append(s.encode(v) if self.SINGLE_VALUE else f"{s.key}_{s.encode(v)}")
        return ",".join(parts)

    def replace(self, **changes: Any) -> "Operation":
        return dataclasses.replace(self, **changes)


REGISTRY: dict[str, type[Operation]] = {}

# Cascade-level rules registered by operation modules (e.g. at most 3 image watermarks).
# Each takes the parsed steps and raises OssError (with ``step`` set) on violation.
CASCADE_CHECKS: list[Callable[[tuple[Operation, ...]], None]] = []


def operation(name: str, title: str, help: str = "", *, single_value: bool = False,
              terminal: bool = False):
    """Class decorator: make ``cls`` a frozen dataclass operation and register it."""

    def wrap(cls: type) -> type:
        cls = dataclass(frozen=True)(cls)
        specs = []
        for f in dataclasses.fields(cls):
            kind, ptitle, phelp, extra = f.metadata["oss"]
            specs.append(ParamSpec(key=f.name, kind=kind, title=ptitle, help=phelp, **extra))
        cls.NAME = name
        cls.TITLE = title
        cls.HELP = help
        cls.SINGLE_VALUE = single_value
        cls.TERMINAL = terminal
        cls.SPECS = tuple(specs)
        if single_value and len(specs) != 1:
            raise TypeError(f"{name}: a single-value action declares exactly one field")
        REGISTRY[name] = cls
        return cls

    return wrap


GRAVITIES = ("nw", "north", "ne", "west", "center", "east", "sw", "south", "se")
