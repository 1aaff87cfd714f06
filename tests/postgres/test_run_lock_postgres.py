"""The run lock on PostgreSQL: a session advisory lock per database, held by another process,
waited for, and gone with its holder's connection."""

from __future__ import annotations

import os
import signal

import pytest
from lock_holder import hold

from warehouse.lock import WarehouseBusy, run_lock


def test_a_second_process_is_refused_while_the_first_holds_the_warehouse_and_not_after(postgres_database):
    holder = hold(postgres_database)
    told = []
    busy = (
        r"another run is in progress on postgresql\+psycopg://.* "
        r"\(server pid \d+ from 127\.0\.0\.1 since .*\); waited 0\.3 s"
    )
    with pytest.raises(WarehouseBusy, match=busy):
        with run_lock(postgres_database, wait_seconds=0.3, on_wait=told.append):
            pass
    assert len(told) == 1
    os.kill(holder.pid, signal.SIGKILL)  # the server ends the session, and its lock with it
    holder.wait()
    with run_lock(postgres_database, wait_seconds=10):
        pass


def test_warehouses_in_two_databases_do_not_block_each_other(postgres_database, postgres_url):
    holder = hold(postgres_url)
    try:
        with run_lock(postgres_database, wait_seconds=0):
            pass
    finally:
        holder.stdin.close()
        holder.wait()
    assert holder.returncode == 0
