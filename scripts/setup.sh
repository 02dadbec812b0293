# Shared by run.sh and test.sh (sourced, not run): the project virtual environment and the
# system libraries Qt needs.
#   setup_venv "<pip target>"   e.g. "." or ".[test]": create the venv once; install the
#                               checkout (editable) only when pyproject.toml changed since
#                               the last install (a stamp in the venv), quietly.
#   ensure_qt_libs <platform>   e.g. xcb, offscreen: ask Qt's platform plugin which system
#                               libraries it lacks (ldd); install their Debian packages when
#                               root, else print the apt-get line and exit 1.
VENV="${OSS_VIEWER_VENV:-.venv}"
STAMP="$VENV/.oss-style-viewer-install"

# The extras named by a pip target: ".[test,cluster]" -> "cluster test".
_extras_of() {
  local spec="$1"
  case "$spec" in *"["*"]") spec="${spec#*\[}"; spec="${spec%]}" ;; *) spec="" ;; esac
  printf '%s\n' ${spec//,/ } | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

_pyproject_hash() {
  sha256sum pyproject.toml 2>/dev/null | cut -d' ' -f1 || cksum pyproject.toml
}

# True when the stamp says this checkout was installed from the current pyproject.toml
# with at least the extras of $1.
_install_is_current() {
  [ -f "$STAMP" ] && [ -x "$VENV/bin/oss-style-viewer" ] || return 1
  local hash path extras want
  { read -r hash; read -r path; read -r extras; } < "$STAMP" || return 1
  [ "$hash" = "$(_pyproject_hash)" ] && [ "$path" = "$PWD" ] || return 1
  for want in $(_extras_of "$1"); do
    case " $extras " in *" $want "*) ;; *) return 1 ;; esac
  done
}

setup_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment $VENV ..." >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  fi
  _install_is_current "$1" && return 0
  local why="pyproject.toml changed since the last install"
  [ -f "$STAMP" ] || why="no record of an earlier install"
  echo "Installing oss-style-viewer into $VENV ($why; log: $VENV/install.log) ..." >&2
  rm -f "$STAMP"
  if ! "$VENV/bin/python" -m pip install --quiet -e "$1" >"$VENV/install.log" 2>&1; then
    cat "$VENV/install.log" >&2
    echo "pip install -e $1 failed (log above and in $VENV/install.log)." >&2
    exit 1
  fi
  printf '%s\n%s\n%s\n' "$(_pyproject_hash)" "$PWD" "$(_extras_of "$1")" > "$STAMP"
}

ensure_qt_libs() {
  local platform="${1%%:*}" plugin missing
  plugin=$(ls "$VENV"/lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libq"$platform".so \
           2>/dev/null | head -n1)
  [ -n "$plugin" ] || return 0        # a platform PySide6 does not ship: Qt will say so
  missing=$(ldd "$plugin" 2>/dev/null | grep "not found") || return 0
  printf '%s\n' "$missing" | "$VENV/bin/python" scripts/syslibs.py "$plugin" "$platform" \
    || exit 1
}
