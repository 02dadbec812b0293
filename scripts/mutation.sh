#!/usr/bin/env bash
# Mutation testing of core/ with mutmut (configured in pyproject.toml [tool.mutmut]).
# Not part of CI: run before a release and record the table in docs/TESTING.md.
#   bash scripts/mutation.sh            # run (resumes; only changed code is re-tested)
#   bash scripts/mutation.sh --report   # just print the per-module table of the last run
# About 9,000 mutants; ~35 min on 2 idle cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[test]"
"$VENV/bin/python" -m pip install --quiet "mutmut>=3.8,<4"
export QT_QPA_PLATFORM=offscreen HYPOTHESIS_PROFILE=ci
if [ "${1:-}" != "--report" ]; then
  "$VENV/bin/mutmut" run --max-children "$(nproc)" >/dev/null || true
fi
exec "$VENV/bin/python" scripts/mutation_report.py "$@"
