#!/usr/bin/env bash
# Set up a virtual environment (once) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[test]"
# The HTML report tests (issue 11) drive a headless Chromium through chromedriver.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "The HTML report tests need Chromium: sudo apt-get install -y chromium chromium-driver" >&2
  fi
fi
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
# Even offscreen, Qt needs a few system libraries (xkbcommon, EGL, fontconfig ...).
ensure_qt_libs "$QT_QPA_PLATFORM"
exec "$VENV/bin/python" -m pytest "$@"
