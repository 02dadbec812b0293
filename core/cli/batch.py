"""``oss-img batch`` and ``oss-img batch-diff``: one style over many images, and what
changed between two runs.

``batch`` prints a JSON summary on stdout and exits 0 when every source succeeded, 3 when
some failed (their errors are in the manifest), 1 on a fatal error, 2 on bad usage. The
progress bar (tqdm) goes to stderr, and only when stderr is a terminal.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..errors import OssError
from .remote import _positive_int


def _cmd_batch(args: argparse.Namespace) -> int:
    from ..batch import runner
    from ..batch.sources import OssSpec, discover, parse_oss
    from ..batch.work import Job
    from .common import load_styles

    oss = None
    if args.sources.startswith("oss://"):
        if not args.endpoint:
            raise OssError("MissingArgument", "An oss:// source needs --endpoint.",
                           key="endpoint")
        oss = OssSpec(args.endpoint, parse_oss(args.sources)[0], https=args.https,
                      cname=args.cname, path_style=args.path_style, version=args.version,
                      region=args.region, timeout=args.timeout)
    job = Job(args.process, os.path.abspath(args.output), load_styles(args.styles),
              os.path.abspath(args.bucket_dir) if args.bucket_dir else None, oss)
    job.cascade  # noqa: B018 - a bad cascade or unknown style is fatal before any work
    items = discover(args.sources, oss, exclude=job.out_dir)
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="img", file=sys.stderr, dynamic_ncols=True)
    failed = 0

    def progress(record: dict, reused: bool) -> None:
        nonlocal failed
        failed += bool(record.get("error"))
        if bar is not None:
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)

    try:
        outcome = runner.run(items, job, workers=args.workers, dask=args.dask,
                             progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if args.report:
        from ..batch.report import batch_report
        from .common import write_atomic

        html = batch_report(outcome.records, args.output, process=args.process,
                            sources=args.sources)
        write_atomic(Path(args.report), html.encode("utf-8"))
    from ..batch.stats import summarize

    summary = summarize(outcome.records).to_dict()
    summary["reused"] = outcome.reused
    summary["manifest"] = str(args.output / "manifest.jsonl")
    print(json.dumps(summary, ensure_ascii=False))
    return outcome.exit_status


def _cmd_diff(args: argparse.Namespace) -> int:
    from ..batch.diff import diff
    from .common import write_atomic

    d = diff(args.old, args.new)
    if args.report:
        from ..batch.report import diff_report

        write_atomic(Path(args.report), diff_report(d).encode("utf-8"))
    print(json.dumps(d.to_dict(), ensure_ascii=False))
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="run one process/style over many images; manifest, outputs, report",
        description="SOURCES: a folder (recursive), a text file of paths or URLs (one a "
                    "line), or oss://bucket/prefix (with --endpoint; credentials from "
                    "OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN, else "
                    "anonymous). Exit status: 0 all succeeded, 3 some sources failed, "
                    "1 fatal error, 2 usage.")
    p.add_argument("sources", metavar="SOURCES")
    p.add_argument("process", metavar="PROCESS", help="image/... or style/<name>")
    p.add_argument("-o", "--output", metavar="OUT_DIR", type=Path, required=True,
                   help="outputs and manifest.jsonl go here (rerun to resume)")
    p.add_argument("--styles", help="JSON file {name: 'image/...'} resolving style/<name>")
    p.add_argument("--bucket-dir", help="folder resolving object keys (watermark images)")
    p.add_argument("--workers", type=_positive_int,
                   help="local worker processes (default: the number of cores)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on an existing Dask cluster, e.g. tcp://scheduler:8786 "
                        "(needs the 'cluster' extra; workers read sources and write "
                        "outputs, so OUT_DIR must be shared with them)")
    p.add_argument("--report", metavar="HTML", help="write a self-contained HTML report")
    g = p.add_argument_group("oss:// sources (as for oss-img url)")
    g.add_argument("--endpoint", help="OSS endpoint, e.g. oss-cn-hangzhou.aliyuncs.com")
    g.add_argument("--https", action="store_const", const=True, default=None)
    g.add_argument("--cname", metavar="DOMAIN", help="custom domain bound to the bucket")
    g.add_argument("--path-style", action="store_true")
    g.add_argument("--version", choices=("v1", "v4"), default="v4",
                   help="signature version (default v4)")
    g.add_argument("--region", help="region id for V4 (default: from the endpoint)")
    g.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    p.set_defaults(func=_cmd_batch)

    p = subparsers.add_parser(
        "batch-diff", help="compare two batch runs' manifests",
        description="Prints JSON: new and fixed errors, outputs whose bytes changed (size, "
                    "dimensions, pixel difference; worst first), added and removed "
                    "sources. Exit status 0 whatever changed, 1 on a fatal error.")
    p.add_argument("old", metavar="OLD_DIR")
    p.add_argument("new", metavar="NEW_DIR")
    p.add_argument("--report", metavar="HTML", help="write a self-contained HTML report")
    p.set_defaults(func=_cmd_diff)
