"""The review queue and its decisions: what the terminal, the web page and the pipeline share.

A decision is state (review_decisions) and is also reflected at once in the published queue, so
a reviewer sees it without waiting for the next run; the next run applies it as a must-link
(same) or cannot-link (different).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import Engine, insert, select, update

from warehouse.publish import ensure_state_tables
from warehouse.tables import match_review_queue, review_decisions

DECISIONS = ("same", "different")
LineageKey = tuple[str, str, int]


class UnknownPair(LookupError):
    pass


def pair_id(a: LineageKey, b: LineageKey) -> str:
    """A pair's id from both lineage keys, order-free, stable across runs."""
    first, second = sorted([a, b])
    text = "\x1f".join(str(part) for part in (*first, *second))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def list_queue(engine: Engine, status: str | None = "pending", limit: int = 100) -> list[dict]:
    q = match_review_queue
    query = select(q).order_by(q.c.match_probability.desc(), q.c.pair_id).limit(limit)
    if status:
        query = query.where(q.c.status == status)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def get_pair(engine: Engine, pair: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(match_review_queue).where(match_review_queue.c.pair_id == pair)).mappings().first()
    if row is None:
        raise UnknownPair(f"no pair {pair!r} in the review queue")
    return dict(row)


def decide(engine: Engine, pair: str, decision: str, decided_by: str, reason: str | None = None) -> dict:
    """Store a decision (replacing an earlier one for the same pair) and mark the queue row."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    row = get_pair(engine, pair)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    sides = {k: row[k] for k in row if k.startswith(("left_source", "right_source"))}
    record = {"pair_id": pair, **sides, "decision": decision, "decided_by": decided_by, "decided_at": now, "reason": reason}
    ensure_state_tables(engine)
    with engine.begin() as conn:
        conn.execute(review_decisions.delete().where(review_decisions.c.pair_id == pair))
        conn.execute(insert(review_decisions).values(**record))
        conn.execute(
            update(match_review_queue).where(match_review_queue.c.pair_id == pair).values(status=decision, decided_by=decided_by, decided_at=now)
        )
    return record


def read_decisions(engine: Engine) -> list[dict]:
    ensure_state_tables(engine)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(review_decisions)).mappings()]
