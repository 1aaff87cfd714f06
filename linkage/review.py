"""People's decisions in linkage: the review queue of borderline pairs, and decisions as links.

A pair is named by both records' lineage keys, so a decision made today still applies after
files are re-read and this run's record ids have changed.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from sources.arrow_sql import connection
from sources.schema import LINEAGE_COLUMNS, LINEAGE_SCHEMA

LineageKey = tuple[str, str, int]

QUEUE_SQL = """
with band as (
    select record_id_l, record_id_r, match_probability, match_weight from pairs
    where kind = 'model' and match_probability >= $low and match_probability < $high
), keyed as (
    select l.source_file as left_source_file, l.source_sheet as left_source_sheet, l.source_row as left_source_row,
           r.source_file as right_source_file, r.source_sheet as right_source_sheet, r.source_row as right_source_row,
           al.customer_id as left_customer_id, ar.customer_id as right_customer_id,
           b.match_probability, b.match_weight
    from band b
    join canonical l on l.record_id = b.record_id_l
    join canonical r on r.record_id = b.record_id_r
    join assignment al on al.record_id = b.record_id_l
    join assignment ar on ar.record_id = b.record_id_r
)
select * from keyed order by match_probability desc
"""


def pair_id(a: LineageKey, b: LineageKey) -> str:
    """A pair's id from both lineage keys, order-free, stable across runs."""
    first, second = sorted([tuple(a), tuple(b)])
    text = "\x1f".join(str(part) for part in (*first, *second))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def lineage_index(canonical: pa.Table) -> dict[LineageKey, int]:
    columns = [canonical.column(c).to_pylist() for c in ("source_file", "source_sheet", "source_row", "record_id")]
    return {(f, s, r): rid for f, s, r, rid in zip(*columns)}


def decision_links(decisions: list[dict], index: dict[LineageKey, int]) -> tuple[list, list]:
    """(must_link, cannot_link) record-id pairs for the decisions whose records are present."""
    must, cannot = [], []
    for d in decisions:
        left = index.get((d["left_source_file"], d["left_source_sheet"], d["left_source_row"]))
        right = index.get((d["right_source_file"], d["right_source_sheet"], d["right_source_row"]))
        if left is not None and right is not None:
            (must if d["decision"] == "same" else cannot).append((left, right))
    return must, cannot


def decided_records(decisions: list[dict]) -> pa.Table:
    """The lineage keys of every record a decision names."""
    rows = [{c: d[f"{side}_{c}"] for c in LINEAGE_COLUMNS} for d in decisions for side in ("left", "right")]
    return pa.Table.from_pylist(rows, schema=LINEAGE_SCHEMA)


def review_queue(
    canonical: pa.Table, assignment: pa.Table, pairs: pa.Table, decisions: list[dict], low: float, high: float
) -> pa.Table:
    """Borderline pairs (low <= p < high) with both lineage keys and customers (assignment:
    record_id, customer_id), plus their decision if any."""
    con = connection(canonical=canonical.select(["record_id", *LINEAGE_COLUMNS]), pairs=pairs, assignment=assignment)
    rows = con.execute(QUEUE_SQL, {"low": low, "high": high}).fetchall()
    columns = [d[0] for d in con.description]
    by_pair = {d["pair_id"]: d for d in decisions}
    queue = []
    for values in rows:
        row = dict(zip(columns, values))
        row["pair_id"] = pair_id(*_sides(row))
        decided = by_pair.get(row["pair_id"])
        row["status"] = decided["decision"] if decided else "pending"
        row["decided_by"] = decided["decided_by"] if decided else None
        row["decided_at"] = decided["decided_at"] if decided else None
        queue.append(row)
    return pa.Table.from_pylist(queue, schema=QUEUE_SCHEMA)


def _sides(row: dict) -> tuple[LineageKey, LineageKey]:
    return tuple(
        (row[f"{side}_source_file"], row[f"{side}_source_sheet"], row[f"{side}_source_row"])
        for side in ("left", "right")
    )


QUEUE_SCHEMA = pa.schema(
    [
        ("pair_id", pa.string()),
        *[
            (f"{side}_{name}", t)
            for side in ("left", "right")
            for name, t in (("source_file", pa.string()), ("source_sheet", pa.string()), ("source_row", pa.int64()))
        ],
        ("left_customer_id", pa.string()),
        ("right_customer_id", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("status", pa.string()),
        ("decided_by", pa.string()),
        ("decided_at", pa.timestamp("us")),
    ]
)
