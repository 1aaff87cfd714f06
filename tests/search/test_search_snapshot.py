"""The search reads the last published version in one read and keeps answering while a run publishes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from fastapi.testclient import TestClient
from published import bearer, logged_in

from search import snapshot as snapshot_module
from search.app import create_app
from search.profile import customer_profile
from search.retry import WarehouseUnavailable
from search.snapshot import Snapshot, read_control, read_snapshot
from search.staff import read_audit
from search.store import Store


def test_fast_path_and_sqlalchemy_path_read_the_same(published):
    fast = read_snapshot(published.url)
    with snapshot_module._reading_sqlalchemy(published.url) as reader:
        generic = Snapshot.from_tables(reader.latest_run(), snapshot_module.snapshot_tables(reader))
    assert fast.run_id == generic.run_id and fast.customers == generic.customers
    assert fast.index.size == generic.index.size
    assert [r["customer_id"] for r in fast.search("王")] == [r["customer_id"] for r in generic.search("王")]
    assert fast.golden.to_pylist() == generic.golden.to_pylist()
    customer = fast.customer_ids[len(fast.customer_ids) // 2]
    assert fast.records.rows(customer) == generic.records.rows(customer) != []


def test_optional_tables_are_loaded_when_published(published):
    snapshot = read_snapshot(published.url)
    assert {"customer_orders", "customer_service_tickets", "golden_field_lineage", "customer_id_history"} <= set(
        snapshot.optional
    )


def test_an_unpublished_warehouse_answers_nothing(tmp_path):
    url = f"duckdb:///{tmp_path / 'missing.duckdb'}"
    snapshot = read_snapshot(url)
    assert snapshot.run_id is None and snapshot.customers == 0 and snapshot.search("王") == []
    assert read_control(url).accounts == {}


def test_a_warehouse_without_the_optional_tables(tmp_path, published):
    url = published.copy(tmp_path)
    with duckdb.connect(url.removeprefix("duckdb:///")) as con:
        for table in (
            "customer_orders",
            "customer_service_tickets",
            "customer_salespeople",
            "golden_field_lineage",
            "match_review_queue",
        ):
            con.execute(f"drop table if exists {table}")
    snapshot = read_snapshot(url)
    profile = customer_profile(snapshot, "C00000001")
    assert profile["orders"] is None and profile["tickets"] is None
    assert profile["salespeople"] == [] or all(s["record_count"] for s in profile["salespeople"])
    phone = next(f for f in profile["fields"] if f["field"] == "phone")
    assert phone["sources"] and phone["rule"] is None  # lineage found from the records themselves


def test_store_reloads_only_when_a_new_run_is_published(published, tmp_path):
    url = published.copy(tmp_path)
    store = Store(url)
    assert store.refresh(force=True)
    run = store.snapshot.run_id
    assert not store.refresh()  # the file has not changed
    _publish_new_run(url, hold_seconds=0)
    time.sleep(1.1)  # the quiet period: a just-written file may be mid-publish
    assert store.refresh()
    assert store.snapshot.run_id != run
    assert store.snapshot.search("Renamed Person")


def test_search_keeps_answering_while_a_run_publishes(published, tmp_path):
    url = published.copy(tmp_path)
    store = Store(url)
    store.refresh(force=True)
    old = store.snapshot
    writer = _publish_new_run(url, hold_seconds=2.0, wait=False)
    try:
        _wait_for(writer, "holding")
        started = time.monotonic()
        answered = 0
        while time.monotonic() - started < 1.0:
            assert store.snapshot.search("王")  # answered from memory, while the file is locked
            assert not store.refresh(force=True)  # the locked file is not read: the previous run stays
            answered += 1
        assert store.snapshot is old and answered > 3
    finally:
        assert writer.wait(timeout=30) == 0, writer.stderr.read()
    assert store.refresh(force=True) and store.snapshot.run_id == "run-2"


def test_store_keeps_the_previous_snapshot_when_the_warehouse_is_unreadable(published, monkeypatch):
    store = Store(published.url)
    store.refresh(force=True)
    old = store.snapshot

    def unreadable(url):
        raise WarehouseUnavailable("locked")

    monkeypatch.setattr("search.store.read_control", unreadable)
    assert not store.refresh(force=True)
    assert store.snapshot is old


def test_audit_entries_wait_in_order_while_the_warehouse_is_busy(published, tmp_path, monkeypatch):
    store = Store(published.copy(tmp_path))
    store.audit("vera", "view_customer", "C00000001")
    store.audit("vera", "view_customer", "C00000002")

    def busy(engine, entries):
        raise WarehouseUnavailable("locked")

    monkeypatch.setattr("search.store.write_audit", busy)
    assert store.flush_audit() == 2
    monkeypatch.undo()
    assert store.flush_audit() == 0
    assert [e["target"] for e in read_audit(store.engine)][::-1][-2:] == ["C00000001", "C00000002"]


def _publish_new_run(url: str, hold_seconds: float, wait: bool = True) -> subprocess.Popen:
    """Another process doing what a publishing run does: one write transaction that adds a run and
    changes a customer, holding the file for hold_seconds."""
    script = textwrap.dedent(
        f"""
        import sys, time, duckdb
        con = duckdb.connect({url.removeprefix("duckdb:///")!r})
        con.execute("begin transaction")
        con.execute("update golden_customers set display_name = 'Renamed Person', name_pinyin = 'renamed person' where customer_id = 'C00000001'")
        con.execute("update customer_source_records set name = 'Renamed Person', name_pinyin = 'renamed person' where customer_id = 'C00000001'")
        con.execute("insert into pipeline_runs (run_id, finished_at, status) values ('run-2', now() + interval 1 day, 'published')")
        print("holding", flush=True)
        time.sleep({hold_seconds})
        con.execute("commit")
        con.close()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if wait:
        assert process.wait(timeout=30) == 0, process.stderr.read()
    return process


