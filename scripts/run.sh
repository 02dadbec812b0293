#!/usr/bin/env bash
# Set up a virtual environment (once) and start the desktop viewer.
# Extra arguments are passed on: a file to open, or an http(s) URL to fetch.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${OSS_VIEWER_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install --quiet -e .
# Qt's xcb platform plugin needs a few system libraries that slim images lack.
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  if ! ldconfig -p | grep -q libxcb-cursor.so.0 || ! ldconfig -p | grep -q libxkbcommon-x11.so.0; then
    apt-get update -qq >/dev/null && apt-get install -y -qq libxcb-cursor0 libxkbcommon-x11-0 \
      libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3 >/dev/null
  fi
fi
exec "$VENV/bin/oss-style-viewer" "$@"
