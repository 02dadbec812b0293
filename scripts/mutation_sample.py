"""Print a seeded random sample of mutmut's mutant names, N per module (one a line).

    python scripts/mutation_sample.py N [MODULE ...] > sample.txt
    mutmut run $(cat sample.txt); python scripts/mutation_report.py --names sample.txt

Modules as issue 16 names them: engine ops geometry params cascade signing (and verify, its
verifier since it left signing.py) urls serve (all
by default). ``ops`` and ``serve`` are each one pool over their files. The sample is the
same on every machine (seed 16), so a rerun after new tests re-measures the same mutants.
Generates the mutants first (mutmut's own generator) when ``mutants/`` has none.
"""
from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = {"engine": "core.engine.", "ops": "core.ops.", "geometry": "core.geometry.",
           "params": "core.params.", "cascade": "core.cascade.", "signing": "core.oss.signing.",
           "verify": "core.oss.verify.", "urls": "core.oss.urls.", "serve": "core.serve."}


def all_names() -> list[str]:
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    if not metas:
        # mutmut 3.8's generator (the first step of `mutmut run`), without running tests
        from mutmut.__main__ import copy_src_dir, create_mutants
        os.chdir(ROOT)
        copy_src_dir()
        create_mutants(os.cpu_count() or 2)
        metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    names: list[str] = []
    for meta in metas:
        names += json.loads(meta.read_text())["exit_code_by_key"]
    return names


def main(argv: list[str]) -> int:
    if not argv or not argv[0].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    n, modules = int(argv[0]), argv[1:] or list(MODULES)
    names = all_names()
    for module in modules:
        pool = sorted(x for x in names if x.startswith(MODULES[module]))
        print("\n".join(random.Random(16).sample(pool, min(n, len(pool)))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
