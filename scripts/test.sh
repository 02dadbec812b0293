#!/usr/bin/env bash
# Set up a virtual environment (once) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${OSS_VIEWER_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install --quiet -e ".[test]"
# Qt needs a few system libraries even offscreen (xkbcommon, EGL, fontconfig, dbus).
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  if ! ldconfig -p | grep -q libxkbcommon.so.0 || ! ldconfig -p | grep -q libEGL.so.1; then
    apt-get update -qq >/dev/null && apt-get install -y -qq libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0 >/dev/null
  fi
fi
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec "$VENV/bin/python" -m pytest "$@"
