"""Which customers an incremental run resolves again: whole customers, grown through strong pairs."""

import pyarrow as pa

from common.arrow_sql import rows_where
from common.sets import pairs_touching, pairs_within
from linkage.delta import affected
from sources.schema import LINEAGE_SCHEMA

THRESHOLD = 0.9


def _records(ids):
    return pa.table(
        {
            "record_id": pa.array(ids, pa.int64()),
            "source_file": [f"f{i}" for i in ids],
            "source_sheet": [""] * len(ids),
            "source_row": pa.array(ids, pa.int64()),
        }
    )


def _base(customer_of_record: dict[int, str]):
    return _records(list(customer_of_record)).append_column(
        "customer_id", pa.array(list(customer_of_record.values()), pa.string())
    )


def _pairs(*edges):
    return pa.table(
        {
            "record_id_l": pa.array([e[0] for e in edges], pa.int64()),
            "record_id_r": pa.array([e[1] for e in edges], pa.int64()),
            "match_probability": pa.array([e[2] for e in edges], pa.float64()),
        }
    )


NOTHING_DECIDED = LINEAGE_SCHEMA.empty_table()
# customers A (1, 2), B (3, 4), C (5)
BASE = _base({1: "A", 2: "A", 3: "B", 4: "B", 5: "C"})
OLD_PAIRS = [(1, 2, 0.99), (3, 4, 0.99)]


def _scope(canonical_ids, pairs, decided=NOTHING_DECIDED, base=BASE):
    scope = affected(_records(canonical_ids), base, _pairs(*pairs), THRESHOLD, decided)
    return set(scope.records.to_pylist()), set(scope.customers.to_pylist())


def test_nothing_new_touches_nothing():
    assert _scope([1, 2, 3, 4, 5], OLD_PAIRS) == (set(), set())


def test_a_new_record_brings_the_whole_customer_it_links_to():
    assert _scope([1, 2, 3, 4, 5, 6], [*OLD_PAIRS, (6, 1, 0.95)]) == ({1, 2, 6}, {"A"})


def test_a_weak_link_brings_nothing_but_the_new_record():
    assert _scope([1, 2, 3, 4, 5, 6], [*OLD_PAIRS, (6, 1, 0.5)]) == ({6}, set())


def test_a_new_record_bridging_two_customers_brings_both():
    assert _scope([1, 2, 3, 4, 5, 6], [*OLD_PAIRS, (6, 2, 0.95), (6, 3, 0.97)]) == ({1, 2, 3, 4, 6}, {"A", "B"})


def test_a_gone_record_brings_its_customer():
    assert _scope([1, 3, 4, 5], [(3, 4, 0.99)]) == ({1}, {"A"})  # record 2 gone, and its pairs with it


def test_a_re_read_record_is_new_under_its_new_record_id():
    canonical = _records([1, 2, 3, 4, 5])
    canonical = canonical.set_column(0, "record_id", pa.array([1, 2, 3, 4, 50], pa.int64()))  # record 5 re-read as 50
    scope = affected(canonical, BASE, _pairs(*OLD_PAIRS), THRESHOLD, NOTHING_DECIDED)
    assert (set(scope.records.to_pylist()), set(scope.customers.to_pylist())) == ({50}, {"C"})


def test_a_record_id_given_to_another_row_is_new_and_its_old_customer_affected():
    canonical = _records([1, 2, 3, 4, 5])
    # record id 5 now names another row
    canonical = canonical.set_column(1, "source_file", pa.array(["f1", "f2", "f3", "f4", "other"]))
    scope = affected(canonical, BASE, _pairs(*OLD_PAIRS), THRESHOLD, NOTHING_DECIDED)
    assert (set(scope.records.to_pylist()), set(scope.customers.to_pylist())) == ({5}, {"C"})


def _without_sheet(table):
    return table.set_column(2, "source_sheet", pa.nulls(table.num_rows, pa.string()))


def test_a_lineage_part_left_empty_still_names_the_same_row():
    canonical, base = _without_sheet(_records([1, 2, 3, 4, 5])), _without_sheet(BASE)
    scope = affected(canonical, base, _pairs(*OLD_PAIRS), THRESHOLD, NOTHING_DECIDED)
    assert (len(scope.records), len(scope.customers)) == (0, 0)


def test_a_decision_brings_the_customers_of_the_records_it_names():
    decided = pa.Table.from_pylist([{"source_file": "f3", "source_sheet": "", "source_row": 3}], schema=LINEAGE_SCHEMA)
    assert _scope([1, 2, 3, 4, 5], OLD_PAIRS, decided) == ({3, 4}, {"B"})


def test_pairs_within_and_touching():
    pairs = _pairs((1, 2, 0.99), (2, 3, 0.6), (4, 5, 0.99))
    scope = pa.array([1, 2], pa.int64())
    assert pairs_within(pairs, scope).num_rows == 1
    assert pairs_touching(pairs, scope).num_rows == 2


def test_rows_where_keeps_the_table_itself_when_every_row_stays():
    table = pa.table({"record_id": [1, 2, 3]})
    assert rows_where(table, pa.array([True, True, True])) is table  # no copy of a table kept whole
    assert rows_where(table, pa.array([True, False, True])).column("record_id").to_pylist() == [1, 3]
    assert rows_where(table, pa.array([True, None, True])).num_rows == 2  # a null drops its row, as in filter


def test_rows_where_slices_when_the_rows_kept_are_the_first_ones():
    """An incremental run's old records come before the new ones appended after them: the old
    ones are a slice of the same buffers, not a copy; any other mask filters as Arrow does."""
    table = pa.table({"record_id": pa.array(range(6), pa.int64())})
    first = rows_where(table, pa.array([True, True, True, False, False, False]))
    assert first.column("record_id").to_pylist() == [0, 1, 2]
    assert (
        first.column("record_id").chunk(0).buffers()[1].address
        == table.column("record_id").chunk(0).buffers()[1].address
    )
    assert rows_where(table, pa.array([False, True, True, False, False, False])).column("record_id").to_pylist() == [
        1,
        2,
    ]
    assert rows_where(table, pa.array([True, False, True, False, False, False])).column("record_id").to_pylist() == [
        0,
        2,
    ]
    assert rows_where(table, pa.array([True, True, None, False, False, False])).column("record_id").to_pylist() == [
        0,
        1,
    ]
    assert rows_where(table, pa.array([False] * 6)).num_rows == 0
