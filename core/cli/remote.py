"""``oss-img url``, ``oss-img sign`` and ``oss-img styles``: OSS URLs and the style API.

``url`` and ``sign`` print the URL alone on stdout (``--json`` prints it with the strings it
was signed from), so it can be pasted or piped; ``styles`` prints JSON. Credentials come
from the environment only (``OSS_ACCESS_KEY_ID``, ``OSS_ACCESS_KEY_SECRET``,
``OSS_SESSION_TOKEN``): a secret on the command line ends up in shell history and ``ps``.
"""
from __future__ import annotations

import argparse
import json
import sys

from ..oss.credentials import Credentials
from ..errors import OssError
from ..oss.urls import SEPARATORS, BucketAddress, process_url, separator_url, style_process


def _address_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True,
                        help="OSS endpoint, e.g. oss-cn-hangzhou.aliyuncs.com (or host:port)")
    parser.add_argument("--bucket", required=True, help="bucket name")
    scheme = parser.add_mutually_exclusive_group()
    scheme.add_argument("--https", action="store_const", const=True, default=None,
                        help="use https (the default, as in the app, unless the endpoint "
                             "or --cname starts with http://)")
    scheme.add_argument("--http", dest="https", action="store_const", const=False,
                        help="use plain http (e.g. a local oss-img serve)")
    parser.add_argument("--cname", metavar="DOMAIN", help="custom domain bound to the bucket")
    parser.add_argument("--path-style", action="store_true",
                        help="https://endpoint/bucket/key instead of https://bucket.endpoint/key")


def _object_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", required=True, help="object key")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--process", help="x-oss-process value, e.g. image/resize,w_100")
    group.add_argument("--style", help="style name (sent as x-oss-process=style/<name>)")


def _signing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", choices=("v1", "v4"), default="v4",
                        help="signature version (default v4)")
    parser.add_argument("--region", help="region id for V4 (default: from the endpoint)")


def _address(args: argparse.Namespace) -> BucketAddress:
    https = args.https
    if https is None and "://" not in args.endpoint + (args.cname or ""):
        https = True  # no scheme given: HTTPS, like the app (oss2 would pick http)
    return BucketAddress.from_endpoint(args.endpoint, args.bucket, https=https,
                                       cname=args.cname, path_style=args.path_style)


def _process(args: argparse.Namespace) -> str | None:
    return style_process(args.style) if args.style else args.process


def _cmd_url(args: argparse.Namespace) -> int:
    address = _address(args)
    if args.separator:
        if not args.style:
            raise OssError("MissingArgument", "--separator needs --style.")
        print(separator_url(address, args.key, args.style, args.separator))
    else:
        print(process_url(address, args.key, _process(args) or ""))
    return 0


def _cmd_sign(args: argparse.Namespace) -> int:
    from ..oss.signing import presign

    signed = presign(_address(args), args.key, Credentials.from_env(), version=args.version,
                     process=_process(args), region=args.region, expires=args.expires,
                     method=args.method, now=args.now)
    if args.json:
        print(json.dumps({"url": signed.url, "version": signed.version,
                          "expires_at": signed.expires_at,
                          "string_to_sign": signed.string_to_sign,
                          "canonical_request": signed.canonical_request}, ensure_ascii=False))
    else:
        print(signed.url)
    return 0


def _client(args: argparse.Namespace):
    from ..oss.client import OssClient

    return OssClient(_address(args), Credentials.from_env(), version=args.version,
                     region=args.region, timeout=(args.timeout, args.timeout))


def _cmd_styles(args: argparse.Namespace) -> int:
    with _client(args) as client:
        if args.action == "list":
            result: object = [s.to_dict() for s in client.list_styles()]
        elif args.action == "get":
            result = client.get_style(args.name).to_dict()
        elif args.action == "put":
            client.put_style(args.name, args.content, category=args.category)
            result = {"name": args.name, "content": args.content}
        else:
            client.delete_style(args.name)
            result = {"deleted": args.name}
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers) -> None:
    p = subparsers.add_parser("url", help="print an (unsigned) OSS URL for an object")
    _address_options(p)
    _object_options(p)
    p.add_argument("--separator", choices=SEPARATORS,
                   help="custom-separator form key<sep>style (needs --style; never signed)")
    p.set_defaults(func=_cmd_url)

    p = subparsers.add_parser("sign", help="print a presigned OSS URL (credentials from "
                                           "OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / "
                                           "OSS_SESSION_TOKEN)")
    _address_options(p)
    _object_options(p)
    _signing_options(p)
    p.add_argument("--expires", type=_positive_int, default=3600,
                   help="validity in seconds (default 3600; V4 at most 604800)")
    p.add_argument("--now", type=int, metavar="EPOCH",
                   help="signing time in Unix seconds, for reproducible output")
    p.add_argument("--method", choices=("GET", "HEAD", "PUT"), default="GET")
    p.add_argument("--json", action="store_true",
                   help="print JSON with the string-to-sign and canonical request")
    p.set_defaults(func=_cmd_sign)

    p = subparsers.add_parser("styles", help="list, get, put or delete a bucket's image styles")
    actions = p.add_subparsers(dest="action", required=True)
    for name, help_text in (("list", "list the styles"), ("get", "show one style"),
                            ("put", "create or replace a style"), ("delete", "delete a style")):
        a = actions.add_parser(name, help=help_text)
        if name != "list":
            a.add_argument("name", help="style name")
        if name == "put":
            a.add_argument("content", help="process string, e.g. image/resize,p_50")
            a.add_argument("--category", help="style category (optional)")
        _address_options(a)
        _signing_options(a)
        a.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
        a.set_defaults(func=_cmd_styles)
