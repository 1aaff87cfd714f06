"""Reviewers teach the model (issue #16): `unify train` with decisions stored uses them as labels (m
from the "same" pairs, thresholds placed on all of them, kept with the model version), the next
run resolves with those thresholds, and what is printed holds figures, never a person's data."""

from __future__ import annotations

import csv
import json
import re

import pytest
from cli_helpers import query, unify

from demo.generate import generate_sources
from linkage.review import pair_id
from warehouse.engine import make_engine
from warehouse.review import store_decision

SAME, DIFFERENT = 30, 10


def _decide_from_truth(tmp, url: str, truth_file) -> None:
    """SAME pairs of one person's records and DIFFERENT pairs of two people's, as a reviewer would."""
    sql = "select source_file, source_sheet, source_row from customer_source_records"
    published = {(f, s or "", r) for f, s, r in query(tmp / "w.duckdb", sql)}
    with open(truth_file, newline="", encoding="utf-8") as handle:
        rows = [((r["source_file"], r["sheet"], int(r["row_number"])), r["person_id"]) for r in csv.DictReader(handle)]
    by_person: dict[str, list] = {}
    for key, person in rows:
        if key in published:
            by_person.setdefault(person, []).append(key)
    groups = sorted(keys for keys in by_person.values() if len(keys) > 1)
    decided = [(g[0], g[1], "same") for g in groups[:SAME]]
    decided += [(a[0], b[0], "different") for a, b in zip(groups[SAME:], groups[SAME + 1 :])][:DIFFERENT]
    engine = make_engine(url)
    for left, right, decision in decided:
        sides = {
            f"{side}_{name}": value
            for side, key in (("left", left), ("right", right))
            for name, value in zip(("source_file", "source_sheet", "source_row"), key)
        }
        store_decision(engine, pair_id(left, right), sides, decision, "tester")
    engine.dispose()


@pytest.fixture(scope="module")
def taught(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review_labels")
    truth = generate_sources(tmp / "sources", customers=200, seed=11)
    url = f"duckdb:///{tmp}/w.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL"):
            mp.delenv(name, raising=False)
        first = unify("run", "--sources", str(tmp / "sources"), "--warehouse", url)
        assert first[0] == 0, first[2]
        _decide_from_truth(tmp, url, truth)
        train = unify("train", "--sources", str(tmp / "sources"), "--warehouse", url)
        assert train[0] == 0, train[2]
        again = unify("run", "--sources", str(tmp / "sources"), "--warehouse", url)
        assert again[0] == 0, again[2]
    return tmp, train, again


def test_unify_train_uses_the_stored_decisions_as_labels(taught):
    tmp, train, _ = taught
    (text,) = query(tmp / "w.duckdb", "select labels from linkage_models order by saved_at desc limit 1")[0]
    used = json.loads(text)
    assert (used["pairs"], used["same"], used["different"]) == (SAME + DIFFERENT, SAME, DIFFERENT)
    assert used["m_from_labels"] == SAME
    placed = used["thresholds"]
    assert placed is not None and 0.5 <= placed["match_threshold"] < 1 and placed["precision"] >= 0.99
    line = [line for line in train[1].splitlines() if line.strip().startswith("labels:")]
    assert line == [
        f"  labels: {SAME + DIFFERENT} decided pairs ({SAME} same, {DIFFERENT} different); m also estimated from {SAME}"
        f" same pairs; match threshold {placed['match_threshold']:.4f}, review floor "
        + (f"{placed['review_floor']:.4f}" if placed["review_floor"] is not None else "as configured")
        + f" (on the labels: precision {placed['precision']:.4f}, recall {placed['recall']:.4f},"
        f" F1 {placed['f1']:.4f})"
    ]


def test_the_next_run_resolves_with_the_thresholds_placed_on_the_labels(taught):
    tmp, _, again = taught
    (text,) = query(tmp / "w.duckdb", "select labels from linkage_models order by saved_at desc limit 1")[0]
    placed = json.loads(text)["thresholds"]
    basis = json.loads((tmp / "data" / "work" / "basis.json").read_text())
    assert basis["match_threshold"] == placed["match_threshold"]
    assert basis["review_floor"] == min(placed["review_floor"] or 0.5, placed["match_threshold"])
    (lowest,) = query(tmp / "w.duckdb", "select coalesce(min(match_probability), 0) from match_review_queue")[0]
    (highest,) = query(tmp / "w.duckdb", "select coalesce(max(match_probability), 0) from match_review_queue")[0]
    assert highest < placed["match_threshold"] and (lowest == 0 or lowest >= basis["review_floor"])


def test_what_train_prints_is_figures_only(taught):
    tmp, train, _ = taught
    printed = train[1] + train[2]
    names = {n for (n,) in query(tmp / "w.duckdb", "select name from customer_source_records where name is not null")}
    phones = {
        p for (p,) in query(tmp / "w.duckdb", "select phone from customer_source_records where phone is not null")
    }
    emails = {
        e for (e,) in query(tmp / "w.duckdb", "select email from customer_source_records where email is not null")
    }
    assert not [v for v in names | phones | emails if len(v) >= 4 and v in printed]
    assert not re.search(r"[\u4e00-\u9fff]", printed)
