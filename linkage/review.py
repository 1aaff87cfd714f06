"""People's decisions in linkage: the review queue of borderline pairs, and decisions as links.

A pair is named by both records' lineage keys, so a decision made today still applies after
files are re-read and this run's record ids have changed.

The queue is ordered so that each decision is worth the most (`review_rank`, 1 first): pending
pairs before decided ones, and among them the pairs the model is least sure about, spread over
kinds of pair. A pair's doubt is how far its match weight lies from the match threshold's (log2
odds: the closer, the less the model knows which side it is on); the pairs fall into bands of
BAND_BITS of doubt, and the order takes them round by round: in each round the least certain pair
left in every band, nearest band first. The first decisions so cover the whole borderline range
instead of one stretch of probabilities. The scored pairs carry no comparison-level (gamma)
vector, so bands of match weight stand in for comparison patterns. Decisions are also labels
that teach the next model (linkage.labels).
"""

from __future__ import annotations

import hashlib
import math

import pyarrow as pa
import pyarrow.compute as pc

from common.arrow_sql import connection
from sources.schema import LINEAGE_COLUMNS, LINEAGE_SCHEMA, LineageKey

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
select * from keyed
"""
# the order described above; a pair's match weight from its probability (Splink's log2 odds)
RANK_SQL = """
with doubt as (
    select *, abs(log2(match_probability / (1 - match_probability)) - $threshold_weight) as doubt from queue
), banded as (
    select *, floor(doubt / $band_bits) as band,
           row_number() over (partition by status <> 'pending', floor(doubt / $band_bits) order by doubt, pair_id) as turn
    from doubt
)
select * exclude (doubt, band, turn),
       row_number() over (order by status <> 'pending', turn, band, pair_id) as review_rank
from banded order by review_rank
"""
BAND_BITS = 1.0  # a band of doubt: one bit of match weight, the odds doubled


def pair_id(a: LineageKey, b: LineageKey) -> str:
    """A pair's id from both lineage keys, order-free, stable across runs."""
    first, second = sorted([tuple(a), tuple(b)])
    text = "\x1f".join(str(part) for part in (*first, *second))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def lineage_index(canonical: pa.Table) -> dict[LineageKey, int]:
    columns = [canonical.column(c).to_pylist() for c in ("source_file", "source_sheet", "source_row", "record_id")]
    return {(f, s, r): rid for f, s, r, rid in zip(*columns)}


def decision_links(decisions: list[dict], canonical: pa.Table) -> tuple[list, list]:
    """(must_link, cannot_link) record-id pairs for the decisions whose records are present."""
    decided = decided_records(decisions)
    # only the records decisions name are indexed: every record's key held 3 GB at ten million
    named = pc.and_(
        pc.is_in(canonical.column("source_file"), decided.column("source_file")),
        pc.is_in(canonical.column("source_row"), decided.column("source_row")),
    )
    index = lineage_index(canonical.filter(named))
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
    """Borderline pairs (low <= p < high, high the match threshold) with both lineage keys and
    customers (assignment: record_id, customer_id), plus their decision if any, ranked (ranked)."""
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
    return ranked([pa.Table.from_pylist(queue, schema=UNRANKED_SCHEMA)], high)


def ranked(queues: list[pa.Table], threshold: float) -> pa.Table:
    """The pairs of these queues (ranked before or not) in one queue, ranked afresh in the order
    the module describes, for this match threshold."""
    queue = pa.concat_tables([q.select(UNRANKED_SCHEMA.names).cast(UNRANKED_SCHEMA) for q in queues])
    top = min(threshold, 1 - 1e-9)
    params = {"threshold_weight": math.log2(top / (1 - top)), "band_bits": BAND_BITS}
    with connection(queue=queue) as con:
        return con.sql(RANK_SQL, params=params).to_arrow_table().cast(QUEUE_SCHEMA)


def _sides(row: dict) -> tuple[LineageKey, LineageKey]:
    return tuple(
        (row[f"{side}_source_file"], row[f"{side}_source_sheet"], row[f"{side}_source_row"])
        for side in ("left", "right")
    )


UNRANKED_SCHEMA = pa.schema(
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
QUEUE_SCHEMA = UNRANKED_SCHEMA.append(pa.field("review_rank", pa.int64()))
