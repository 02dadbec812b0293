"""``oss-img``: the command line over core.

Contract (scripts depend on it): results go to stdout as JSON (with ``-o -`` the image
goes to stdout and the JSON to stderr); on any error the first line on stderr is
``<Code>: <Message>`` and the exit status is 1, or 2 for a bad command line (usage). Warnings of
libraries (Pillow on a damaged EXIF block, ...) and notes such as keys OSS ignores are
collected while a command runs and printed after its result or error line, never before.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys

from ..errors import OssError
from .common import load_styles as _load_styles
from .output import STDOUT, CollectedWarnings, UsageError, error_hint, write_output

# Modules that add sub-commands: each exposes ``register(subparsers)`` and sets ``func``
# (a callable taking the parsed args and returning an exit status) on its parsers.
SUBCOMMAND_MODULES = ["core.cli.remote", "core.cli.serve", "core.cli.explain",
                      "core.cli.batch"]


def _cmd_process(args: argparse.Namespace) -> int:
    from ..engine import process
    from ..resolver import FolderResolver

    from ..suggest import ignored_keys

    for note in ignored_keys(args.process):  # printed after the result or error line
        CollectedWarnings.note(str(note))
    styles = _load_styles(args.styles)
    resolver = FolderResolver(args.bucket_dir) if args.bucket_dir else None
    result = process(args.src, args.process, styles=styles, resolver=resolver,
                     timeout=args.timeout)
    if result.is_json:
        sys.stdout.write(result.data.decode("utf-8"))
        if not result.data.endswith(b"\n"):
            sys.stdout.write("\n")
        if args.output and args.output != STDOUT:
            write_output(args.output, result.data)
        return 0
    if not args.output:
        raise OssError("MissingArgument", "An output file is required: -o OUT (or -o - "
                       "for stdout).")
    write_output(args.output, result.data)
    summary = json.dumps({"width": result.width, "height": result.height,
                          "format": result.format, "bytes": len(result.data)})
    print(summary, file=sys.stderr if args.output == STDOUT else sys.stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = UsageError.parser(prog="oss-img",
                               description="Alibaba Cloud OSS image processing, locally.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("process", help="apply an x-oss-process value to a local image")
    p.add_argument("src", help="source image file")
    p.add_argument("process", help="x-oss-process value: image/... or style/<name>")
    p.add_argument("-o", "--output", help="output file, - for stdout (required unless "
                                          "info/average-hue); its folder must exist")
    p.add_argument("--styles", help="JSON file {name: 'image/...'} resolving style/<name>")
    p.add_argument("--bucket-dir", help="folder resolving object keys (watermark images)")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="give up with RequestTimeout after this long (checked between steps)")
    p.set_defaults(func=_cmd_process)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        return e.report()
    with CollectedWarnings() as caught:
        try:
            status = int(args.func(args) or 0)
        except OssError as e:
            print(f"{e.code}: {e.message}", file=sys.stderr)
            where = e.where()
            if where:
                print(f"  at {where}", file=sys.stderr)
            hint = error_hint(e, args)
            if hint:
                print(f"  hint: {hint}", file=sys.stderr)
            status = 1
        except KeyboardInterrupt:
            print("Cancelled: interrupted", file=sys.stderr)
            status = 1
        except BrokenPipeError:
            sys.stderr.write("Cancelled: the output pipe was closed\n")
            status = 1
    caught.report(sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
