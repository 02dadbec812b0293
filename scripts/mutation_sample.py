"""Print mutmut mutant names for scripts/mutation.sh (one a line).

    python scripts/mutation_sample.py N [MODULE ...]            # seeded sample, N per module
    python scripts/mutation_sample.py --pending [MODULE ...]    # not yet checked
    python scripts/mutation_sample.py --survivors [MODULE ...]  # survived last time
    mutmut run $(cat sample.txt); python scripts/mutation_report.py --names sample.txt

Modules as issue 16 names them: engine ops geometry params cascade signing (and verify, its
verifier since it left signing.py: verify.py, the checks every version shares in
verify_checks.py, and signing_v2.py, the OSS2 verifier) urls serve (all
by default). ``ops`` and ``serve`` are each one pool over their files. The sample is the
same on every machine (seed 16), so a rerun after new tests re-measures the same mutants;
``MUTATION_SEED=<n>`` draws another, for an unbiased measure after tests were written from
the first.
``--pending`` lists what mutmut has no verdict for: new mutants and those of functions that
changed since they were checked (mutmut forgets those), i.e. what an incremental run must
test. Runs mutmut's own generator first, so changed code is seen.
"""
from __future__ import annotations

import contextlib
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = {"engine": "core.engine.", "ops": "core.ops.", "geometry": "core.geometry.",
           "params": "core.params.", "cascade": "core.cascade.", "signing": "core.oss.signing.",
           "verify": ("core.oss.verify.", "core.oss.verify_checks.", "core.oss.signing_v2."),
           "urls": "core.oss.urls.", "serve": "core.serve."}


def verdicts() -> dict[str, int | None]:
    """Every mutant's mutmut exit code (None: not checked), after (re)generating the
    mutants of changed files with mutmut 3.8's generator (the first step of `mutmut run`)."""
    from mutmut.__main__ import copy_src_dir, create_mutants

    os.chdir(ROOT)
    with contextlib.redirect_stdout(sys.stderr):     # it prints every file it walks
        copy_src_dir()
        create_mutants(os.cpu_count() or 2)
    codes: dict[str, int | None] = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def main(argv: list[str]) -> int:
    if not argv or not (argv[0].isdigit() or argv[0] in ("--pending", "--survivors")):
        print(__doc__, file=sys.stderr)
        return 2
    modules = argv[1:] or list(MODULES)
    codes = verdicts()
    for module in modules:
        pool = sorted(x for x in codes if x.startswith(MODULES[module]))
        if argv[0] == "--pending":
            chosen = [x for x in pool if codes[x] is None]
        elif argv[0] == "--survivors":
            chosen = [x for x in pool if codes[x] == 0]
        else:
            seed = int(os.environ.get("MUTATION_SEED", "16"))
            chosen = random.Random(seed).sample(pool, min(int(argv[0]), len(pool)))
        if chosen:
            print("\n".join(chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
