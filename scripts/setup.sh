# Shared by run.sh and test.sh (sourced, not run): a project virtual environment and the
# system libraries Qt needs. Usage: setup_venv "<pip target>"; ensure_libs "<ldconfig
# names>" "<Debian packages>".
VENV="${OSS_VIEWER_VENV:-.venv}"

setup_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install --quiet -e "$1"
}

# Installs the packages (Debian, as root only) when any of the libraries is missing.
ensure_libs() {
  command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ] || return 0
  local lib
  for lib in $1; do
    if ! ldconfig -p | grep -q "$lib"; then
      apt-get update -qq >/dev/null && apt-get install -y -qq $2 >/dev/null
      return
    fi
  done
}
