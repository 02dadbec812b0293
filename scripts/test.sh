#!/usr/bin/env bash
# Set up a virtual environment (once) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[test]"
# Qt needs a few system libraries even offscreen (xkbcommon, EGL, fontconfig, dbus).
ensure_libs "libxkbcommon.so.0 libEGL.so.1 libfontconfig.so.1" \
  "libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0"
# The HTML report tests (issue 11) drive a headless Chromium through chromedriver.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec "$VENV/bin/python" -m pytest "$@"
