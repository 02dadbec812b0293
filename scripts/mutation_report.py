"""Per-module kill ratios from mutmut's results (``mutants/**/*.py.meta``).

Equivalent mutants (no test can tell them apart from the original) are listed with the
reason in ``docs/mutants-equivalent.txt`` (``<mutant name>  # why``) and leave the
denominator. Prints a Markdown table for docs/TESTING.md and the survivors still to explain.
"""
from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "type check", -11: "segfault", -9: "segfault", None: "unchecked"}
KILLS = {"killed", "timeout", "segfault", "type check"}


def equivalents() -> dict[str, str]:
    path = ROOT / "docs" / "mutants-equivalent.txt"
    out = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, why = line.partition("#")
            if name.strip():
                out[name.strip()] = why.strip()
    return out


def main(argv: list[str]) -> int:
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/ (run scripts/mutation.sh first)")
        return 1
    equiv = equivalents()
    rows, survivors = [], defaultdict(list)
    for meta in metas:
        module = meta.relative_to(ROOT / "mutants").as_posix()[: -len(".meta")]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts = Counter()
        for name, code in codes.items():
            status = STATUS.get(code, "suspicious")
            if status == "survived" and name in equiv:
                status = "equivalent"
            counts[status] += 1
            if status in ("survived", "no tests"):
                survivors[module].append(name)
        killed = sum(counts[s] for s in KILLS)
        live = counts["survived"] + counts["no tests"]
        ratio = killed / (killed + live) if killed + live else 1.0
        rows.append((module, len(codes), killed, counts["survived"], counts["no tests"],
                     counts["equivalent"], counts["unchecked"], ratio))
    print("| module | mutants | killed | survived | no test | equivalent | unchecked | kill ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for m, n, k, s, nt, e, u, r in rows:
        print(f"| `{m}` | {n} | {k} | {s} | {nt} | {e} | {u} | {r:.1%} |")
    tk = sum(r[2] for r in rows)
    tl = sum(r[3] + r[4] for r in rows)
    print(f"| **all** | {sum(r[1] for r in rows)} | {tk} | {sum(r[3] for r in rows)} | "
          f"{sum(r[4] for r in rows)} | {sum(r[5] for r in rows)} | {sum(r[6] for r in rows)} | "
          f"{tk / (tk + tl) if tk + tl else 1:.1%} |")
    if "--survivors" in argv:
        for module, names in survivors.items():
            print(f"\n{module}:")
            for n in sorted(names):
                print("  ", n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
