#!/usr/bin/env bash
# Set up a virtual environment (once) and start the desktop viewer.
# Extra arguments are passed on: a file to open, or an http(s) URL to fetch.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_venv ".[quality,fast]"   # SSIM for the quality explorer (scikit-image); libspng PNG decode
# Qt's platform plugin (xcb on X11, wayland in a Wayland session) needs system libraries
# that slim images lack: ask the plugin which, before Qt aborts with a misleading message.
if [ -n "${QT_QPA_PLATFORM:-}" ]; then
  ensure_qt_libs "$QT_QPA_PLATFORM"
elif [ "${XDG_SESSION_TYPE:-}" = "wayland" ] && [ -n "${WAYLAND_DISPLAY:-}" ]; then
  ensure_qt_libs wayland
else
  ensure_qt_libs xcb
fi
exec "$VENV/bin/oss-style-viewer" "$@"
