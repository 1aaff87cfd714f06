#!/usr/bin/env bash
# Exits 0 when the environment of the given python holds exactly the lock's versions (pip and
# setuptools aside: they install, they are not tested). make test-latest then has nothing make
# test has not already tested; otherwise it prints the versions that differ.
set -euo pipefail
cd "$(dirname "$0")/.."
# names as pip normalises them (RapidFuzz is rapidfuzz); the project itself is editable ("-e")
packages() { grep -vE '^(#|-e )' | tr '[:upper:]_' '[:lower:]-' | grep -vE '^(pip|setuptools|wheel|customer-unify)[= @]' | LC_ALL=C sort; }
newer=$(diff <(packages < requirements.lock) <("$1" -m pip freeze --all 2>/dev/null | packages) || true)
[ -z "$newer" ] && exit 0
echo "not the lock's versions (this environment has):"
echo "$newer" | grep '^>' | sed 's/^> /  /' || true
exit 1
