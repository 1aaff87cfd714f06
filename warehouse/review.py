"""The review queue and its decisions: what the terminal, the web page and the pipeline share.

A decision is state (review_decisions) and is also reflected at once in the published queue, so
a reviewer sees it without waiting for the next run; the next run applies it as a must-link
(same) or cannot-link (different).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, inspect, select, update

from warehouse.publish import ensure_state_tables
from warehouse.tables import match_review_queue, review_decisions

DECISIONS = ("same", "different")


class UnknownPair(LookupError):
    pass


def list_queue(engine: Engine, status: str | None = "pending", limit: int = 100) -> list[dict]:
    """The queue's pairs in the order to review them (review_rank: each decision worth the most);
    a queue published before it was ranked, most likely first."""
    q = match_review_queue
    with engine.connect() as conn:
        columns = _queue_columns(conn)
        ranked = "review_rank" in {c.name for c in columns}
        order = (q.c.review_rank,) if ranked else (q.c.match_probability.desc(),)
        query = select(*columns).order_by(*order, q.c.pair_id).limit(limit)
        if status:
            query = query.where(q.c.status == status)
        return [dict(r) for r in conn.execute(query).mappings()]


def _queue_columns(conn) -> list:
    """The queue's columns this warehouse has published (one published by an earlier version lacks newer ones)."""
    present = set(conn.exec_driver_sql(f'select * from "{match_review_queue.name}" limit 0').keys())
    return [c for c in match_review_queue.columns if c.name in present]


def get_pair(engine: Engine, pair: str) -> dict:
    with engine.connect() as conn:
        query = select(*_queue_columns(conn)).where(match_review_queue.c.pair_id == pair)
        row = conn.execute(query).mappings().first()
    if row is None:
        raise UnknownPair(f"no pair {pair!r} in the review queue")
    return dict(row)


def decide(engine: Engine, pair: str, decision: str, decided_by: str, reason: str | None = None) -> dict:
    """Decide a pair of the review queue (replacing an earlier decision) and mark its queue row."""
    row = get_pair(engine, pair)
    sides = {k: row[k] for k in row if k.startswith(("left_source", "right_source"))}
    return store_decision(engine, pair, sides, decision, decided_by, reason)


def store_decision(
    engine: Engine, pair: str, sides: dict, decision: str, decided_by: str, reason: str | None = None
) -> dict:
    """Keep a decision on two records (sides: left_/right_ source_file, source_sheet, source_row)."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    now = datetime.now(UTC).replace(tzinfo=None)
    record = {
        "pair_id": pair,
        **sides,
        "decision": decision,
        "decided_by": decided_by,
        "decided_at": now,
        "reason": reason,
    }
    with engine.begin() as conn:
        ensure_state_tables(conn)
        conn.execute(review_decisions.delete().where(review_decisions.c.pair_id == pair))
        conn.execute(insert(review_decisions).values(**record))
        if inspect(conn).has_table(match_review_queue.name):
            conn.execute(
                update(match_review_queue)
                .where(match_review_queue.c.pair_id == pair)
                .values(status=decision, decided_by=decided_by, decided_at=now)
            )
    return record


def read_decisions(engine: Engine) -> list[dict]:
    with engine.begin() as conn:
        ensure_state_tables(conn)
        return [dict(r) for r in conn.execute(select(review_decisions)).mappings()]
