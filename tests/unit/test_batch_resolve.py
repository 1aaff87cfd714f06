"""Batch resolution (linkage.resolve), without Dagster or a warehouse: full and incremental runs,
reviewers' decisions, and customer IDs that stay with their customers from run to run."""

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from linkage.identity import format_id
from linkage.labels import Thresholds
from linkage.pairs import PAIR_SCHEMA
from linkage.resolve import PublishedBase, basis, resolve
from sources.schema import CANONICAL_SCHEMA, LINEAGE_COLUMNS

THRESHOLDS = Thresholds(match_threshold=0.9, review_floor=0.5)
TODAY = date(2025, 11, 1)
# records 1+2 and 3+4 are one customer each; 5 and 6 are a pair for review
PAIRS = [(1, 2, 0.99), (3, 4, 0.95), (5, 6, 0.7)]


def _records(ids) -> pa.Table:
    rows = [
        {"record_id": i, "source_system": "tmall", "source_file": "shop/t.csv", "source_sheet": "", "source_row": i}
        for i in ids
    ]
    return pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMA)


def _pairs(edges) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"record_id_l": a, "record_id_r": b, "match_probability": p, "match_weight": None, "kind": "model"}
            for a, b, p in edges
        ],
        schema=PAIR_SCHEMA,
    )


def _customers(crosswalk: pa.Table) -> dict[int, str]:
    """source_row -> customer_id (source_row is the record's number here)."""
    return dict(zip(crosswalk.column("source_row").to_pylist(), crosswalk.column("customer_id").to_pylist()))


def _registry(crosswalk: pa.Table) -> dict:
    keys = zip(*(crosswalk.column(c).to_pylist() for c in LINEAGE_COLUMNS))
    return dict(zip(keys, crosswalk.column("customer_id").to_pylist()))


def _sorted(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda row: tuple(str(v) for v in row.values()))


def _first_run():
    return resolve(_records(range(1, 7)), _pairs(PAIRS), [], {}, None, THRESHOLDS, TODAY)


def _decision(a: int, b: int, decision: str, queue: pa.Table | None = None) -> dict:
    sides = {
        f"{side}_{column}": value
        for side, record in (("left", a), ("right", b))
        for column, value in zip(LINEAGE_COLUMNS, ("shop/t.csv", "", record))
    }
    pair = None
    if queue is not None:  # the queue's pair id of these two records
        rows = [r for r in queue.to_pylist() if {r["left_source_row"], r["right_source_row"]} == {a, b}]
        pair = rows[0]["pair_id"]
    return {"pair_id": pair or f"{a}-{b}", **sides, "decision": decision, "decided_by": "ann", "decided_at": None}


def test_a_full_run_mints_one_id_per_customer_and_queues_the_borderline_pair():
    run = _first_run()
    customers = _customers(run.crosswalk)
    assert run.changed is None
    assert customers[1] == customers[2] and customers[3] == customers[4]
    assert len(set(customers.values())) == 4
    assert sorted(set(customers.values())) == [format_id(n) for n in range(1, 5)]
    assert run.history.column("event").to_pylist() == ["minted"] * 4
    assert [(r["left_source_row"], r["right_source_row"], r["status"]) for r in run.review_queue.to_pylist()] == [
        (5, 6, "pending")
    ]


def test_ids_stay_with_their_customers_and_new_ones_follow_the_highest():
    first = _first_run()
    highest = max(first.crosswalk.column("customer_id").to_pylist())
    again = resolve(
        _records(range(1, 9)),
        _pairs([*PAIRS, (7, 1, 0.97)]),  # 7 joins the customer of 1 and 2; 8 is new
        [],
        _registry(first.crosswalk),
        highest,
        THRESHOLDS,
        TODAY,
    )
    before, after = _customers(first.crosswalk), _customers(again.crosswalk)
    assert {r: after[r] for r in before} == before
    assert after[7] == before[1]
    assert after[8] == format_id(5)
    events = {(h["customer_id"], h["event"]) for h in again.history.to_pylist()}
    assert events == {(before[1], "kept"), (format_id(5), "minted")}


