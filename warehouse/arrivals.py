"""Records filed on arrival (POST /api/resolve with commit) and the one customer ID sequence.

A filing is one row of arriving_records, keyed by source_system + source_record_key: filing the
same key again finds the earlier filing and writes nothing (idempotent). A new customer's ID is
taken from customer_id_sequence, the numbers runs take too, so an arrival and a run never mint the
same ID: the sequence row is updated relative to itself (PostgreSQL makes a second writer wait for
the row and re-reads it; DuckDB refuses the second of two conflicting transactions, which is
tried again), and a run takes the numbers it minted before it publishes (claim_minted).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import duckdb
from sqlalchemy import Connection, Engine, and_, func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from common.clock import utc_now
from linkage import identity
from warehouse.publish import ensure_state_tables
from warehouse.tables import (
    arriving_records,
    customer_id_history,
    customer_id_sequence,
    customer_source_records,
    identity_registry,
)

SEQUENCE = "customer_id"
MINTED, JOINED, EXISTING = "minted", "joined", "existing"
CONFLICT_ATTEMPTS = 30
T = TypeVar("T")
ARRIVAL_RUN = "arrival"  # customer_id_history.run_id of an ID minted by a filing on arrival


@dataclass(frozen=True)
class Filing:
    """What to file: the record as sent and the resolve answer it is filed on; customer_id None: mint one."""

    source_system: str
    source_record_key: str
    customer_id: str | None
    decision: str
    match_probability: float
    review_customer_id: str | None
    record: dict
    run_id: str | None
    committed_by: str


@dataclass(frozen=True)
class Filed:
    customer_id: str
    filed: str  # minted, joined, or existing (filed before under this key, or staged by a run)


def file_arrival(engine: Engine, filing: Filing) -> Filed:
    """File the record in one transaction; an earlier filing (or a published record) of the same key wins."""
    return _retrying(lambda: _file(engine, filing))


def _retrying(action: Callable[[], T]) -> T:
    """action, again while another writer's transaction collides with it: the same key filed a
    moment ago (its filing then stands), or DuckDB refusing the second of two writers of one row."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return action()
        except DBAPIError as exc:
            collided = isinstance(exc, IntegrityError) or isinstance(exc.orig, duckdb.TransactionException)
            if not collided or attempt + 1 == CONFLICT_ATTEMPTS:
                raise
        time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # apart, so the writers do not collide again
    raise ValueError("CONFLICT_ATTEMPTS must be at least 1")


def _file(engine: Engine, filing: Filing) -> Filed:
    with engine.begin() as conn:
        ensure_state_tables(conn)
        known = _known_customer(conn, filing.source_system, filing.source_record_key)
        if known is not None:
            return Filed(known, EXISTING)
        customer_id = filing.customer_id or identity.format_id(take_numbers(conn, 1, filing.committed_by))
        if not filing.customer_id:  # an identity event like a run's, of no run
            conn.execute(
                insert(customer_id_history).values(
                    customer_id=customer_id, event="minted", record_count=1, run_id=ARRIVAL_RUN, at=utc_now()
                )
            )
        conn.execute(
            insert(arriving_records).values(
                source_system=filing.source_system,
                source_record_key=filing.source_record_key,
                customer_id=customer_id,
                filed=JOINED if filing.customer_id else MINTED,
                decision=filing.decision,
                match_probability=filing.match_probability,
                review_customer_id=filing.review_customer_id,
                record=json.dumps(filing.record, ensure_ascii=False, sort_keys=True),
                run_id=filing.run_id,
                committed_by=filing.committed_by,
                committed_at=utc_now(),
            )
        )
    return Filed(customer_id, JOINED if filing.customer_id else MINTED)


def _known_customer(conn: Connection, system: str, key: str) -> str | None:
    """The customer this key was filed to on arrival, else the one a published run put it in."""
    a = arriving_records.c
    filed = conn.execute(
        select(a.customer_id).where(and_(a.source_system == system, a.source_record_key == key))
    ).scalar()
    if filed is not None or not inspect(conn).has_table(customer_source_records.name):
        return filed
    c = customer_source_records.c
    return conn.execute(
        select(c.customer_id).where(and_(c.source_system == system, c.source_record_key == key)).limit(1)
    ).scalar()


def take_numbers(conn: Connection, count: int, taken_by: str) -> int:
    """Take `count` customer ID numbers from the sequence in this transaction; the first of them.
    The sequence starts above every ID the registry, the history and the filings hold (a
    warehouse made before it existed)."""
    values = {"name": SEQUENCE, "observed": highest_taken(conn), "count": count, "at": utc_now(), "by": taken_by}
    conn.execute(
        text(
            "insert into customer_id_sequence (name, last_number, updated_at, updated_by)"
            " values (:name, :observed, :at, :by) on conflict do nothing"
        ),
        values,
    )
    # relative to the row itself: a second writer waiting for the row adds to what the first left
    last = conn.execute(
        text(
            "update customer_id_sequence set last_number = greatest(last_number, :observed) + :count,"
            " updated_at = :at, updated_by = :by where name = :name returning last_number"
        ),
        values,
    ).scalar()
    return int(last) - count + 1


def highest_taken(conn: Connection) -> int:
    """The highest customer ID number handed out: by the sequence, or held by the registry, the
    history or the filings (0 for a new warehouse)."""
    ids = [
        conn.execute(select(func.max(table.c.customer_id))).scalar()
        for table in (identity_registry, customer_id_history, arriving_records)
    ]
    s = customer_id_sequence.c
    taken = conn.execute(select(s.last_number).where(s.name == SEQUENCE)).scalar() or 0
    # IDs are fixed-width, so the largest string is the largest number
    return max([taken, *(identity.parse_id_number(i) for i in ids if i)])


def read_filings(engine: Engine) -> list[dict]:
    """Every filing: source_system, source_record_key, customer_id and the record as sent (a dict)."""
    a = arriving_records.c
    with engine.connect() as conn:
        if not inspect(conn).has_table(arriving_records.name):  # read only: nothing is created by asking
            return []
        rows = conn.execute(select(a.source_system, a.source_record_key, a.customer_id, a.record)).all()
    return [
        {"source_system": s, "source_record_key": k, "customer_id": c, "record": json.loads(r)} for s, k, c, r in rows
    ]


def filed_customers(engine: Engine) -> dict[tuple[str, str], str]:
    """(source_system, source_record_key) -> customer_id of every filing: what a run keeps."""
    return {(f["source_system"], f["source_record_key"]): f["customer_id"] for f in read_filings(engine)}


def claim_minted(engine: Engine, assignment: identity.Assignment, highest_read: str | None, taken_by: str):
    """The run's assignment with the IDs it minted taken from the sequence: when filings on arrival
    took numbers since the run read the highest ID, its new IDs move up past them."""
    minted = identity.minted_ids(assignment)
    if not minted:
        return assignment
    first_read = (identity.parse_id_number(highest_read) if highest_read else 0) + 1
    count = max(identity.parse_id_number(i) for i in minted) - first_read + 1

    def take() -> int:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            return take_numbers(conn, count, taken_by)

    return identity.renumbered(assignment, minted, _retrying(take) - first_read)
