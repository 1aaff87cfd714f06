"""The review queue's order: each decision worth the most (issue #16)."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from sqlalchemy import insert

from linkage.review import BAND_BITS, UNRANKED_SCHEMA, ranked, review_queue
from warehouse.engine import make_engine
from warehouse.review import list_queue
from warehouse.tables import match_review_queue, metadata

THRESHOLD = 0.9


def _weight(p: float) -> float:
    return math.log2(p / (1 - p))


def _probability(weight: float) -> float:
    return 2**weight / (1 + 2**weight)


def _row(i: int, probability: float, status: str = "pending") -> dict:
    return {
        "pair_id": f"pair{i:03d}",
        "left_source_file": "shop/a.csv",
        "left_source_sheet": "",
        "left_source_row": 2 * i,
        "right_source_file": "sales/b.xlsx",
        "right_source_sheet": "客户",
        "right_source_row": 2 * i + 1,
        "left_customer_id": f"C{2 * i}",
        "right_customer_id": f"C{2 * i + 1}",
        "match_probability": probability,
        "match_weight": _weight(probability),
        "status": status,
        "decided_by": None,
        "decided_at": None,
    }


def _queue(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=UNRANKED_SCHEMA)


# three pairs in each of three bands of doubt below the threshold, shuffled
DOUBTS = [0.1, 1.2, 2.3, 0.5, 1.6, 2.7, 0.8, 1.9, 2.95]
PAIRS = [_row(i, _probability(_weight(THRESHOLD) - d)) for i, d in enumerate(DOUBTS)]


def _band(row: dict) -> int:
    return int((_weight(THRESHOLD) - _weight(row["match_probability"])) // BAND_BITS)


def test_the_least_sure_pair_comes_first_and_the_first_decisions_cover_every_band():
    queue = ranked([_queue(PAIRS)], THRESHOLD).to_pylist()
    assert [r["review_rank"] for r in queue] == list(range(1, len(PAIRS) + 1))
    assert queue[0]["pair_id"] == "pair000"  # closest to the threshold: the model knows least about it
    assert [_band(r) for r in queue] == [0, 1, 2, 0, 1, 2, 0, 1, 2]  # round-robin over the bands
    for band in range(3):  # within a band, the least sure first
        doubts = [_weight(THRESHOLD) - r["match_weight"] for r in queue if _band(r) == band]
        assert doubts == sorted(doubts)


def test_decided_pairs_come_after_every_pending_one():
    rows = [_row(0, 0.89, "same"), _row(1, 0.6), _row(2, 0.88, "different"), _row(3, 0.7)]
    queue = ranked([_queue(rows)], THRESHOLD).to_pylist()
    assert [r["status"] for r in queue] == ["pending", "pending", "same", "different"]


def test_queues_ranked_apart_rank_as_one():
    whole = ranked([_queue(PAIRS)], THRESHOLD)
    parts = ranked([ranked([_queue(PAIRS[:4])], THRESHOLD), _queue(PAIRS[4:])], THRESHOLD)
    assert parts.to_pylist() == whole.to_pylist()


def test_the_queue_of_a_run_is_ranked():
    canonical = pa.table(
        {
            "record_id": [1, 2, 3, 4],
            "source_file": ["shop/a.csv"] * 4,
            "source_sheet": [""] * 4,
            "source_row": [1, 2, 3, 4],
        }
    )
    assignment = pa.table({"record_id": [1, 2, 3, 4], "customer_id": ["C1", "C2", "C3", "C4"]})
    pairs = pa.table(
        {
            "record_id_l": [1, 1, 3, 2],
            "record_id_r": [2, 3, 4, 4],
            "match_probability": [0.55, 0.89, 0.97, 0.3],
            "match_weight": [_weight(p) for p in (0.55, 0.89, 0.97, 0.3)],
            "kind": ["model"] * 4,
        }
    )
    queue = review_queue(canonical, assignment, pairs, [], 0.5, THRESHOLD).to_pylist()
    assert [(r["match_probability"], r["review_rank"]) for r in queue] == [(0.89, 1), (0.55, 2)]


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"duckdb:///{tmp_path}/w.duckdb")
    metadata.create_all(engine, tables=[match_review_queue])
    return engine


def test_the_terminal_and_the_web_page_list_the_queue_in_its_order(engine):
    queue = ranked([_queue(PAIRS)], THRESHOLD)
    with engine.begin() as conn:
        conn.execute(insert(match_review_queue), queue.to_pylist())
    listed = list_queue(engine, "pending", limit=4)
    assert [r["pair_id"] for r in listed] == queue.column("pair_id").to_pylist()[:4]


def test_a_queue_published_before_it_was_ranked_is_listed_most_likely_first(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql(f'alter table "{match_review_queue.name}" drop column review_rank')
        conn.execute(insert(match_review_queue), [_row(1, 0.6), _row(2, 0.8)])
    assert [r["pair_id"] for r in list_queue(engine)] == ["pair002", "pair001"]
