#!/usr/bin/env bash
# Writes requirements.lock: the exact versions a fresh clone installs (make install). Resolves
# the newest versions pyproject.toml's bounds allow, in a throwaway virtual environment, so the
# lock holds nothing a developer's own environment happened to have. Updating it is a
# deliberate commit: run `make lock`, then `make test`, and commit the lock with what it changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
venv=$(mktemp -d)
trap 'rm -rf "$venv" build' EXIT  # pip builds the project in place: build/ is its leftover
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip setuptools
"$venv/bin/python" -m pip install --quiet '.[dev,value]'  # value: the value model's extra, locked too
{
  echo "# Exact versions for make install; written by scripts/lock.sh (make lock) on $(date -u +%Y-%m-%d)."
  echo "# Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())'); the newest the bounds allowed that day."
  "$venv/bin/python" -m pip freeze --all | grep -v -i '^customer-unify[= @]' | LC_ALL=C sort -f
} > requirements.lock
echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages"
