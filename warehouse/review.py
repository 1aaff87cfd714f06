"""The review queue and its decisions, and manual merges and splits: what the terminal, the web
page and the pipeline share.

A decision is state (review_decisions) and is also reflected at once in the published queue, so
a reviewer sees it without waiting for the next run; the next run applies it as a must-link
(same) or cannot-link (different). A merge or a split is kept the same way, as decisions on
records named by lineage key (linkage.review.pair_id), so it too applies from the next run.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, inspect, select, update

from common.clock import utc_now
from linkage.review import pair_id
from sources.schema import LINEAGE_COLUMNS, LineageKey
from warehouse.publish import ensure_state_tables
from warehouse.tables import customer_source_records, match_review_queue, review_decisions

DECISIONS = ("same", "different")

# the fields a reviewer compares between a pair's two records, with their labels (the web page and the terminal)
PAIR_FIELDS = (
    ("name", "姓名 Name"),
    ("name_pinyin", "拼音 Pinyin"),
    ("phone", "电话 Phone"),
    ("phone_display", "电话原文 Phone as written"),
    ("email", "邮箱 Email"),
    ("wechat", "微信 WeChat"),
    ("birth_date", "生日 Birth date"),
    ("province", "省 Province"),
    ("city", "城市 City"),
    ("district", "区 District"),
    ("address", "地址 Address"),
    ("company", "公司 Company"),
    ("source_record_key", "订单/工单 Order/ticket"),
    ("salesperson", "销售 Salesperson"),
    ("event_at", "时间 Seen at"),
)


class UnknownPair(LookupError):
    pass


class CorrectionError(ValueError):
    """A merge or split that cannot be kept, said in one line."""


def list_queue(engine: Engine, status: str | None = "pending", limit: int | None = 100) -> list[dict]:
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
    now = utc_now()
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


def decisions_among(engine: Engine, keys: list[LineageKey]) -> list[dict]:
    """The decisions between two of these records (why a customer is one); none before any was kept."""
    d = review_decisions.c
    wanted = set(keys)
    files = sorted({key[0] for key in wanted})
    with engine.connect() as conn:
        if not files or not inspect(conn).has_table(review_decisions.name):
            return []
        rows = conn.execute(
            select(review_decisions).where(d.left_source_file.in_(files), d.right_source_file.in_(files))
        ).mappings()
        return [
            dict(r)
            for r in rows
            if all(tuple(r[f"{side}_{c}"] for c in LINEAGE_COLUMNS) in wanted for side in ("left", "right"))
        ]


def read_decisions(engine: Engine) -> list[dict]:
    with engine.begin() as conn:
        ensure_state_tables(conn)
        return [dict(r) for r in conn.execute(select(review_decisions)).mappings()]


# --- manual corrections: merge and split ---


def parse_lineage_key(text: str) -> LineageKey:
    """'sales/王芳.xlsx:客户:12' (sheet may be empty: 'shop/x.csv::3')."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        raise CorrectionError(f"not a lineage key FILE:SHEET:ROW: {text!r}")
    return parts[0], parts[1], int(parts[2])


def published_record(engine: Engine, key: LineageKey) -> dict:
    """One record of the published crosswalk by lineage key; {} when it is not there."""
    c = customer_source_records
    with engine.connect() as conn:
        found = conn.execute(select(c).where(*(c.c[name] == value for name, value in zip(LINEAGE_COLUMNS, key))))
        row = found.mappings().first()
    return dict(row) if row else {}


def records_of(engine: Engine, customer_id: str) -> list[LineageKey]:
    """The lineage keys of a published customer's records, in order."""
    c = customer_source_records
    lineage = [c.c[name] for name in LINEAGE_COLUMNS]
    with engine.connect() as conn:
        rows = conn.execute(select(*lineage).where(c.c.customer_id == customer_id).order_by(*lineage)).all()
    if not rows:
        raise CorrectionError(f"no customer {customer_id} in the published crosswalk")
    return [tuple(r) for r in rows]


def store_link(
    engine: Engine, left: LineageKey, right: LineageKey, decision: str, decided_by: str, reason: str | None = None
) -> dict:
    """Keep a decision on two records named by their lineage keys."""
    sides = {
        f"{side}_{name}": value
        for side, key in (("left", left), ("right", right))
        for name, value in zip(LINEAGE_COLUMNS, key)
    }
    return store_decision(engine, pair_id(left, right), sides, decision, decided_by, reason)


def refuse_self_merge(first: str, second: str) -> None:
    if first == second:
        raise CorrectionError(f"cannot merge {first} with itself: name two different customers")


def merge(engine: Engine, first: str, second: str, decided_by: str) -> dict:
    """Two customers are one person: a 'same' decision on one record of each joins them from the next run."""
    refuse_self_merge(first, second)
    left, right = (records_of(engine, customer_id)[0] for customer_id in (first, second))
    return store_link(engine, left, right, "same", decided_by, f"manual merge of {first} and {second}")


def split(engine: Engine, customer_id: str, chosen: list[LineageKey], decided_by: str) -> list[dict]:
    """The chosen records leave the customer from the next run: they stay together, the rest stay
    together, and the two never meet (a 'different' decision between them)."""
    chosen = list(dict.fromkeys(chosen))  # each record once
    if not chosen:
        raise CorrectionError("a split names at least one record to split off")
    records = records_of(engine, customer_id)
    unknown = [key for key in chosen if key not in records]
    if unknown:
        raise CorrectionError(f"record {':'.join(map(str, unknown[0]))} is not part of {customer_id}")
    rest = [key for key in records if key not in chosen]
    if not rest:
        raise CorrectionError("a split must leave at least one record with the customer")
    reason = f"manual split of {customer_id}"
    links = [(a, b, "same") for group in (chosen, rest) for a, b in zip(group, group[1:])]
    links.append((chosen[0], rest[0], "different"))
    return [store_link(engine, a, b, decision, decided_by, reason) for a, b, decision in links]
