"""``oss-img``: the command line over core.

Contract (scripts depend on it): results go to stdout as JSON; on any error the exit
status is 1 and the first line on stderr is ``<Code>: <Message>``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from ..errors import OssError

# Modules that add sub-commands: each exposes ``register(subparsers)`` and sets ``func``
# (a callable taking the parsed args and returning an exit status) on its parsers.
SUBCOMMAND_MODULES = ["core.cli.remote", "core.serve.runner"]


def _load_styles(path: str | None) -> dict[str, str]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise OssError("InvalidArgument", f"Cannot read styles file {path}: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise OssError("InvalidArgument",
                       f"Styles file {path} must be a JSON object of name -> process string.")
    return data


def _cmd_process(args: argparse.Namespace) -> int:
    from ..engine import process
    from ..resolver import FolderResolver

    styles = _load_styles(args.styles)
    resolver = FolderResolver(args.bucket_dir) if args.bucket_dir else None
    result = process(args.src, args.process, styles=styles, resolver=resolver)
    if result.is_json:
        sys.stdout.write(result.data.decode("utf-8"))
        if not result.data.endswith(b"\n"):
            sys.stdout.write("\n")
        if args.output:
            _write_atomic(Path(args.output), result.data)
        return 0
    if not args.output:
        raise OssError("MissingArgument", "An output file is required: -o OUT.")
    _write_atomic(Path(args.output), result.data)
    print(json.dumps({"width": result.width, "height": result.height,
                      "format": result.format, "bytes": len(result.data)}))
    return 0


def _write_atomic(path: Path, data: bytes) -> None:
    from ..storage import atomic_write

    try:
        atomic_write(path, data)
    except OSError as e:
        raise OssError("InternalError", f"Cannot write {path}: {e.strerror or e}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oss-img",
                                     description="Alibaba Cloud OSS image processing, locally.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("process", help="apply an x-oss-process value to a local image")
    p.add_argument("src", help="source image file")
    p.add_argument("process", help="x-oss-process value: image/... or style/<name>")
    p.add_argument("-o", "--output", help="output file (required unless info/average-hue)")
    p.add_argument("--styles", help="JSON file {name: 'image/...'} resolving style/<name>")
    p.add_argument("--bucket-dir", help="folder resolving object keys (watermark images)")
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
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except OssError as e:
        print(f"{e.code}: {e.message}", file=sys.stderr)
        where = e.where()
        if where:
            print(f"  at {where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Cancelled: interrupted", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
