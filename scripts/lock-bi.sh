#!/usr/bin/env bash
# Writes bi/requirements.lock: the exact versions `make bi` installs into .venv-bi, resolved from
# bi/requirements.in under bi/constraints.txt in a throwaway virtual environment. DuckDB is pinned
# to the main lock's version, so Superset reads the file the pipeline writes. A deliberate commit:
# run it, then `make test-bi`, and commit the lock with what it changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
duckdb=$(grep -i '^duckdb==' requirements.lock)
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -c bi/constraints.txt -r bi/requirements.in "$duckdb"
"$venv/bin/python" -m pip check
{
  echo "# Exact versions for .venv-bi (make bi); written by scripts/lock-bi.sh on $(date -u +%Y-%m-%d)."
  echo "# Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())'); $duckdb as in requirements.lock."
  "$venv/bin/python" -m pip freeze --all | LC_ALL=C sort -f
} > bi/requirements.lock
echo "bi/requirements.lock: $(grep -vc '^#' bi/requirements.lock) packages"
