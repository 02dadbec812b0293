"""`explain` benchmark: prints figures; run by hand, record results in docs/PERFORMANCE.md.

    python bench/bench_explain.py [--repeat N]

The viewer re-explains on every edit (120 ms debounce), so one explain must stay well
under a frame budget. Measured cases, V1 and V4, with credentials:
- a valid URL (one signature computed);
- a header sent and not signed (found after the method, key and parameter readings
  have been signed and compared);
- a wrong secret (no reading matches: the worst case, all readings signed);
- the same with OSS's error XML (parsed, diffed line by line and character by character).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.oss.credentials import Credentials  # noqa: E402
from core.oss.explain import explain  # noqa: E402
from core.oss.signing import presign  # noqa: E402
from core.oss.verify import verify_request  # noqa: E402
from core.oss.urls import BucketAddress, parse_query  # noqa: E402
from core.errors import OssError  # noqa: E402
from bench_core import timeit  # noqa: E402  (same folder, run as a script)

NOW = 1700000000
CREDS = Credentials("LTAI5tBenchKey000001", "Bench+Secret/01=")
WRONG = Credentials(CREDS.access_key_id, "Another+Secret/02=")
ADDR = BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", "example-bucket",
                                   https=True)
KEY = "photos/2024/my cat+1 (copy).jpg"
PROCESS = "image/resize,m_fill,w_320,h_240/rotate,90/format,webp/quality,q_80"


def error_xml(url: str, version: str) -> str:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    try:
        verify_request("GET", "example-bucket", unquote(parts.path[1:]),
                       parse_query(parts.query), {}, lambda _id: CREDS, now=NOW + 5,
                       region="cn-hangzhou")
    except OssError as e:
        return e.to_xml("BENCH", parts.netloc)
    raise SystemExit(f"{version}: the URL verified")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    print(f"{'case':<44}{'median ms':>10}{'min ms':>9}")
    for version in ("v1", "v4"):
        good = presign(ADDR, KEY, CREDS, version=version, process=PROCESS, now=NOW).url
        bad = presign(ADDR, KEY, WRONG, version=version, process=PROCESS, now=NOW).url
        xml = error_xml(bad, version)
        cases = {
            "valid": lambda: explain(good, now=NOW + 5, credentials=CREDS),
            "header sent, not signed": lambda: explain(
                good, now=NOW + 5, credentials=CREDS, headers={"Content-Type": "image/png"}),
            "wrong secret (no reading matches)": lambda: explain(
                bad, now=NOW + 5, credentials=CREDS),
            "wrong secret + OSS error XML": lambda: explain(
                bad, now=NOW + 5, credentials=CREDS, error_xml=xml),
        }
        for name, fn in cases.items():
            med, low = timeit(fn, args.repeat)
            print(f"{version.upper()} {name:<41}{med:>10.2f}{low:>9.2f}")


if __name__ == "__main__":
    main()
