"""The executor: decode, run each action left to right, encode.

Like imgproxy's pipeline, decoding and encoding are steps too: each is timed, the loop
checks for cancellation between steps, and errors are tagged with the failing step.
Intermediate pictures are cached by cascade prefix, so when only step k changes the
engine recomputes from step k (the viewer's live preview relies on this).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PIL import Image

from . import codec
from .cascade import Cascade, StyleLookup, parse, resolve
from .errors import OssError
from .inspect import average_hue_json, info_json
from .jpeg_quality import estimate_jpeg_quality
from .ops.geometry import AutoOrient, Crop, IndexCrop, Resize
from .ops.output import Format
from .ops.query import AverageHue, Info
from .params import Operation
from .picture import Context, ObjectResolver, Picture
from .source_file import read_regular_file

# OSS docs: "by default adaptive orientation is configured" -- EXIF Orientation is applied
# unless the cascade says auto-orient,0. See docs/COMPATIBILITY.md.
AUTO_ORIENT_DEFAULT = 1


class Source:
    """Source bytes, with a digest (the cache key) computed only when first asked for:
    an engine without a cache never hashes its sources."""

    __slots__ = ("data", "name", "_digest")

    def __init__(self, data: bytes, digest: str | None = None, name: str = "") -> None:
        self.data = data
        self.name = name
        self._digest = digest

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.blake2b(self.data, digest_size=16).hexdigest()
        return self._digest

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and other.name == self.name and \
            other.data == self.data

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"Source({len(self.data)} bytes, name={self.name!r})"

    @classmethod
    def of(cls, src: "Source | bytes | str | os.PathLike") -> "Source":
        if isinstance(src, Source):
            return src
        if isinstance(src, (bytes, bytearray, memoryview)):
            return cls(bytes(src))
        path = Path(src)
        try:
            data = read_regular_file(path, codec.MAX_SOURCE_BYTES)
        except FileNotFoundError:
            raise OssError("NoSuchKey", f"The specified file does not exist: {path}") from None
        except IsADirectoryError:
            raise OssError("BadRequest", f"Not a file: {path}") from None
        except OSError as e:
            raise OssError("BadRequest", f"Cannot read {path}: {e.strerror}") from None
        return cls(data, name=path.name)


@dataclass(frozen=True)
class StepTiming:
    label: str      # "decode", "resize,w_100", ..., "encode"
    seconds: float
    cached: bool = False


@dataclass(frozen=True)
class Result:
    """Encoded output. For info/average-hue ``data`` is the JSON body and ``is_json``."""

    data: bytes
    format: str              # jpg/png/.../"json"
    width: int
    height: int
    is_json: bool = False
    timings: tuple[StepTiming, ...] = ()
    notes: tuple[str, ...] = ()
    picture: Picture | None = field(default=None, compare=False, repr=False)

    @property
    def content_type(self) -> str:
        return "application/json" if self.is_json else codec.CONTENT_TYPES[self.format]


MIB = 1024 * 1024


def picture_bytes(pic: Picture) -> int:
    """Approximate memory held by a picture's decoded frames."""
    return pic.nbytes


def effective_auto_orient(steps: tuple[Operation, ...]) -> bool:
    value = AUTO_ORIENT_DEFAULT
    for op in steps:
        if isinstance(op, AutoOrient):
            value = op.value
    return bool(value)


def static_output(source_format: str, steps: tuple[Operation, ...]) -> bool:
    """True when the encoded result can only be one frame: a step turns the animation
    into its first frame, or the output is not GIF (only a GIF output keeps an animation;
    ``format,gif`` is ignored on other sources). The engine then decodes an animation's
    first frame only."""
    fmt = source_format
    for op in steps:
        if op.makes_static():
            return True
        if isinstance(op, Format):
            value = "jpg" if op.value == "jpeg" else op.value
            if value == "gif" and source_format != "gif":
                continue
            fmt = value
    return fmt != "gif"


def per_frame_prefix(steps: tuple[Operation, ...]) -> int:
    """How many leading steps act on each frame of an animation on its own and keep it
    animated (resize other than ``p``, crop, indexcrop): the decoder applies them frame by
    frame, so a big animation never sits in memory at its full size."""
    n = 0
    for op in steps:
        if isinstance(op, (Crop, IndexCrop, Resize)) and not op.makes_static():
            n += 1
        else:
            break
    return n


