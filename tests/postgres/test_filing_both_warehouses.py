"""Filings on arrival and the one customer ID sequence, on DuckDB and PostgreSQL: writers at once
never mint the same ID, the same key is filed once, and a run's new IDs move past numbers a filing
took while it ran."""

from __future__ import annotations

import threading

from sqlalchemy import text

from linkage.identity import Assignment, format_id
from warehouse import state
from warehouse.arrivals import Filing, claim_minted, file_arrival
from warehouse.engine import make_engine

WRITERS = 8


def _filing(key: str, customer_id: str | None = None) -> Filing:
    return Filing(
        source_system="webshop",
        source_record_key=key,
        customer_id=customer_id,
        decision="match" if customer_id else "new",
        match_probability=0.1,
        review_customer_id=None,
        record={"name": "Test Person", "source_system": "webshop", "source_record_key": key},
        run_id=None,
        committed_by="test",
    )


def _at_once(action, count: int = WRITERS) -> list:
    """action(i) from `count` threads started together; their results (or exceptions) in order."""
    results, start = [None] * count, threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # reported, not raised in the thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_filings_at_once_mint_distinct_ids(warehouse_url):
    engine = make_engine(warehouse_url)
    state.highest_customer_id(engine)  # the state tables exist before the writers race
    filed = _at_once(lambda i: file_arrival(engine, _filing(f"W-{i}")))
    assert not [f for f in filed if isinstance(f, Exception)], filed
    assert sorted(f.customer_id for f in filed) == [format_id(n) for n in range(1, WRITERS + 1)]
    assert {f.filed for f in filed} == {"minted"}
    assert state.highest_customer_id(engine) == format_id(WRITERS)


def test_the_same_key_filed_at_once_is_filed_once(warehouse_url):
    engine = make_engine(warehouse_url)
    state.highest_customer_id(engine)
    filed = _at_once(lambda i: file_arrival(engine, _filing("W-same")))
    assert not [f for f in filed if isinstance(f, Exception)], filed
    assert {f.customer_id for f in filed} == {format_id(1)}
    assert sorted(f.filed for f in filed) == ["existing"] * (WRITERS - 1) + ["minted"]
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from arriving_records")).scalar() == 1
    assert state.highest_customer_id(engine) == format_id(1)  # no number taken by the others


def test_a_joined_filing_takes_no_number(warehouse_url):
    engine = make_engine(warehouse_url)
    assert file_arrival(engine, _filing("W-1", customer_id="C00000042")).filed == "joined"
    assert state.highest_customer_id(engine) == "C00000042"  # seen, but the sequence did not move past it
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from customer_id_sequence")).scalar() == 0


def test_a_runs_new_ids_move_past_numbers_filings_took_meanwhile(warehouse_url):
    engine = make_engine(warehouse_url)
    highest = state.highest_customer_id(engine)  # what the run read: nothing yet
    run = Assignment.of(
        {1: format_id(1), 2: format_id(1), 3: format_id(2)},
        history=[
            {"customer_id": format_id(1), "event": "minted", "related_customer_id": None, "record_count": 2},
            {"customer_id": format_id(2), "event": "minted", "related_customer_id": None, "record_count": 1},
        ],
    )
    filed = file_arrival(engine, _filing("W-during-the-run"))  # takes C00000001 while the run works
    claimed = claim_minted(engine, run, highest, taken_by="run")
    assert filed.customer_id == format_id(1)
    assert claimed.customer_of_record == {1: format_id(2), 2: format_id(2), 3: format_id(3)}
    assert [h["customer_id"] for h in claimed.history] == [format_id(2), format_id(3)]
    assert state.highest_customer_id(engine) == format_id(3)
    # the next run, with nothing taken meanwhile, keeps the ID it minted
    later = Assignment.of(
        {4: format_id(4)},
        [{"customer_id": format_id(4), "event": "minted", "related_customer_id": None, "record_count": 1}],
    )
    assert claim_minted(engine, later, format_id(3), taken_by="run").customer_of_record == {4: format_id(4)}
