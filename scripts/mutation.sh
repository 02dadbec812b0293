#!/usr/bin/env bash
# Mutation testing of core/ with mutmut (configured in pyproject.toml [tool.mutmut]).
# Not part of CI: run before a release and record the table in docs/TESTING.md.
#   bash scripts/mutation.sh                 # every module: ~12,300 mutants (see docs/TESTING.md)
#   bash scripts/mutation.sh params urls     # only these modules (engine ops geometry params
#                                            #   cascade signing verify urls serve), every mutant
#   bash scripts/mutation.sh --sample 60     # a seeded random sample of 60 mutants per module:
#                                            #   an estimate with its 95% interval, in minutes
#   bash scripts/mutation.sh --report        # the per-module table of the last run
# mutmut keeps its results in mutants/ (gitignored); a rerun only re-tests changed code.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[test]"
"$VENV/bin/python" -m pip install --quiet "mutmut>=3.8,<4"
export QT_QPA_PLATFORM=offscreen HYPOTHESIS_PROFILE=ci
declare -A PREFIX=([engine]=core.engine [ops]=core.ops [geometry]=core.geometry
  [params]=core.params [cascade]=core.cascade [signing]=core.oss.signing
  [verify]=core.oss.verify [urls]=core.oss.urls [serve]=core.serve)
report=()
case "${1:-}" in
  --report) exec "$VENV/bin/python" scripts/mutation_report.py "${@:2}" ;;
  --sample)
    mkdir -p mutants; sample=mutants/sample.txt
    "$VENV/bin/python" scripts/mutation_sample.py "$2" "${@:3}" > "$sample"
    mapfile -t names < "$sample"
    report=(--names "$sample") ;;
  "") names=() ;;
  *) names=(); for m in "$@"; do names+=("${PREFIX[$m]:?unknown module $m}.*"); done ;;
esac
start=$(date +%s)
"$VENV/bin/mutmut" run --max-children "$(nproc)" "${names[@]}" >/dev/null || true
echo "mutmut: $(( ($(date +%s) - start) / 60 )) min on $(nproc) cores, $(date -u +%F)"
exec "$VENV/bin/python" scripts/mutation_report.py "${report[@]}"