def _wait_for(process: subprocess.Popen, line: str) -> None:
    assert process.stdout.readline().strip() == line, process.stderr.read()


def test_a_merged_away_customer_id_leads_to_the_customer_who_holds_its_records(published):
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        tables = {
            n: con.sql(f"select * from {n}").to_arrow_table()
            for n in ("golden_customers", "customer_source_records", "customer_id_history")
        }
    history = tables["customer_id_history"]
    merge = {
        "customer_id": "C09999999",
        "event": "merged",
        "related_customer_id": "C00000003",
        "record_count": 0,
        "run_id": "r2",
        "at": datetime.now(),
    }
    tables["customer_id_history"] = pa.concat_tables([history, pa.Table.from_pylist([merge], schema=history.schema)])
    snapshot = Snapshot.from_tables(("r2", None), tables, frozenset(tables))
    assert [r["customer_id"] for r in snapshot.search("c09999999")] == ["C00000003"]

    store = Store(published.url)
    store.snapshot, store.control = snapshot, read_control(published.url)
    app = create_app(store, secret="s", background_refresh=False)  # used without its lifespan: this snapshot stays
    response = TestClient(app).get("/api/customers/C09999999", headers=bearer(published, "vera"))
    assert response.status_code == 404 and response.json()["detail"]["merged_into"] == "C00000003"
    page = logged_in(app, "vera").get("/customers/C09999999", follow_redirects=False)
    assert page.headers["location"] == "/customers/C00000003?merged_from=C09999999"


def test_the_snapshots_tables_are_mapped_files_that_leave_nothing_behind(published, tmp_path, monkeypatch):
    """Each table is a mapped file, unlinked once mapped: not the process's memory, and nothing
    left in the temporary folder (its rows are personal data)."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f"unify-snapshot-{gone.stdout.strip()}-x.arrow.tmp"  # a killed server's
    left.write_bytes(b"rows")
    (tmp_path / "other-file").write_bytes(b"not ours")
    snapshot = read_snapshot(published.url)
    assert [p.name for p in tmp_path.iterdir()] == ["other-file"]
    mapped = Path("/proc/self/maps").read_text()
    assert mapped.count(f"{tmp_path}/unify-snapshot-") >= 2 and "(deleted)" in mapped
    # in customer order, as the binary search needs, and a customer's records in lineage order
    ids = snapshot.records.table["customer_id"].to_pylist()
    assert list(ids) == sorted(ids) and list(snapshot.customer_ids) == sorted(snapshot.customer_ids)
    rows = snapshot.records.rows(ids[0])
    assert [(r["source_file"], r["source_sheet"], r["source_row"]) for r in rows] == sorted(
        (r["source_file"], r["source_sheet"], r["source_row"]) for r in rows
    )
