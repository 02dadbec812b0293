"""Run a :class:`~.work.Job` over many items: in this process, on local processes, or on
a Dask distributed cluster -- the same :func:`~.work.run_item` everywhere, so the outputs
are the same bytes whichever runs them.

At most ``window`` items are in flight at once (a few per worker), so a listing of
millions streams through instead of becoming millions of futures.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from ..errors import Cancelled, OssError
from . import manifest
from .sources import Item
from .work import Job, run_item

Progress = Callable[[dict, bool], None]   # (record, reused) after each source


@dataclass
class Outcome:
    records: list[dict] = field(default_factory=list)   # in source order
    reused: int = 0

    @property
    def failed(self) -> int:
        return sum(1 for r in self.records if r.get("error"))

    @property
    def exit_status(self) -> int:
        return 3 if self.failed else 0


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def run(items: list[Item], job: Job, *, workers: int | None = None,
        dask: "str | object | None" = None, progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None) -> Outcome:
    """Process ``items``; the manifest in ``job.out_dir`` grows as records finish and is
    rewritten in order at the end. ``dask``: a scheduler address or a
    ``distributed.Client``. Raises :class:`Cancelled` when ``cancelled()`` turns true
    (what finished stays in the manifest, so a rerun resumes)."""
    job.cascade  # a bad cascade or an unknown style fails here, before any work  # noqa: B018
    previous = manifest.load(job.out_dir)
    writer = manifest.Writer(job.out_dir)
    outcome = Outcome()
    by_source: dict[str, dict] = {}
    cancelled = cancelled or (lambda: False)
    tasks = ((item, previous.get(item.name)) for item in items)
    try:
        if dask is not None:
            results = _dask(tasks, job, dask, cancelled)
        elif (workers or default_workers()) == 1:
            results = _inline(tasks, job, cancelled)
        else:
            results = _processes(tasks, job, workers or default_workers(), cancelled)
        for record, reused in results:
            by_source[record["source"]] = record
            if reused:
                outcome.reused += 1
            else:
                writer.append(record)
            if progress is not None:
                progress(record, reused)
    except BaseException:
        writer.close()
        raise
    writer.finish(by_source.values())
    outcome.records = sorted(by_source.values(), key=lambda r: r["source"])
    return outcome


Task = tuple[Item, "dict | None"]


def _inline(tasks: Iterable[Task], job: Job, cancelled) -> Iterator[tuple[dict, bool]]:
    for item, prev in tasks:
        if cancelled():
            raise Cancelled()
        yield run_item(item, job, prev)


def _processes(tasks: Iterable[Task], job: Job, workers: int,
               cancelled) -> Iterator[tuple[dict, bool]]:
    # forkserver: never fork a process that runs threads (a GUI, a progress bar).
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
        else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    pending: set = set()
    window = 4 * workers
    it = iter(tasks)
    try:
        while True:
            while len(pending) < window:
                task = next(it, None)
                if task is None:
                    break
                pending.add(pool.submit(run_item, task[0], job, task[1]))
            if not pending:
                return
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                yield _result(future)
            if cancelled():
                raise Cancelled()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(future) -> tuple[dict, bool]:
    try:
        return future.result()
    except (OssError, KeyboardInterrupt):
        raise
    except Exception as e:  # a worker died (out of memory, killed): fatal, resumable
        raise OssError("InternalError", f"A batch worker failed: {type(e).__name__}: {e}. "
                       "Finished sources are in the manifest; rerun to resume.") from None


def _dask(tasks: Iterable[Task], job: Job, dask, cancelled) -> Iterator[tuple[dict, bool]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise OssError("MissingArgument", "--dask needs the distributed package: "
                       "pip install 'oss-style-viewer[cluster]'.") from None
    own = isinstance(dask, str)
    try:
        client = Client(dask, timeout=30) if own else dask
    except OSError as e:
        raise OssError("RequestTimeout", f"Cannot reach the Dask scheduler {dask}: {e}") \
            from None
    try:
        workers = max(1, sum(w.get("nthreads", 1) for w in
                             client.scheduler_info().get("workers", {}).values()))
        window = 4 * workers
        it = iter(tasks)
        futures = as_completed()
        pending: set = set()

        def submit_more() -> None:
            while len(pending) < window:
                task = next(it, None)
                if task is None:
                    return
                f = client.submit(run_item, task[0], job, task[1], pure=False)
                pending.add(f)
                futures.add(f)

        submit_more()
        for future in futures:
            pending.discard(future)
            yield _result(future)
            future.release()
            if cancelled():
                client.cancel(list(pending))
                raise Cancelled()
            submit_more()
    finally:
        if own:
            client.close()
