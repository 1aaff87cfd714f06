"""Manual merges and splits (warehouse/review.py) on a real DuckDB warehouse: kept as decisions on
records named by lineage key, which the next run applies as must-links and cannot-links."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlalchemy import insert

from linkage.identity import cluster
from linkage.pairs import PAIR_SCHEMA
from linkage.review import decision_links, pair_id
from warehouse import review
from warehouse.engine import make_engine
from warehouse.tables import customer_source_records, match_review_queue, metadata

# customer -> its records' lineage keys, as the last run published them
PUBLISHED = {
    "C00000001": [("sales/王芳.xlsx", "客户", 3), ("shop/tmall.csv", "", 7), ("service/calls.csv", "", 2)],
    "C00000002": [("shop/tmall.csv", "", 9)],
    "C00000003": [("service/calls.csv", "", 5)],
}
RECORD_IDS = {key: i for i, key in enumerate(k for keys in PUBLISHED.values() for k in keys)}
RECORDS = pa.table(
    {
        **{c: [key[i] for key in RECORD_IDS] for i, c in enumerate(("source_file", "source_sheet", "source_row"))},
        "record_id": list(RECORD_IDS.values()),
    }
)


@pytest.fixture()
def engine(tmp_path):
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    metadata.create_all(engine, tables=[customer_source_records, match_review_queue])
    rows = [
        {"source_file": f, "source_sheet": s, "source_row": r, "customer_id": cid, "source_system": f.split("/")[0]}
        for cid, keys in PUBLISHED.items()
        for f, s, r in keys
    ]
    with engine.begin() as conn:
        conn.execute(insert(customer_source_records), rows)
    yield engine
    engine.dispose()


def _links(engine) -> tuple[list, list]:
    return decision_links(review.read_decisions(engine), RECORDS)


def _everyone_matched() -> pa.Table:
    """The model says every record is the same person: only decisions can keep records apart."""
    ids = sorted(RECORD_IDS.values())
    edges = [{"record_id_l": a, "record_id_r": b, "match_probability": 0.99} for a in ids for b in ids if a < b]
    return pa.Table.from_pylist([{**e, "match_weight": None, "kind": "model"} for e in edges], schema=PAIR_SCHEMA)


def test_parse_lineage_key_takes_the_file_the_sheet_and_the_row_even_with_colons_in_the_file():
    assert review.parse_lineage_key("sales/王芳.xlsx:客户:12") == ("sales/王芳.xlsx", "客户", 12)
    assert review.parse_lineage_key("shop/x.csv::3") == ("shop/x.csv", "", 3)
    assert review.parse_lineage_key("C:/exports/a.csv::3") == ("C:/exports/a.csv", "", 3)
    for bad in ("shop/x.csv", "shop/x.csv::", "shop/x.csv::three", "::-1"):
        with pytest.raises(review.CorrectionError, match="not a lineage key FILE:SHEET:ROW"):
            review.parse_lineage_key(bad)


def test_records_of_lists_a_customers_records_in_order_and_refuses_an_unknown_one(engine):
    assert review.records_of(engine, "C00000001") == sorted(PUBLISHED["C00000001"])
    with pytest.raises(review.CorrectionError, match="no customer C09999999 in the published crosswalk"):
        review.records_of(engine, "C09999999")


def test_published_record_finds_a_record_by_lineage_key(engine):
    assert review.published_record(engine, ("shop/tmall.csv", "", 9))["customer_id"] == "C00000002"
    assert review.published_record(engine, ("shop/tmall.csv", "", 99)) == {}


def test_merge_keeps_a_same_decision_between_one_record_of_each_customer(engine):
    stored = review.merge(engine, "C00000002", "C00000003", "tester")
    (decision,) = review.read_decisions(engine)
    left, right = ("shop/tmall.csv", "", 9), ("service/calls.csv", "", 5)
    assert decision["pair_id"] == stored["pair_id"] == pair_id(left, right)
    assert (decision["decision"], decision["decided_by"]) == ("same", "tester")
    assert decision["reason"] == "manual merge of C00000002 and C00000003"
    assert _links(engine) == ([(RECORD_IDS[left], RECORD_IDS[right])], [])


def test_merge_refuses_the_same_customer_twice_and_an_unknown_one_and_keeps_nothing(engine):
    with pytest.raises(review.CorrectionError, match="cannot merge C00000002 with itself"):
        review.merge(engine, "C00000002", "C00000002", "tester")
    with pytest.raises(review.CorrectionError, match="no customer C00000009"):
        review.merge(engine, "C00000002", "C00000009", "tester")
    assert review.read_decisions(engine) == []


def test_a_split_keeps_the_chosen_records_apart_from_the_rest_even_when_the_model_joins_them_all(engine):
    chosen = [("shop/tmall.csv", "", 7)]
    review.split(engine, "C00000001", chosen, "tester")
    must, cannot = _links(engine)
    assert len(cannot) == 1 and all(d["reason"] == "manual split of C00000001" for d in review.read_decisions(engine))
    clusters = cluster(sorted(RECORD_IDS.values()), _everyone_matched(), 0.9, must, cannot)
    rest = [RECORD_IDS[k] for k in PUBLISHED["C00000001"] if k not in chosen]
    assert clusters[rest[0]] == clusters[rest[1]]  # the rest stay together
    assert clusters[RECORD_IDS[chosen[0]]] != clusters[rest[0]]


def test_a_split_of_two_records_off_keeps_them_together(engine):
    chosen = [("sales/王芳.xlsx", "客户", 3), ("service/calls.csv", "", 2)]
    review.split(engine, "C00000001", [*chosen, chosen[0]], "tester")  # a record named twice counts once
    must, cannot = _links(engine)
    clusters = cluster(sorted(RECORD_IDS.values()), _everyone_matched(), 0.9, must, cannot)
    assert clusters[RECORD_IDS[chosen[0]]] == clusters[RECORD_IDS[chosen[1]]]
    assert clusters[RECORD_IDS[chosen[0]]] != clusters[RECORD_IDS[("shop/tmall.csv", "", 7)]]


@pytest.mark.parametrize(
    "chosen, message",
    [
        ([("shop/tmall.csv", "", 9)], "record shop/tmall.csv::9 is not part of C00000001"),
        (PUBLISHED["C00000001"], "a split must leave at least one record with the customer"),
        ([], "a split names at least one record"),
    ],
)
def test_a_split_that_cannot_be_kept_is_refused_and_keeps_nothing(engine, chosen, message):
    with pytest.raises(review.CorrectionError, match=message):
        review.split(engine, "C00000001", chosen, "tester")
    assert review.read_decisions(engine) == []
