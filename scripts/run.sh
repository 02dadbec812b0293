#!/usr/bin/env bash
# Set up a virtual environment (once) and start the desktop viewer.
# Extra arguments are passed on: a file to open, or an http(s) URL to fetch.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[quality]"   # with the quality explorer's SSIM (scikit-image)
# Qt's xcb platform plugin needs a few system libraries that slim images lack.
ensure_libs "libxcb-cursor.so.0 libxkbcommon-x11.so.0 libEGL.so.1" \
  "libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3"
exec "$VENV/bin/oss-style-viewer" "$@"