def _frame_runner(steps: tuple[Operation, ...], ctx: Context, template: Picture):
    """frame_fn for codec.decode: the steps on one frame, seen as part of an animation."""
    def run(frame: Image.Image, total: int) -> Image.Image:
        pic = template.replace(frames=(frame,), skipped_frames=total - 1)
        for index, op in enumerate(steps):
            try:
                pic = op.apply(pic, ctx)
            except OssError as e:
                raise e.at(step=index, action=op.NAME)
        return pic.image
    return run


def mark_step(exc: Exception, step: int, action: str) -> None:
    """Note on an exception an action should never raise (a bug) which step raised it:
    ``exc.oss_step`` / ``exc.oss_action`` for a user interface, a traceback note for logs.
    The exception itself propagates unchanged (the service answers 500 InternalError)."""
    if getattr(exc, "oss_step", None) is not None:
        return   # an inner cascade (a watermark image's) already said where
    try:
        exc.oss_step, exc.oss_action = step, action
        exc.add_note(f"(in step {step + 1} of the cascade: {action})")
    except (AttributeError, TypeError):
        pass     # an exception type without a __dict__: the traceback still tells


class Engine:
    """Runs cascades with a bounded cache of intermediate pictures.

    Thread-safe: the viewer renders in a worker pool while the CLI and server share one
    engine per process.
    """

    def __init__(self, cache_entries: int = 48, cache_bytes: int = 512 * 1024 * 1024, *,
                 deadline: float | None = None,
                 decode_budget: int | None = codec.DEFAULT_DECODE_BUDGET) -> None:
        """``deadline``: seconds a ``process`` call may take (None: no limit), checked
        between steps and frames; past it the call raises ``RequestTimeout``.
        ``decode_budget``: decoded bytes one source may take (codec.decoded_bytes); a
        larger source is ``ImageTooLarge`` before any pixel is decoded."""
        self.deadline = deadline
        self.decode_budget = decode_budget
        self._cache: OrderedDict[tuple, tuple[Picture, int]] = OrderedDict()
        self._capacity = cache_entries
        self._max_bytes = cache_bytes   # decoded pixels add up fast: 12 MP RGB is 36 MB
        self._bytes = 0
        self._lock = threading.Lock()

    # -- cache -------------------------------------------------------------------------
    def _get(self, key: tuple) -> Picture | None:
        if self._capacity <= 0:
            return None
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            self._cache.move_to_end(key)
            return entry[0]

    def _put(self, key: tuple, pic: Picture) -> None:
        size = picture_bytes(pic)
        if self._capacity <= 0 or size > self._max_bytes:
            return
        with self._lock:
            old = self._cache.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._cache[key] = (pic, size)
            self._bytes += size
            while len(self._cache) > self._capacity or self._bytes > self._max_bytes:
                _, (_, evicted) = self._cache.popitem(last=False)
                self._bytes -= evicted

    @property
    def cache_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._bytes = 0

    # -- decoding ----------------------------------------------------------------------
    def _draft_size(self, source: Source, steps: tuple[Operation, ...], orient: bool,
                    header: codec.Header | None = None) -> tuple[int, int] | None:
        """A DCT-reduced decode size for JPEG sources whose cascade starts by shrinking,
        chosen only when it provably yields the same output size."""
        if not steps or not isinstance(steps[0], Resize):
            return None
        header = header or codec.read_header(source.data)
        if header.format != "jpg" or header.frames != 1:
            return None
        W, H = header.width, header.height
        swap = orient and header.orientation in (5, 6, 7, 8) and \
            W < codec.MAX_ORIENT_SIDE and H < codec.MAX_ORIENT_SIDE
        oW, oH = (H, W) if swap else (W, H)
        plan = steps[0].plan(oW, oH)
        if plan.limited:
            return None
        tw, th = plan.scaled
        # The DCT-domain reduction is itself a good downscale (libvips' shrink-on-load does
        # the same): any scale that keeps the target size or more is used.
        scale = codec.draft_scale(oW, oH, tw, th)
        if scale == 1 or min(oW, oH) < scale:
            return None
        dW, dH = -(-oW // scale), -(-oH // scale)   # the size a 1/scale DCT decode gives
        if steps[0].plan(dW, dH) != plan:
            return None
        # Pillow picks the scale as min(W // asked_w, H // asked_h) rounded down to 8/4/2/1:
        # asking for (dW, dH) on an odd side picks a smaller scale than checked above (a
        # 202x133 source's 1/4 draft decoded at 1/2, and resize,w_25 gave 25x17, not 25x16);
        # asking for the sides divided down picks exactly ``scale`` (W // (W // s) < 2s).
        aW, aH = oW // scale, oH // scale
        return (aH, aW) if swap else (aW, aH)

    def _decode(self, source: Source, orient: bool, draft: tuple[int, int] | None,
                first_only: bool, ctx: Context, per_frame: tuple[Operation, ...] = ()
                ) -> tuple[Picture, StepTiming]:
        key = (source.digest, "decode", orient, draft, first_only, per_frame) \
            if self._capacity > 0 else None
        cached = self._get(key) if key else None
        if cached is not None:
            return cached, StepTiming("decode", 0.0, cached=True)
        t0 = time.perf_counter()
        template = Picture(frames=(), source_format="gif", source_size=(0, 0))
        pic = codec.decode(source.data, orient=orient, draft=draft,
                           source_quality=estimate_jpeg_quality, budget=self.decode_budget,
                           first_frame_only=first_only, check=ctx.check,
                           frame_fn=_frame_runner(per_frame, ctx, template) if per_frame
                           else None)
        if key:
            self._put(key, pic)
        return pic, StepTiming("decode", time.perf_counter() - t0)

    # -- running -----------------------------------------------------------------------
    def run(self, source: Source, steps: tuple[Operation, ...], ctx: Context,
            upto: int | None = None) -> tuple[Picture, list[StepTiming]]:
        """The picture after the first ``upto`` steps (all when None), with timings."""
        orient = effective_auto_orient(steps)
        header = codec.read_header(source.data)
        draft = self._draft_size(source, steps, orient, header)
        # The whole cascade decides whether the result is static (not just the first
        # ``upto`` steps), so every prefix of one cascade shares one decode.
        first_only = header.frames > 1 and static_output(header.format, steps)
        n = len(steps) if upto is None else max(0, min(upto, len(steps)))
        # An animation that stays one: its leading per-frame steps run inside the decoder.
        lead = per_frame_prefix(steps[:n]) if header.frames > 1 and not first_only else 0
        pic, t = self._decode(source, orient, draft, first_only, ctx, steps[:lead])
        timings = [t]
        timings.extend(StepTiming(op.to_string(), 0.0) for op in steps[:lead])
        caching = self._capacity > 0
        # A step that reads other objects makes every later result depend on the resolver;
        # keying on the resolver object (not its id) keeps it alive, so keys never collide.
        uses_objects = any(op.uses_objects() for op in steps[:n])
        base = (source.digest, orient, draft, first_only,
                ctx.resolver if uses_objects else None) if caching else ()
        # Resume from the longest cached prefix.
        start = lead
        for k in range(n if caching else 0, lead, -1):
            hit = self._get(base + (steps[:k],))
            if hit is not None:
                pic, start = hit, k
                timings.extend(StepTiming(op.to_string(), 0.0, cached=True) for op in steps[lead:k])
                break
        for index in range(start, n):
            op = steps[index]
            t0 = time.perf_counter()
            try:
                ctx.check()
                self._check_step(pic, op)
                pic = op.apply(pic, ctx)
            except OssError as e:
                raise e.at(step=index, action=op.NAME)
            except MemoryError:
                raise OssError("ImageTooLarge", "Not enough memory to process the image.",
                               step=index, action=op.NAME) from None
            except Exception as e:
                mark_step(e, index, op.NAME)
                raise
            timings.append(StepTiming(op.to_string(), time.perf_counter() - t0))
            if caching:
                self._put(base + (steps[:index + 1],), pic)
        return pic, timings

    def _check_step(self, pic: Picture, op: Operation) -> None:
        """Refuse a step whose input and working copies would not fit the budget."""
        if self.decode_budget is None:
            return
        need = pic.nbytes + op.working_bytes(pic)
        if need > self.decode_budget:
            raise OssError("ImageTooLarge",
                           f"{op.NAME} on a {pic.width}x{pic.height} picture would hold "
                           f"{need // MIB} MB of pixels; this engine allows "
                           f"{self.decode_budget // MIB} MB.", ec="0040-00000012")

    def process(self, src: "Source | bytes | str | os.PathLike", process: "str | Cascade", *,
                styles: StyleLookup | None = None, resolver: ObjectResolver | None = None,
                cancelled: Callable[[], bool] | None = None, upto: int | None = None,
                timeout: float | None = None) -> Result:
        """Run ``process`` on ``src``. ``timeout`` (seconds) overrides the engine's
        ``deadline`` for this call."""
        limit = timeout if timeout is not None else self.deadline
        ctx = self.context(resolver, cancelled, limit)
        source = Source.of(src)
        cascade = parse(process) if isinstance(process, str) else process
        cascade = resolve(cascade, styles)
        steps = cascade.steps
        if len(steps) == 1 and isinstance(steps[0], Info):
            return self._info(source)
        if len(steps) == 1 and isinstance(steps[0], AverageHue):
            return self._average_hue(source, ctx)
        pic, timings = self.run(source, steps, ctx, upto)
        t0 = time.perf_counter()
        try:
            ctx.check()
            data, fmt = codec.encode(pic, check=ctx.check)
        except OssError as e:
            raise e.at(action="encode")
        timings.append(StepTiming("encode", time.perf_counter() - t0))
        return Result(data, fmt, pic.width, pic.height, timings=tuple(timings),
                      notes=pic.notes, picture=pic)

    def context(self, resolver: ObjectResolver | None = None,
                cancelled: Callable[[], bool] | None = None,
                timeout: float | None = None) -> Context:
        """A Context whose decoder (watermark images) keeps this engine's budget and
        whose deadline starts now."""
        ctx = Context(resolver=resolver, cancelled=cancelled or (lambda: False),
                      deadline=None if timeout is None else time.monotonic() + timeout,
                      timeout=timeout)
        ctx.decode = lambda data: codec.decode(data, orient=True, budget=self.decode_budget,
                                               first_frame_only=True, check=ctx.check)
        return ctx

    def _info(self, source: Source) -> Result:
        t0 = time.perf_counter()
        header = codec.read_header(source.data)
        body = info_json(source.data)
        return Result(body, "json", header.width, header.height, is_json=True,
                      timings=(StepTiming("info", time.perf_counter() - t0),))

    def _average_hue(self, source: Source, ctx: Context) -> Result:
        t0 = time.perf_counter()
        # The dominant colour is computed on a small thumbnail, so a DCT-reduced JPEG
        # decode loses nothing and saves most of the decoding time on large photos.
        pic = codec.decode(source.data, orient=True, draft=(512, 512),
                           budget=self.decode_budget, first_frame_only=True, check=ctx.check)
        t = StepTiming("decode", time.perf_counter() - t0)
        t0 = time.perf_counter()
        body = average_hue_json(pic.image)
        # The source's size, as image/info reports it: not the reduced decode's.
        return Result(body, "json", *pic.source_size, is_json=True,
                      timings=(t, StepTiming("average-hue", time.perf_counter() - t0)))


_default_engine = Engine()


def process(src, process: "str | Cascade", *, styles: StyleLookup | None = None,
            resolver: ObjectResolver | None = None,
            cancelled: Callable[[], bool] | None = None,
            timeout: float | None = None) -> Result:
    """Apply an ``x-oss-process`` value to ``src`` (bytes or a path); see :class:`Result`.
    ``timeout``: seconds the call may take (RequestTimeout past it)."""
    return _default_engine.process(src, process, styles=styles, resolver=resolver,
                                   cancelled=cancelled, timeout=timeout)


def info(src) -> dict:
    """The OSS ``image/info`` object for ``src``."""
    return json.loads(_default_engine.process(src, "image/info").data)
