"""One run per warehouse: a second process waits for the run lock, or says in one line that
another run is in progress; a holder that dies leaves no lock behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import materialize
from lock_holder import hold

from assets.customers import staged_source_records
from assets.resources import Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from warehouse.lock import WarehouseBusy, run_lock


@pytest.fixture
def warehouse(tmp_path) -> str:
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


def test_a_second_unify_run_says_in_one_line_that_another_run_is_in_progress(warehouse, tmp_path, sample_sources):
    holder = hold(warehouse)
    try:
        unify = Path(sys.executable).parent / "unify"
        env = {**os.environ, "UNIFY_WORK_DIR": str(tmp_path / "work")}
        command = [unify, "run", "--sources", sample_sources, "--warehouse", warehouse, "--wait", "0.5"]
        done = subprocess.run(command, capture_output=True, text=True, env=env)
    finally:
        holder.stdin.close()
        holder.wait()
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 3, done.stderr
    assert len(lines) == 2 and "waiting up to 0.5 s" in lines[0]
    assert lines[1].startswith(f"unify: another run is in progress on {warehouse} (pid {holder.pid} on ")
    assert "waited 0.5 s" in lines[1] and "--wait SECONDS" in lines[1]


def test_a_second_run_waits_for_the_first_to_finish(warehouse):
    holder = hold(warehouse)
    told = []
    started = time.monotonic()
    subprocess.Popen([sys.executable, "-c", "import sys, time; time.sleep(1); sys.stdin.close()"], stdin=holder.stdin)
    holder.stdin.close()  # the sleeper keeps the holder's stdin open for a second
    with run_lock(warehouse, wait_seconds=30, on_wait=told.append):
        waited = time.monotonic() - started
    holder.wait()
    assert 0.8 < waited < 10
    assert len(told) == 1 and f"pid {holder.pid}" in told[0]


def test_a_killed_run_leaves_no_lock_behind(warehouse):
    holder = hold(warehouse)
    with pytest.raises(WarehouseBusy, match="another run is in progress"):
        with run_lock(warehouse, wait_seconds=0.3):
            pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with run_lock(warehouse, wait_seconds=0):
        pass


def test_the_lock_is_reentrant_within_a_process_and_free_after(warehouse):
    with run_lock(warehouse, wait_seconds=0), run_lock(warehouse, wait_seconds=0):
        pass
    holder = hold(warehouse)  # another process can take it now
    holder.stdin.close()
    holder.wait()
    assert holder.returncode == 0


def test_a_run_the_ui_starts_takes_the_lock_too(warehouse, tmp_path, sample_sources):
    """The warehouse resource holds the lock for the run: a run started outside `unify run`
    (the UI, the schedule, the sensor) waits for the run in progress, then fails saying why."""
    resources = {
        "sources": SourcesFolder(path=str(sample_sources)),
        "work": WorkArea(path=str(tmp_path / "work")),
        "warehouse": Warehouse(url=warehouse, run_lock_wait=0.5),
        "monitoring": Monitoring(),
        "run_settings": RunSettings(),
    }
    holder = hold(warehouse)
    try:
        result = materialize([staged_source_records], resources=resources, raise_on_error=False)
    finally:
        holder.stdin.close()
        holder.wait()
    assert not result.success
    errors = [e.event_specific_data.error for e in result.all_events if e.is_failure and e.event_specific_data.error]
    assert any("another run is in progress" in (error.cause or error).message for error in errors)
    assert materialize([staged_source_records], resources=resources).success  # and runs once the lock is free
