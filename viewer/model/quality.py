"""The quality sweep behind the quality explorer: bytes and a perceptual score per quality.

No Qt here (the bench runs it headless). The cascade runs once, through the engine and its
cache of intermediate pictures; only the encoder settings change between points, because
``quality`` (like ``format``) only sets options for the encoder (spec 14.1, rule 4 of the
processing order). Each point is encoded, decoded as a browser would get it, and scored
against the cascade's output at maximum quality with SSIM.

SSIM comes from scikit-image (``skimage.metrics.structural_similarity``): the reference
implementation of Wang et al. (2004) that the image-quality literature checks against,
maintained, vectorised with SciPy. Written by hand it would be ours to validate; PSNR is
cheaper but does not track what people see. It is computed on luma, as SSIM was defined,
and applied as its authors' reference code (Wang's ``ssim.m``) recommends: first
averaged over F x F blocks with F = max(1, round(min(W, H) / 256)), which models viewing
the whole picture at a normal distance and keeps a 12 MP sweep to seconds (SSIM at full
resolution took 10-20 s per point there). Images up to 383 px on the short side, such as
the 400x267 sample, are scored pixel for pixel.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable

from core import codec
from core.cascade import Cascade, parse
from core.engine import Engine, Source
from core.errors import Cancelled, OssError
from core.ops.output import Format, Quality
from core.picture import Context, ObjectResolver, Picture

SWEEP_VALUES = tuple(range(10, 101, 5))
TARGET_SCORE = 0.95
# Formats whose encoder takes a quality (spec 14.1 names jpg and webp; the engine passes
# the same target quality to the AVIF and HEIF encoders).
QUALITY_FORMATS = ("jpg", "webp", "avif", "heic")


@dataclass(frozen=True)
class SweepPoint:
    value: int            # the q or Q written in the cascade
    quality: int          # what the encoder was given (after OSS's q/Q rules)
    bytes: int
    score: float          # SSIM against the output at value 100


@dataclass(frozen=True)
class Sweep:
    key: str              # "q" or "Q"
    format: str
    width: int
    height: int
    points: tuple[SweepPoint, ...]
    seconds: float = 0.0
    factor: int = 1       # SSIM computed after F x F averaging (see downsample_factor)

    def point(self, value: int) -> SweepPoint | None:
        return next((p for p in self.points if p.value == value), None)

    def smallest_reaching(self, target: float = TARGET_SCORE) -> SweepPoint | None:
        """The lowest quality value whose score is at least ``target``."""
        return next((p for p in sorted(self.points, key=lambda p: p.value)
                     if p.score >= target), None)


def output_format(cascade: Cascade, source: Source) -> str:
    """The format the cascade writes: its last ``format`` step, else the source's."""
    fmt = None
    for op in cascade.steps:
        if isinstance(op, Format):
            fmt = "jpg" if op.value == "jpeg" else op.value
    return fmt or codec.read_header(source.data).format


def sweep_key(cascade: Cascade, fmt: str) -> str:
    """The quality key to sweep: the one the cascade already uses, else q for jpg (OSS's
    relative quality) and Q for the others."""
    for op in reversed(cascade.steps):
        if isinstance(op, Quality):
            return "Q" if op.Q is not None else "q"
    return "q" if fmt == "jpg" else "Q"


def current_value(cascade: Cascade, key: str) -> int | None:
    """The value of ``key`` the cascade's encoder will see (the last quality step's)."""
    for op in reversed(cascade.steps):
        if isinstance(op, Quality):
            if op.Q is not None:
                return op.Q if key == "Q" else None
            return op.q if key == "q" else None
    return None


def with_quality(steps: tuple, key: str, value: int) -> tuple:
    """``steps`` with the quality set to ``key``=``value``: the last quality step is
    replaced (other keys dropped, since Q wins over q), else one is appended."""
    new = Quality(**{key: value})
    for i in range(len(steps) - 1, -1, -1):
        if isinstance(steps[i], Quality):
            return steps[:i] + (new,) + steps[i + 1:]
    return tuple(steps) + (new,)


def downsample_factor(width: int, height: int) -> int:
    """Wang's recommended SSIM downsampling: F = max(1, round(min(W, H) / 256))."""
    return max(1, round(min(width, height) / 256))


def _luma(data: bytes, factor: int = 1):
    import numpy as np

    image = codec.flatten(codec.decode(data, orient=False).image).convert("L")
    if factor > 1:
        image = image.reduce(factor)        # F x F box average, then every F-th pixel
    return np.asarray(image, dtype=np.float64)


def ssim(reference, image) -> float:
    """SSIM of two equally sized luma arrays (0-255)."""
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        raise OssError("NotImplemented", "The quality score needs scikit-image: "
                       "pip install 'oss-style-viewer[quality]'.") from None
    side = min(reference.shape)
    if side < 3:
        return 1.0 if (reference == image).all() else 0.0
    win = min(7, side if side % 2 else side - 1)
    return float(structural_similarity(reference, image, data_range=255, win_size=win))


def sweep(engine: Engine, source: Source, cascade: Cascade, *,
          resolver: ObjectResolver | None = None,
          cancelled: Callable[[], bool] = lambda: False,
          values: Iterable[int] = SWEEP_VALUES,
          progress: Callable[[SweepPoint], None] | None = None) -> Sweep:
    """Encode the cascade's output at every quality in ``values`` and score each one."""
    t0 = time.perf_counter()
    cascade = parse(cascade.to_string())   # the cascade-level rules, as a render applies
    fmt = output_format(cascade, source)
    if fmt not in QUALITY_FORMATS:
        raise OssError("InvalidArgument", f"Quality does not apply to {fmt} output; the "
                       "explorer works for " + ", ".join(QUALITY_FORMATS) + ".", key="format")
    key = sweep_key(cascade, fmt)
    ctx = Context(resolver=resolver, cancelled=cancelled)
    ctx.decode = lambda data: codec.decode(data, orient=True)
    pic, _ = engine.run(source, cascade.steps, ctx)

    def at(value: int) -> Picture:
        return pic.replace(format=fmt, **{"q": None, "Q": None, key: value})

    def encode(value: int) -> tuple[int, bytes]:
        p = at(value)
        q = codec.target_quality(p, fmt)
        data, _ = codec.encode(p)
        return q, data

    ref_q, ref_data = encode(100)
    factor = downsample_factor(pic.width, pic.height)
    reference = _luma(ref_data, factor)
    by_quality: dict[int, tuple[bytes, float]] = {ref_q: (ref_data, 1.0)}
    points = []
    for value in sorted(set(values)):
        if cancelled():
            raise Cancelled()
        q = codec.target_quality(at(value), fmt)
        if q not in by_quality:  # Q capped at the source's quality repeats an encoding
            _, data = encode(value)
            by_quality[q] = (data, ssim(reference, _luma(data, factor)))
        data, score = by_quality[q]
        point = SweepPoint(value, q, len(data), score)
        points.append(point)
        if progress is not None:
            progress(point)
    return Sweep(key, fmt, pic.width, pic.height, tuple(points), time.perf_counter() - t0,
                 factor)
