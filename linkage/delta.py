"""The part of the customer base an incremental run must resolve again, and nothing more.

A customer is unaffected when none of its records changed, no new record links to any of them and
no reviewer's decision names one of them: its records, ID, golden row and lineage are exactly
what the last published run computed, so the run keeps them as they are. Everything else (the
records, their customers, and whatever those link to) is resolved again together, which gives the
same customers as resolving all records would: clusters only grow through strong pairs, and each
affected customer's old records come along whole, so an ID is only ever contested by records that
are all in the scope.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from common.arrow_sql import connection
from common.sets import member
from sources.schema import LINEAGE, LINEAGE_COLUMNS


@dataclass(frozen=True)
class Scope:
    records: pa.Array  # record_id of every record to resolve again
    customers: pa.Array  # customer_id (as last published) of every customer to replace


# Every record of this run and of the base, side by side by record id. A record is unchanged when
# the base holds it under the same record id and lineage key. Joined on the id alone and the key
# compared after: hashing the three lineage columns too made the join three times slower at a
# million records.
MATCHED_SQL = f"""
create temporary table matched as
select c.record_id, b.customer_id, b.record_id is not null as in_base,
       coalesce(c.record_id = b.record_id
                and {" and ".join(f"c.{k} is not distinct from b.{k}" for k in LINEAGE_COLUMNS)}, false) as unchanged
from canonical c full join base b on c.record_id = b.record_id
"""


def _ids(values, type_) -> pa.Array:
    return pa.array(sorted(values), type_)


def affected(canonical: pa.Table, base: pa.Table, pairs: pa.Table, threshold: float, decided: pa.Table) -> Scope:
    """The records and previous customers an incremental run must resolve again.

    canonical: this run's records (record_id and lineage); base: the last published crosswalk
    (record_id, lineage, customer_id); pairs: this run's scored pairs; decided: lineage keys of
    the records people's decisions name (they may move wherever they point)."""
    with connection(
        canonical=canonical.select(["record_id", *LINEAGE_COLUMNS]),
        base=base.select(["record_id", *LINEAGE_COLUMNS, "customer_id"]),
        decided=decided.select(list(LINEAGE_COLUMNS)),
    ) as con:
        con.execute(MATCHED_SQL)
        new = con.sql("select record_id from matched where record_id is not null and not unchanged").fetchnumpy()
        gone = con.sql("select distinct customer_id from matched where in_base and not unchanged").fetchnumpy()
        named = con.sql(f"select record_id from canonical semi join decided using ({LINEAGE})").fetchnumpy()
        # the customer each unchanged record had
        previous = con.sql("select record_id, customer_id from matched where unchanged").to_arrow_table()
    strong = pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold)).select(
        ["record_id_l", "record_id_r"]
    )

    records: set[int] = set()
    customers: set[str] = set(gone["customer_id"].tolist())
    frontier = set(new["record_id"].tolist()) | set(named["record_id"].tolist()) | _records_of(previous, customers)
    while frontier:  # grow to a fixed point: links of the scope, and the whole customers they touch
        records |= frontier
        ids = pa.array(list(frontier), pa.int64())
        linked = _linked(strong, ids)
        touched = (
            set(
                pc.unique(
                    previous.filter(
                        member(previous.column("record_id"), pa.array(list(frontier | linked), pa.int64()))
                    ).column("customer_id")
                ).to_pylist()
            )
            - customers
        )
        customers |= touched
        frontier = (linked | _records_of(previous, touched)) - records
    return Scope(records=_ids(records, pa.int64()), customers=_ids(customers, pa.string()))


def _linked(strong: pa.Table, ids: pa.Array) -> set[int]:
    left = strong.filter(member(strong.column("record_id_l"), ids)).column("record_id_r")
    right = strong.filter(member(strong.column("record_id_r"), ids)).column("record_id_l")
    return set(left.to_pylist()) | set(right.to_pylist())


def _records_of(previous: pa.Table, customers: set[str]) -> set[int]:
    if not customers:
        return set()
    rows = previous.filter(member(previous.column("customer_id"), pa.array(list(customers), pa.string())))
    return set(rows.column("record_id").to_pylist())
