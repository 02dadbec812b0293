"""Image work, isolated: a pool of worker processes with per-request time limits.

Why processes: a decode or an encode is C code that no flag can interrupt, and a hostile
source can make it take gigabytes. Each worker process has an address-space cap
(RLIMIT_AS); a request that runs past ``process_timeout`` has its worker killed and
replaced and is answered OSS's timeout error; a worker that dies costs its one request
a 500. The pool is pebble's ``ProcessPool``: per-task timeouts that terminate and
replace the worker are exactly what it does (concurrent.futures' pool breaks as a whole
when one worker dies, multiprocessing.Pool cannot time a task out), with workers started
lazily, so a server that never processes an image never starts one.

``workers=0`` runs the engine in the serving process (tests, embedding): no isolation,
the time limit is checked between steps only.
"""
from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import multiprocessing
import threading
import time
from pathlib import Path
from typing import Callable

from .. import codec
from ..cascade import Cascade
from ..engine import Engine, Result
from ..errors import Cancelled, OssError
from .config import ServiceConfig, error, internal_error, log, timeout_error
from .store import ObjectStore

MIB = 1024 * 1024


class BucketResolver:
    """Watermark images from the same bucket, through the store's path checks."""

    def __init__(self, store: ObjectStore, bucket: str, limit: int) -> None:
        self.store, self.bucket, self.limit = store, bucket, limit

    def __call__(self, key: str) -> bytes:
        return self.store.read(self.bucket, key, limit=self.limit)[0]


def slot_busy() -> OssError:
    return error("SlowDown", "Too many image requests in flight; try again later.", 503)


class ImageWorkers:
    """Runs cascades for the service: in worker processes, or in-process when
    ``config.workers == 0``. ``max_concurrent_processing`` image requests may be in
    flight (running or waiting); one more is answered 503 SlowDown at once, so image
    requests never hold every server thread and plain GET/PUT are never queued behind
    them."""

    def __init__(self, config: ServiceConfig, store: ObjectStore, source_limit: int, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._store = store
        self._limit = source_limit
        self._monotonic = monotonic
        self._slots = threading.BoundedSemaphore(max(1, config.max_concurrent_processing))
        self._pool = None
        self._pool_lock = threading.Lock()
        if config.workers == 0:  # in this process: the same budget a worker would have
            budget = codec.budget_for_address_space(config.worker_memory_mb * MIB)
            self._engine = Engine(cache_entries=config.cache_entries, decode_budget=budget)
            self._engine_uncached = Engine(cache_entries=0, decode_budget=budget)
            self._running = threading.BoundedSemaphore(2)

    # -- public ------------------------------------------------------------------------
    def run(self, bucket: str, data: bytes, cascade: Cascade, uses_objects: bool,
            pixels: int = 0) -> Result:
        if not self._slots.acquire(blocking=False):
            raise slot_busy()
        try:
            if self.config.workers == 0:
                return self._in_process(bucket, data, cascade, uses_objects)
            return self._in_worker(bucket, data, cascade, uses_objects, pixels)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=10)

    # -- in-process --------------------------------------------------------------------
    def _in_process(self, bucket: str, data: bytes, cascade: Cascade,
                    uses_objects: bool) -> Result:
        timeout = self.config.process_timeout
        deadline = None if timeout is None else self._monotonic() + timeout

        def cancelled() -> bool:
            return deadline is not None and self._monotonic() > deadline

        engine = self._engine_uncached if uses_objects else self._engine
        if not self._running.acquire(timeout=timeout):
            raise timeout_error(timeout)
        try:
            if cancelled():
                raise Cancelled()
            return engine.process(data, cascade, cancelled=cancelled,
                                  resolver=BucketResolver(self._store, bucket, self._limit))
        finally:
            self._running.release()

    # -- worker processes --------------------------------------------------------------
    def _get_pool(self):
        with self._pool_lock:
            if self._pool is None:
                from pebble import ProcessPool

                cfg = self.config
                self._pool = ProcessPool(
                    max_workers=cfg.workers, max_tasks=200,   # recycle: heaps only grow
                    initializer=_worker_init,
                    initargs=(str(cfg.root), cfg.worker_memory_mb * MIB, cfg.cache_entries,
                              self._limit),
                    context=multiprocessing.get_context("spawn"))
            return self._pool

    def _in_worker(self, bucket: str, data: bytes, cascade: Cascade,
                   uses_objects: bool, pixels: int) -> Result:
        from pebble import ProcessExpired

        timeout = self.config.process_timeout
        future = self._get_pool().schedule(_worker_run, args=(bucket, data, cascade,
                                                              uses_objects, timeout, pixels),
                                           timeout=timeout)
        try:
            outcome = future.result()
        except concurrent.futures.TimeoutError:
            raise timeout_error(timeout) from None
        except ProcessExpired as e:
            log.error("an image worker died (exit code %s); its request gets a 500",
                      e.exitcode)
            raise internal_error() from None
        kind = outcome[0]
        if kind == "ok":
            return outcome[1]
        if kind == "timeout":
            raise timeout_error(timeout)
        if kind == "memory":
            raise error("ImageTooLarge", "Processing this image needs more memory than "
                        f"this server allows per worker ({self.config.worker_memory_mb} "
                        "MB).", 400, ec="0040-00000012")
        raise OssError(**outcome[1])


