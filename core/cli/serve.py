"""``oss-img serve``: a folder served as a local OSS endpoint (:mod:`core.serve`).

Each folder under ROOT is a bucket. The server itself (waitress, OSS's error answers,
connection limits) is :mod:`core.serve.runner`; this module only turns the command line
into its :class:`~core.serve.config.ServiceConfig` and prints the startup banner.
"""
from __future__ import annotations

import logging
import sys

from .. import codec
from ..errors import OssError
from ..oss.credentials import Credentials, mask
from ..serve.config import (ACLS, DEFAULT_DOMAIN, DEFAULT_HOST, DEFAULT_MAX_BODY,
                            DEFAULT_MAX_CONNECTIONS, DEFAULT_PORT, DEFAULT_PROCESS_TIMEOUT,
                            DEFAULT_REGION, DEFAULT_SEPARATORS, DEFAULT_THREADS,
                            DEFAULT_WORKER_MEMORY_MB, default_workers)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="serve a folder as a local OSS endpoint with x-oss-process",
        description="Each folder under ROOT is a bucket. Credentials for signed requests "
                    "come from OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET and "
                    "OSS_SESSION_TOKEN.")
    p.add_argument("root", metavar="ROOT", help="folder whose sub-folders are buckets")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 9000; 0 = any)")
    p.add_argument("--acl", choices=ACLS, default="public-read",
                   help="who may do what without a signature, for buckets without an ACL "
                        "of their own (PutBucketAcl) (default public-read)")
    p.add_argument("--region", default=DEFAULT_REGION,
                   help="region that V4 signatures must name (default cn-hangzhou)")
    p.add_argument("--domain", default=DEFAULT_DOMAIN,
                   help="Host <bucket>.<domain> is virtual-hosted (default localhost)")
    p.add_argument("--separators", default=DEFAULT_SEPARATORS,
                   help="style separators, any of -_/! ('' disables; default all)")
    p.add_argument("--max-body-mb", type=float, default=DEFAULT_MAX_BODY / (1024 * 1024),
                   help="largest PutObject body in MB (default 20)")
    p.add_argument("--max-pixels", type=int, default=codec.MAX_SOURCE_PIXELS,
                   help="largest source image (width x height x frames) to process")
    p.add_argument("--process-timeout", type=float, default=DEFAULT_PROCESS_TIMEOUT,
                   help="seconds of processing per request; 0 = no limit (default 30)")
    p.add_argument("--workers", type=int, default=default_workers(),
                   help="image worker processes (default: CPU count; 0 = in the server "
                        "process, no isolation)")
    p.add_argument("--worker-memory-mb", type=int, default=DEFAULT_WORKER_MEMORY_MB,
                   help="address-space cap of each image worker, which also sizes the "
                        "engine's memory budget (default 2048: 1400 MB of pixels)")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                   help="request threads (default 16; image requests use at most all "
                        "but 4)")
    p.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS,
                   help="open connections before new ones get 503 (default 1000)")
    p.add_argument("--restore-seconds", type=float, default=60.0,
                   help="how long RestoreObject of an Archive/ColdArchive object takes "
                        "(default 60, OSS's Archive time)")
    p.add_argument("--allow-callback-hosts", default="loopback", metavar="HOSTS",
                   help="comma-separated hosts upload callbacks may call: names, IPs, "
                        "*.domain, 'loopback' (default) or '*' (any: an SSRF risk)")
    p.add_argument("--callback-key", metavar="PEM",
                   help="RSA private key (PEM) to sign upload callbacks with, as OSS does")
    p.add_argument("--callback-pub-key-url", metavar="URL",
                   help="where the public half of --callback-key is published (sent to "
                        "callback servers as x-oss-pub-key-url)")
    p.add_argument("--certfile", help="serve HTTPS with this PEM certificate (chain); SDKs "
                   "default to https for an endpoint without a scheme")
    p.add_argument("--keyfile", help="the certificate's PEM private key (default: in "
                   "--certfile)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not log each request")
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    credentials: tuple[Credentials, ...] = ()
    try:
        credentials = (Credentials.from_env(),)
    except OssError:
        if args.acl == "private":
            raise
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("waitress").setLevel(logging.WARNING)   # no disconnect chatter
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    from ..serve.runner import serve

    server = serve(args.root, args.host, args.port, args.acl, credentials,
                   region=args.region, domain=args.domain, separators=args.separators,
                   max_body_bytes=int(args.max_body_mb * 1024 * 1024),
                   max_source_pixels=args.max_pixels,
                   process_timeout=args.process_timeout or None,
                   workers=args.workers, worker_memory_mb=args.worker_memory_mb,
                   threads=args.threads,
                   max_concurrent_processing=max(1, args.threads - 4),
                   max_connections=args.max_connections,
                   restore_seconds=args.restore_seconds,
                   callback_hosts=tuple(h.strip() for h in args.allow_callback_hosts.split(",")
                                        if h.strip()),
                   callback_key=args.callback_key,
                   callback_pub_key_url=args.callback_pub_key_url,
                   certfile=args.certfile, keyfile=args.keyfile)
    cfg = server.service.config
    buckets = ", ".join(n for n, _ in server.service.store.buckets()) or "(none yet)"
    key = mask(credentials[0].access_key_id) if credentials else "none"
    print(f"oss-img serve: {cfg.root} at {server.url}\n"
          f"  acl {cfg.acl}, region {cfg.region} (V4 signers must use it), key {key}"
          f"{' (STS)' if credentials and credentials[0].is_sts else ''}\n"
          f"  virtual-hosted: {server.url.split(':')[0]}://<bucket>.{cfg.domain}:"
          f"{server.port}/; "
          f"separators {cfg.separators or 'off'}\n"
          f"  image workers {cfg.workers or 'in-process'}, threads {cfg.threads}\n"
          f"  buckets: {buckets}", file=sys.stderr)
    if not credentials and cfg.acl == "public-read":
        print("  no credentials: only anonymous reads work (export OSS_ACCESS_KEY_ID/"
              "OSS_ACCESS_KEY_SECRET, or use --acl public-read-write)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
