#!/usr/bin/env bash
# Create the virtual environment at .venv and install Interschool with its test tools.
# On a fresh Debian machine python3 may lack venv/pip: install them with apt-get when we are root.
set -euo pipefail
PYTHON=${1:-python3}
cd "$(dirname "$0")/.."
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing python3-venv with apt-get…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null
  else
    echo "Python's venv module is missing: install python3-venv (as root: apt-get install python3-venv)." >&2
    exit 1
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
echo "Installed Interschool $(.venv/bin/python -c 'import interschool; print(interschool.__version__)') into .venv"
