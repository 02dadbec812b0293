"""Per-module kill ratios from mutmut's results (``mutants/**/*.py.meta``).

    python scripts/mutation_report.py [--files] [--survivors] [--listed] [--names FILE] [--times]

Modules are the ones issue 16 names: ``core/ops/*`` is one module ("ops") and
``core/serve/*`` one ("serve"); ``--files`` prints one row per file instead.

Equivalent mutants (no test can tell them apart from the original) are listed with the
reason in ``docs/mutants-equivalent.txt`` (``<mutant name>  # why``) and leave the
denominator. Survivors that are accepted but *not* equivalent (our own wording of a
message OSS does not publish) are listed in ``docs/mutants-accepted.txt``; they stay in the
denominator as not killed.

``--names FILE`` restricts the table to the mutant names in FILE (one a line): a random
sample, run with ``mutmut run $(cat FILE)``. The kill ratio is then an estimate, printed
with its 95% Wilson interval.

``--listed`` prints each mutant counted as equivalent or accepted with its reason and the
lines it changes now: mutant numbers move when a function is edited, so an entry can come
to name another mutant; read them after a sample and rewrite or drop stale ones.

``--times`` prints where the run's time went instead: per module, mutmut's own wall time
of each checked mutant (``durations_by_key``: fork to exit) summed and averaged by verdict,
and what the module's unchecked mutants would take at that average (one child).
"""
from __future__ import annotations

import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutation_sample import MODULES

ROOT = Path(__file__).resolve().parent.parent
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "type check", -11: "segfault", -9: "segfault", None: "unchecked"}
KILLS = {"killed", "timeout", "segfault", "type check"}


def listed(name: str) -> dict[str, str]:
    """``<mutant name>  # why`` lines of docs/NAME."""
    path = ROOT / "docs" / name
    out = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            mutant, _, why = line.partition("#")
            if mutant.strip():
                out[mutant.strip()] = why.strip()
    return out


# The files of the "verify" module, as scripts/mutation_sample.py declares it (one list).
VERIFY_FILES = tuple(prefix.rstrip(".").replace(".", "/") + ".py"
                     for prefix in MODULES["verify"])


def module_of(path: str, per_file: bool) -> str:
    if per_file:
        return path
    for group in ("core/ops/", "core/serve/"):
        if path.startswith(group):
            return group + "*"
    if path in VERIFY_FILES:
        return "core/oss/verify*.py, signing_v2.py"
    return path


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def times(metas: list[Path], per_file: bool) -> None:
    """Seconds per module and verdict from mutmut's per-mutant wall times."""
    secs: dict[str, Counter] = defaultdict(Counter)
    n: dict[str, Counter] = defaultdict(Counter)
    for meta in metas:
        path = meta.relative_to(ROOT / "mutants").as_posix()[: -len(".meta")]
        module = module_of(path, per_file)
        data = json.loads(meta.read_text())
        durations = data.get("durations_by_key", {})
        for name, code in data["exit_code_by_key"].items():
            status = STATUS.get(code, "suspicious")
            status = "killed" if status in KILLS - {"timeout"} else status
            n[module][status] += 1
            if name in durations and status not in ("unchecked", "no tests"):
                secs[module][status] += durations[name]
                secs[module]["timed"] += 1
    print("| module | timed | minutes | s per mutant | s per kill | s per survivor | "
          "timeouts (min) | unchecked | minutes to check them |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for module in sorted(n):
        s, c = secs[module], n[module]
        timed = s["timed"]
        mean = sum(v for k, v in s.items() if k != "timed") / timed if timed else 0.0

        def per(status: str) -> str:
            return f"{s[status] / c[status]:.1f}" if c[status] and s[status] else "-"
        print(f"| `{module}` | {timed} | {mean * timed / 60:.0f} | {mean:.1f} | "
              f"{per('killed')} | {per('survived')} | {c['timeout']} ({s['timeout'] / 60:.0f}) "
              f"| {c['unchecked']} | {mean * c['unchecked'] / 60:.0f} |")


def main(argv: list[str]) -> int:
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/ (run scripts/mutation.sh first)")
        return 1
    if "--times" in argv:
        times(metas, "--files" in argv)
        return 0
    only = None
    if "--names" in argv:
        only = set(Path(argv[argv.index("--names") + 1]).read_text().split())
    equiv, accepted = listed("mutants-equivalent.txt"), listed("mutants-accepted.txt")
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors, classified = defaultdict(list), defaultdict(list)
    for meta in metas:
        path = meta.relative_to(ROOT / "mutants").as_posix()[: -len(".meta")]
        module = module_of(path, "--files" in argv)
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if only is not None and name not in only:
                continue
            status = STATUS.get(code, "suspicious")
            if status in ("survived", "no tests") and name in equiv:
                status = "equivalent"
            elif status in ("survived", "no tests") and name in accepted:
                status = "accepted"
            counts[module][status] += 1
            counts[module]["mutants"] += 1
            if status in ("survived", "no tests"):
                survivors[module].append(name)
            elif status in ("equivalent", "accepted"):
                classified[module].append(name)
    counts = {m: c for m, c in counts.items() if c["mutants"]}
    total = sum(counts.values(), Counter())
    interval = only is not None
    print("| module | mutants | killed | survived | no test | accepted | equivalent | unchecked "
          f"| kill ratio |{' 95% interval |' if interval else ''}")
    print(f"|---|---:|---:|---:|---:|---:|---:|---:|---:|{'---:|' if interval else ''}")
    for module, c in sorted(counts.items()) + [("**all**", total)]:
        killed = sum(c[s] for s in KILLS)
        live = c["survived"] + c["no tests"] + c["accepted"]
        ratio = f"{killed / (killed + live):.1%}" if killed + live else "-"
        label = module if module.startswith("**") else f"`{module}`"
        row = (f"| {label} | {c['mutants']} | {killed} | {c['survived']} | {c['no tests']} | "
               f"{c['accepted']} | {c['equivalent']} | {c['unchecked']} | {ratio} |")
        if interval:
            lo, hi = wilson(killed, killed + live)
            row += f" {lo:.0%}-{hi:.0%} |"
        print(row)
    if "--survivors" in argv:
        for module, names in sorted(survivors.items()):
            print(f"\n{module}:")
            for n in sorted(names):
                print("  ", n)
    if "--listed" in argv:
        print_listed(sorted(n for names in classified.values() for n in names),
                     equiv, accepted)
    return 0


def print_listed(names: list[str], equiv: dict[str, str], accepted: dict[str, str]) -> None:
    """Each survivor counted as equivalent or accepted, with its reason and the lines the
    mutant changes *now*: mutant numbers move when a function is edited, so a line of the
    lists can come to name another mutant. Read them; a reason that no longer fits the
    change is a stale entry, to be rewritten or removed."""
    import contextlib
    import io
    import os

    from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

    os.chdir(ROOT)
    for name in names:
        why = equiv.get(name) or accepted.get(name)
        kind = "equivalent" if name in equiv else "accepted"
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                diff = get_diff_for_mutant(name, path=find_mutant(name).path)
        except Exception as e:  # noqa: BLE001 - a name mutmut no longer knows
            diff = f"(no such mutant now: {e})"
        changed = [ln for ln in diff.splitlines()
                   if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
        print(f"\n{name} [{kind}] # {why}")
        for ln in changed:
            print("   ", ln.strip()[:110])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