def test_decisions_join_a_reviewed_pair_and_part_a_strong_one():
    first = _first_run()
    decisions = [_decision(5, 6, "same", first.review_queue), _decision(3, 4, "different")]
    run = resolve(
        _records(range(1, 7)),
        _pairs(PAIRS),
        decisions,
        _registry(first.crosswalk),
        max(first.crosswalk.column("customer_id").to_pylist()),
        THRESHOLDS,
        TODAY,
    )
    customers = _customers(run.crosswalk)
    assert customers[5] == customers[6]
    assert customers[3] != customers[4]
    assert [r["status"] for r in run.review_queue.to_pylist()] == ["same"]


def test_an_incremental_run_resolves_only_the_touched_customer_and_equals_a_full_run():
    first = _first_run()
    registry, highest = _registry(first.crosswalk), max(first.crosswalk.column("customer_id").to_pylist())
    canonical, pairs = _records(range(1, 8)), _pairs([*PAIRS, (7, 1, 0.97)])
    asked = []

    def lookup(records: pa.Table) -> dict:
        asked.extend(records.column("source_row").to_pylist())
        return registry

    base = PublishedBase(first.crosswalk, first.review_queue)
    incremental = resolve(canonical, pairs, [], lookup, highest, THRESHOLDS, TODAY, base)
    full = resolve(canonical, pairs, [], registry, highest, THRESHOLDS, TODAY)

    touched = _customers(first.crosswalk)[1]
    assert incremental.changed.to_pylist() == [touched]
    assert sorted(asked) == [1, 2, 7]  # the registry is read for the records resolved again only
    kept = first.crosswalk.filter(pc.not_equal(first.crosswalk.column("customer_id"), touched))
    assert _sorted(
        incremental.crosswalk.filter(pc.not_equal(incremental.crosswalk.column("customer_id"), touched))
    ) == (_sorted(kept))
    assert _sorted(incremental.crosswalk) == _sorted(full.crosswalk)
    assert incremental.review_queue.to_pylist() == full.review_queue.to_pylist()
    assert incremental.history.to_pylist() == full.history.to_pylist()


def test_an_incremental_run_with_nothing_new_changes_no_customer():
    first = _first_run()
    base = PublishedBase(first.crosswalk, first.review_queue)
    registry, highest = _registry(first.crosswalk), max(first.crosswalk.column("customer_id").to_pylist())
    run = resolve(_records(range(1, 7)), _pairs(PAIRS), [], registry, highest, THRESHOLDS, TODAY, base)
    assert run.changed.to_pylist() == []
    assert _sorted(run.crosswalk) == _sorted(first.crosswalk)
    assert run.history.num_rows == 0


def test_a_published_customer_whose_records_are_all_gone_is_retired():
    first = _first_run()
    gone = _customers(first.crosswalk)[6]
    registry, highest = _registry(first.crosswalk), max(first.crosswalk.column("customer_id").to_pylist())
    published = set(first.crosswalk.column("customer_id").to_pylist())
    run = resolve(_records(range(1, 6)), _pairs(PAIRS[:2]), [], registry, highest, THRESHOLDS, TODAY, None, published)
    assert run.history.to_pylist() == [
        {"customer_id": gone, "event": "retired", "related_customer_id": None, "record_count": 0}
    ]


def test_the_basis_names_the_model_the_thresholds_the_rules_and_the_layout():
    assert basis("v1", THRESHOLDS, "abc", "l1") == {
        "model_version": "v1",
        "match_threshold": 0.9,
        "review_floor": 0.5,
        "survivorship": "abc",
        "layout": "l1",
    }
    assert basis("v1", Thresholds(0.8, 0.5), "abc", "l1") != basis("v1", THRESHOLDS, "abc", "l1")
    assert basis("v1", THRESHOLDS, "abc", "l2") != basis("v1", THRESHOLDS, "abc", "l1")
