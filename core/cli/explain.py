"""``oss-img explain URL``: take an OSS URL apart and say why OSS rejects it.

Credentials come from the environment (OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET,
OSS_SESSION_TOKEN), as for every other sub-command; without them the URL is still taken
apart and OSS's error XML still compared. The report goes to stdout (text, or JSON with
``--json``); the exit status is 0 when the URL is valid (or nothing wrong was found without
credentials), 1 when it is invalid or cannot be parsed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import OssError


def _read_error(source: str | None) -> str | None:
    if source is None:
        return None
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise OssError("InvalidArgument", f"Cannot read the error XML {source}: "
                       f"{getattr(e, 'strerror', None) or e}.", key="error-xml") from None


def _credentials():
    from ..oss.credentials import Credentials

    try:
        return Credentials.from_env()
    except OssError:
        return None


def _cmd_explain(args: argparse.Namespace) -> int:
    from ..oss.explain import explain, parse_headers
    from ..oss.explain_render import render_json, render_text

    report = explain(args.url, now=time.time(), method=args.method,
                     headers=parse_headers(args.header), credentials=_credentials(),
                     error_xml=_read_error(args.error_xml), bucket=args.bucket,
                     region=args.region)
    sys.stdout.write(render_json(report) if args.json else render_text(report))
    return report.exit_status


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "explain", help="take an OSS URL apart and say why its signature fails",
        description="Explain an OSS URL: address, bucket, key, x-oss-process, signature, "
                    "expiry; with credentials (OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET/"
                    "OSS_SESSION_TOKEN) recompute the signature; with OSS's error XML, "
                    "diff its StringToSign/CanonicalRequest against ours and name the cause. "
                    "Exit 0 valid, 1 invalid or unparseable.")
    p.add_argument("url", metavar="URL")
    p.add_argument("--error-xml", metavar="FILE|-",
                   help="OSS's error response body (or the base64 x-oss-err header); - "
                        "reads stdin")
    p.add_argument("--method", default="GET", help="the request's HTTP method (default GET)")
    p.add_argument("--header", action="append", default=[], metavar="K:V",
                   help="a header the request sends (repeatable)")
    p.add_argument("--bucket", help="the bucket, for a custom-domain (CNAME) URL")
    p.add_argument("--region", help="the bucket's region, for a CNAME or IP endpoint")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_explain)
