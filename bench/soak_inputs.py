"""Seeded random inputs for the viewer soak (bench/soak_viewer.py): parameter values valid
and not, operations, process strings and their broken variants, and typing text into a
widget key by key."""
from __future__ import annotations

import random

# Sizes drawn for pixel keys stay modest (the machine is shared); a few draws go large.
SIZE_KEYS = {"w", "h", "l", "s", "x", "y", "r", "padx", "pady", "size", "i"}


def type_text(widget, text: str) -> None:
    """Type ``text`` into ``widget`` key by key, as a user (or an input method) would.
    QTest.keyClicks only knows ASCII (it aborts on other characters)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    for ch in text:
        if ch.isascii():
            QTest.keyClicks(widget, ch)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier,
                                                     ch))


# -- random inputs -------------------------------------------------------------------------

class Inputs:
    """Seeded random parameter values, operations and process strings."""

    def __init__(self, rng: random.Random) -> None:
        from core.params import REGISTRY

        self.rng = rng
        self.names = sorted(REGISTRY)
        self.registry = REGISTRY

    def int_value(self, spec, valid: bool = True) -> int:
        rng = self.rng
        lo = spec.min if spec.min is not None else -1000
        hi = spec.max if spec.max is not None else 1000
        if not valid:
            return rng.choice([lo - 1, hi + 1, lo - rng.randint(2, 50)])
        r = rng.random()
        if r < 0.15:
            return rng.choice([lo, hi]) if spec.key not in SIZE_KEYS else lo
        if spec.key in SIZE_KEYS:
            cap = 4000 if r > 0.97 else 1200
            return rng.randint(lo, max(lo, min(hi, cap)))
        return rng.randint(lo, hi)

    def value(self, spec, valid: bool = True):
        from core.params import Kind

        rng = self.rng
        if spec.kind is Kind.INT:
            return self.int_value(spec, valid)
        if spec.kind is Kind.FLAG:
            return rng.randint(0, 1) if valid else rng.choice([2, -1])
        if spec.kind is Kind.ENUM:
            return rng.choice(spec.choices) if valid else "nonsense"
        if spec.kind is Kind.COLOR:
            return "".join(rng.choice("0123456789ABCDEF") for _ in range(6)) if valid else "GG0000"
        if spec.kind is Kind.BASE64:
            if spec.key == "image":
                return rng.choice(["logo.png", "logo.png?x-oss-process=image/resize,P_50",
                                   "example.jpg", "missing.png"])
            if spec.choices:
                return rng.choice(spec.choices)
            words = ["OSS", "图片服务", "Hello", "soak", "é", "🙂", "x" * rng.randint(1, 40)]
            return " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        raise AssertionError(spec.kind)

    def op(self, name: str | None = None):
        """A valid operation: the palette's starter with a few keys changed."""
        from core.errors import OssError
        from viewer.panels.steps_model import starter_op

        name = name or self.rng.choice(self.names)
        op = starter_op(name)
        cls = type(op)
        for spec in self.rng.sample(cls.SPECS, k=min(len(cls.SPECS), self.rng.randint(0, 3))):
            try:
                value = spec.validate(self.value(spec))
                candidate = op.replace(**{spec.key: value})
                candidate.check()
            except (OssError, ValueError):
                continue
            op = candidate
        return op

    def process(self, steps: int | None = None) -> str:
        from core.cascade import Cascade, parse
        from core.errors import OssError

        for _ in range(20):
            n = steps if steps is not None else self.rng.choice([1, 1, 2, 2, 3, 4])
            text = Cascade(tuple(self.op() for _ in range(n))).to_string()
            try:
                parse(text)
                return text
            except OssError:
                continue  # e.g. two terminal actions: draw again
        return "image/resize,w_200"

    def invalid_process(self, valid: str) -> str:
        rng = self.rng
        kind = rng.randrange(6)
        if kind == 0 and len(valid) > 7:       # drop a character
            i = rng.randrange(6, len(valid))
            return valid[:i] + valid[i + 1:]
        if kind == 1:                          # an action OSS does not have
            return valid + "/sparkle,9"
        if kind == 2:                          # an out-of-range value
            return valid + "/rotate,361"
        if kind == 3:                          # a key without a value
            return valid + "/resize,w_"
        if kind == 4:                          # junk
            return "image/" + "".join(rng.choice("abc,_/-0129") for _ in range(rng.randint(1, 20)))
        return valid.replace("image/", "image//", 1)