# ----------------------------------------------------------------------------- worker side

_worker: dict = {}


def _worker_init(root: str, memory_bytes: int, cache_entries: int, limit: int) -> None:
    import resource
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl+C is the server's to handle
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ValueError, OSError) as e:  # e.g. a lower hard limit already
        log.warning("cannot cap worker memory at %d MB: %s", memory_bytes // MIB, e)
    _worker["store"] = ObjectStore(Path(root))
    # One rule for what fits: the engine's budget (decode, then every step), sized to the
    # address space this worker may use.
    budget = codec.budget_for_address_space(memory_bytes)
    _worker["engine"] = Engine(cache_entries=cache_entries, decode_budget=budget)
    _worker["engine_uncached"] = Engine(cache_entries=0, decode_budget=budget)
    _worker["limit"] = limit


TRIM_ABOVE = 4_000_000     # pixels: after a source this big, give memory back


def _trim() -> None:
    """Give freed heap pages back to the system (glibc), so an idle worker is small.
    Only after big images: trimming after every small one makes the next one fault its
    pages in again."""
    try:
        _worker.setdefault("libc", ctypes.CDLL("libc.so.6")).malloc_trim(0)
    except (OSError, AttributeError):
        pass


# The pool kills a worker at the time limit (pebble's own timer). The worker's check of the
# same limit between steps is only a backstop for when that timer runs late on a loaded
# machine; checking at the very same instant raced it, so a late kill sometimes found the
# worker already answering "timeout" by itself and never replaced it.
WORKER_GRACE_S = 5.0


def _worker_run(bucket: str, data: bytes, cascade: Cascade, uses_objects: bool,
                timeout: float | None, pixels: int = 0) -> tuple:
    deadline = None if timeout is None else time.monotonic() + timeout + WORKER_GRACE_S
    engine = _worker["engine_uncached" if uses_objects else "engine"]
    resolver = BucketResolver(_worker["store"], bucket, _worker["limit"])
    try:
        result = engine.process(data, cascade, resolver=resolver, cancelled=lambda: (
            deadline is not None and time.monotonic() > deadline))
        return ("ok", dataclasses.replace(result, picture=None))
    except Cancelled:
        return ("timeout",)
    except OssError as e:   # a dataclass exception does not pickle; its fields do
        return ("error", {f.name: getattr(e, f.name) for f in dataclasses.fields(e)})
    except MemoryError:
        return ("memory",)
    finally:
        if pixels > TRIM_ABOVE:
            _trim()
