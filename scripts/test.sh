#!/usr/bin/env bash
# Set up a virtual environment (once) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[test]"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
# Even offscreen, Qt needs a few system libraries (xkbcommon, EGL, fontconfig ...).
ensure_qt_libs "$QT_QPA_PLATFORM"
exec "$VENV/bin/python" -m pytest "$@"
