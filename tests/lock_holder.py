"""Another process holding a warehouse's run lock, for the tests of the lock (DuckDB and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# holds the run lock of the warehouse named by argv[1] until its standard input closes
HOLDER = """
import sys
from warehouse.lock import run_lock
with run_lock(sys.argv[1], wait_seconds=0):
    print("held", flush=True)
    sys.stdin.read()
"""
ROOT = Path(__file__).resolve().parents[1]


def hold(url: str) -> subprocess.Popen:
    """A process that holds the lock once this returns; close its stdin to let go."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder
