#!/usr/bin/env bash
# Mutation testing of core/ with mutmut (configured in pyproject.toml [tool.mutmut]).
# Not part of CI: run before a release and record the table in docs/TESTING.md.
#   bash scripts/mutation.sh --sample 60      # a seeded random sample of 60 mutants per module:
#                                             #   each kill ratio with its 95% interval (~30 min)
#   MUTATION_SEED=17 bash scripts/mutation.sh --sample 30   # another seed: a fresh, unbiased
#                                             #   sample after tests written from the first
#   bash scripts/mutation.sh params urls      # these modules (engine ops geometry params cascade
#                                             #   signing verify urls serve): the mutants with no
#                                             #   verdict yet -- all on the first run, then only
#                                             #   those of changed code; stopped runs resume
#   bash scripts/mutation.sh                  # every module likewise (~18,500 mutants: hours,
#                                             #   see docs/TESTING.md; run it module by module)
#   bash scripts/mutation.sh --survivors ops  # the survivors again, after new tests
#   bash scripts/mutation.sh --again ops      # every mutant of these modules again
#   bash scripts/mutation.sh --report         # the per-module table of the last run
# MUTATION_CHILDREN=N mutants in parallel (default: the CPU count).
# mutmut keeps its results in mutants/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[test]"
"$VENV/bin/python" -m pip install --quiet "mutmut>=3.8,<4"
# HYPOTHESIS_PROFILE=mutation: the ci examples, stopping at the first failure (no shrinking).
export QT_QPA_PLATFORM=offscreen HYPOTHESIS_PROFILE=mutation
# Every mutant is a pytest session of its own: its tmp_path folders (the service's tests
# write and fsync thousands of small files) and pytest's clean-up of older sessions' folders
# go to a tmpfs when there is one, away from other pytest runs' /tmp/pytest-of-$USER.
if [ -z "${TMPDIR_FOR_MUTATION:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  TMPDIR_FOR_MUTATION=$(mktemp -d /dev/shm/mutation.XXXXXX)
  trap 'rm -rf "$TMPDIR_FOR_MUTATION"' EXIT
fi
[ -n "${TMPDIR_FOR_MUTATION:-}" ] && export TMPDIR="$TMPDIR_FOR_MUTATION"
declare -A PREFIX=([engine]=core.engine [ops]=core.ops [geometry]=core.geometry
  [params]=core.params [cascade]=core.cascade [signing]=core.oss.signing
  [verify]="core.oss.verify core.oss.verify_checks core.oss.signing_v2" [urls]=core.oss.urls
  [serve]=core.serve)
list=scripts/mutation_sample.py
mkdir -p mutants
report=()
case "${1:-}" in
  --report) exec "$VENV/bin/python" scripts/mutation_report.py "${@:2}" ;;
  --sample)
    sample=mutants/sample.txt
    "$VENV/bin/python" "$list" "$2" "${@:3}" > "$sample"
    mapfile -t names < "$sample"
    report=(--names "$sample") ;;
  --survivors) mapfile -t names < <("$VENV/bin/python" "$list" --survivors "${@:2}") ;;
  --again) names=()
    for m in "${@:2}"; do
      for p in ${PREFIX[$m]:?unknown module $m}; do names+=("$p.*"); done
    done
    [ "$#" -gt 1 ] || names=("core.*") ;;
  *) for m in "$@"; do : "${PREFIX[$m]:?unknown module $m}"; done
     mapfile -t names < <("$VENV/bin/python" "$list" --pending "$@") ;;
esac
start=$(date +%s)
if [ "${#names[@]}" -gt 0 ]; then
  nice -n 10 "$VENV/bin/mutmut" run --max-children "${MUTATION_CHILDREN:-$(nproc)}" \
    "${names[@]}" >/dev/null || true
fi
echo "mutmut: ${#names[@]} mutants, $(( ($(date +%s) - start) / 60 )) min" \
     "on ${MUTATION_CHILDREN:-$(nproc)} children, $(date -u +%F)"
"$VENV/bin/python" scripts/mutation_report.py "${report[@]}"
