"""Publication is atomic on both backends: a run killed inside the publish leaves the previous
tables live and readable, and a publish never drops or empties the state tables."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from publish_and_hang import release
from sqlalchemy import insert, inspect

from warehouse import publish, tables
from warehouse.engine import WarehouseLockedError, make_engine

HELPER = Path(__file__).with_name("publish_and_hang.py")


def _snapshot(url: str) -> dict:
    with make_engine(url).connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        counts = {n: conn.exec_driver_sql(f'select count(*) from "{n}"').scalar() for n in names}
        display = conn.exec_driver_sql("select distinct display_name from golden_customers").scalars().all()
    return {"tables": names, "counts": counts, "golden_from_run": display}


def _wait_for(ready: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready.exists():
        assert process.poll() is None, f"the publish ended (exit {process.returncode}) before reaching the swap"
        assert time.monotonic() < deadline, "the publish did not reach the swap in time"
        time.sleep(0.05)


def test_a_run_killed_inside_the_publish_leaves_the_previous_tables_live(warehouse_url, tmp_path):
    engine = make_engine(warehouse_url)
    publish.publish(engine, **release(5, "first"))
    with engine.begin() as conn:
        conn.execute(
            insert(tables.staff_accounts).values(
                username="wang.fang", role="admin", password_hash="x", created_at=datetime(2025, 1, 1), disabled=False
            )
        )
    before = _snapshot(warehouse_url)
    assert before["golden_from_run"] == ["first"] and before["counts"]["golden_customers"] == 5

    ready = tmp_path / "inside_the_swap"
    process = subprocess.Popen([sys.executable, str(HELPER), warehouse_url, str(ready)], cwd=Path(__file__).parents[2])
    try:
        _wait_for(ready, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL

    assert _snapshot(warehouse_url) == before  # same tables, same rows, nothing half-published, no __next left over
    publish.publish(engine, **release(3, "second"))  # and the next run publishes as usual
    after = _snapshot(warehouse_url)
    assert after["golden_from_run"] == ["second"] and after["counts"]["golden_customers"] == 3
    assert (
        after["counts"]["staff_accounts"] == 1
        and after["counts"]["identity_registry"] == 5
        and after["counts"]["pipeline_runs"] == 2
    )


def test_a_publish_waits_for_a_duckdb_reader_to_let_go(tmp_path):
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    publish.publish(make_engine(url), **release(2, "first"))
    hold = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); time.sleep(float(sys.argv[2]))"
    reader = subprocess.Popen(
        [sys.executable, "-c", hold, f"{tmp_path}/warehouse.duckdb", "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline() == "open\n"
        started = time.monotonic()
        publish.publish(make_engine(url, lock_timeout_seconds=30), **release(4, "second"))
        assert time.monotonic() - started > 0.5  # it did wait for the reader
    finally:
        reader.wait()
    assert _snapshot(url)["counts"]["golden_customers"] == 4


def test_a_reader_that_holds_on_too_long_fails_the_publish_with_a_clear_reason(tmp_path):
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    publish.publish(make_engine(url), **release(2, "first"))
    hold = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); time.sleep(30)"
    reader = subprocess.Popen(
        [sys.executable, "-c", hold, f"{tmp_path}/warehouse.duckdb"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline() == "open\n"
        with pytest.raises(WarehouseLockedError, match="held open by another process after 0.3 s"):
            publish.publish(make_engine(url, lock_timeout_seconds=0.3), **release(4, "second"))
    finally:
        reader.kill()
        reader.wait()
    assert _snapshot(url)["counts"]["golden_customers"] == 2
