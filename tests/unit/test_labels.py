"""Reviewers teach the model (issue #16): decided pairs are labels for m and the thresholds."""

from __future__ import annotations

import csv
import itertools
import math

import pyarrow as pa
import pytest

from linkage import labels
from linkage.features import link_records
from linkage.model import train_model
from linkage.profile import data_profile
from linkage.scoring.duckdb import score_pairs
from sources.canonical import standardise
from sources.ingest import ingest

# --- labelled pairs: decisions whose two records are both present ---


def _canonical(*keys: tuple[str, str, int]) -> pa.Table:
    return pa.table(
        {
            "record_id": list(range(1, len(keys) + 1)),
            "source_file": [k[0] for k in keys],
            "source_sheet": [k[1] for k in keys],
            "source_row": [k[2] for k in keys],
        }
    )


def _decision(left: tuple, right: tuple, decision: str) -> dict:
    sides = {f"{side}_{name}": value for side, key in (("left", left), ("right", right)) for name, value in zip(
        ("source_file", "source_sheet", "source_row"), key
    )}  # fmt: skip
    return {**sides, "decision": decision}


A, B, C, GONE = ("shop/a.csv", "", 1), ("sales/b.xlsx", "客户", 2), ("service/c.csv", "", 3), ("shop/old.csv", "", 9)


def test_a_decision_is_a_label_only_while_both_its_records_are_present():
    canonical = _canonical(A, B, C)
    decisions = [_decision(B, A, "same"), _decision(A, C, "different"), _decision(A, GONE, "same")]
    found = labels.labelled_pairs(decisions, canonical).to_pylist()
    assert found == [
        {"record_id_l": 1, "record_id_r": 2, "same": True},  # lower record id first, whichever side it was on
        {"record_id_l": 1, "record_id_r": 3, "same": False},
    ]
    assert labels.label_counts(labels.labelled_pairs(decisions, canonical)) == {"pairs": 2, "same": 1, "different": 1}


def test_labels_teach_from_twenty_pairs_with_both_kinds_among_them():
    assert labels.enough_labels({"pairs": labels.MIN_LABELS, "same": labels.MIN_LABELS - 1, "different": 1})
    assert not labels.enough_labels({"pairs": labels.MIN_LABELS - 1, "same": labels.MIN_LABELS - 2, "different": 1})
    assert not labels.enough_labels({"pairs": 100, "same": 100, "different": 0})  # nothing to place a threshold by
    assert not labels.enough_labels({"pairs": 100, "same": 0, "different": 100})


# --- thresholds from scored labelled pairs ---


def test_the_threshold_maximises_f1_on_the_labels_while_precision_stays_at_least_099():
    scored = [(0.97, True), (0.9, True), (0.8, True), (0.7, True), (0.65, False), (0.6, False), (0.55, True)]
    placed = labels.choose_thresholds(scored)
    # 0.55 would take every same pair but two different ones (precision 5/7)
    assert placed["match_threshold"] == 0.7
    assert (placed["precision"], placed["recall"], placed["f1"]) == (1.0, 0.8, round(8 / 9, 6))


def test_a_threshold_takes_every_pair_of_its_probability():
    placed = labels.choose_thresholds([(0.95, True), (0.8, True), (0.8, False), (0.7, True)])
    assert placed["match_threshold"] == 0.95


def test_no_threshold_is_placed_when_none_keeps_the_precision():
    assert labels.choose_thresholds([(0.99, False), (0.9, True), (0.8, True)]) is None
    assert labels.choose_thresholds([]) is None


def test_no_threshold_is_placed_below_the_lowest_probability_a_pair_is_scored_at():
    assert labels.choose_thresholds([(0.4, True), (0.1, False)]) is None
    placed = labels.choose_thresholds([(0.9, True), (0.45, True), (0.1, False)])
    assert placed["match_threshold"] == 0.9 and placed["match_threshold"] >= labels.LOWEST_THRESHOLD


def test_the_review_floor_reaches_down_while_reviews_still_find_the_same_person():
    scored = [(0.95, True), (0.9, True), (0.85, False), (0.8, True), (0.7, True), (0.6, False), (0.55, False)]
    placed = labels.choose_thresholds(scored)
    assert placed["match_threshold"] == 0.9
    # below 0.9: 0.85 no, 0.8 yes, 0.7 yes -> 2 of 3; with 0.6: 2 of 4, still half; with 0.55: 2 of 5
    assert placed["review_floor"] == 0.6
    assert labels.choose_thresholds([(0.9, True), (0.6, False)])["review_floor"] is None


def test_a_run_uses_the_thresholds_placed_with_its_model_else_the_configured_ones():
    assert labels.run_thresholds(None, 0.9, 0.5) == labels.Thresholds(0.9, 0.5)
    assert labels.run_thresholds({"pairs": 30, "thresholds": None}, 0.9, 0.5) == labels.Thresholds(0.9, 0.5)
    taught = {"thresholds": {"match_threshold": 0.62, "review_floor": 0.55}}
    assert labels.run_thresholds(taught, 0.9, 0.5) == labels.Thresholds(0.62, 0.55)
    no_floor = {"thresholds": {"match_threshold": 0.52, "review_floor": None}}
    assert labels.run_thresholds(no_floor, 0.9, 0.6) == labels.Thresholds(0.52, 0.52)  # never above the threshold


# --- training with labels on real records ---


@pytest.fixture(scope="module")
def sample(sample_sources, sample_truth):
    canonical = standardise(ingest(sample_sources).staged)
    with open(sample_truth, newline="", encoding="utf-8") as handle:
        person = {
            (r["source_file"], r["sheet"] or "", int(r["row_number"])): r["person_id"] for r in csv.DictReader(handle)
        }
    keys = list(zip(*(canonical.column(c).to_pylist() for c in ("source_file", "source_sheet", "source_row"))))
    by_person: dict[str, list] = {}
    for key in keys:
        by_person.setdefault(person[(key[0], key[1] or "", key[2])], []).append(key)
    groups = sorted(g for g in by_person.values() if len(g) > 1)
    same = [_decision(*g[:2], "same") for g in groups[:30]]
    different = [_decision(a[0], b[0], "different") for a, b in itertools.islice(zip(groups, groups[1:]), 10)]
    links = link_records(canonical)
    return canonical, links, data_profile(links)["fields"], same + different


@pytest.fixture(scope="module")
def untaught(sample):
    _, links, fields, _ = sample
    return train_model(links, fields)


@pytest.fixture(scope="module")
def taught(sample):
    canonical, links, fields, decisions = sample
    found = labels.labelled_pairs(decisions, canonical)
    return found, *labels.train(links, fields, found)


def _probabilities(splink_model: dict, kinds=("m_probability", "u_probability")) -> list:
    values = [splink_model["probability_two_random_records_match"]]
    for comparison in splink_model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                values += [level[kind] for kind in kinds]
    return values


def test_m_from_labelled_pairs_leaves_a_finite_model_the_labels_changed(taught, untaught):
    found, splink_model, figures = taught
    assert figures["pairs"] == found.num_rows == 40 and (figures["same"], figures["different"]) == (30, 10)
    assert figures["m_from_labels"] == 30
    assert all(isinstance(p, float) and math.isfinite(p) and p > 0 for p in _probabilities(splink_model))
    assert all(p <= 1 for p in _probabilities(splink_model, kinds=("m_probability",)))
    assert _probabilities(splink_model) != _probabilities(untaught)


def test_thresholds_are_placed_on_the_labelled_pairs_as_the_model_scores_them(sample, taught):
    _, links, _, _ = sample
    found, splink_model, figures = taught
    scored = labels.score_labels(links, splink_model, found)
    assert len(scored) == found.num_rows and all(math.isfinite(p) and 0 <= p <= 1 for p, _ in scored)
    assert figures["thresholds"] == labels.choose_thresholds(scored)
    # the very pairs a full scoring finds get the very probability it gives them
    predicted = score_pairs(links, splink_model, 0.0).to_pylist()
    full = {(p["record_id_l"], p["record_id_r"]): p["match_probability"] for p in predicted}
    pairs = zip(found.column("record_id_l").to_pylist(), found.column("record_id_r").to_pylist())
    common = [(pair, p) for pair, (p, _) in zip(pairs, scored) if pair in full]
    assert common and all(math.isclose(full[pair], p, rel_tol=1e-9, abs_tol=1e-12) for pair, p in common)


def test_too_few_labels_train_as_without_them(sample, untaught):
    canonical, links, fields, decisions = sample
    few = labels.labelled_pairs(decisions[: labels.MIN_LABELS - 1], canonical)
    splink_model, figures = labels.train(links, fields, few)
    assert figures == {"pairs": labels.MIN_LABELS - 1, "same": labels.MIN_LABELS - 1, "different": 0,
                       "m_from_labels": 0, "thresholds": None}  # fmt: skip
    # the same training; DuckDB's threaded sums may differ in the last bit from run to run
    assert _probabilities(splink_model) == pytest.approx(_probabilities(untaught), rel=1e-12)


def test_scoring_in_chunks_finds_the_same_pairs_with_the_same_probabilities(sample, untaught, monkeypatch):
    """Records that outgrow the memory limit are scored by Splink's chunked predict (chunks x
    chunks passes): the sample in 3 x 3 chunks gives the pairs of one pass."""
    from linkage.scoring import duckdb as scoring

    _, links, _, _ = sample
    in_order = [("record_id_l", "ascending"), ("record_id_r", "ascending")]
    whole = scoring.score_pairs(links, untaught, 0.01).sort_by(in_order)
    monkeypatch.setattr(scoring, "memory_budget", lambda: 4096 * 400)  # 400 records a chunk side
    monkeypatch.setattr(scoring, "MIN_CHUNK_RECORDS", 1)
    assert scoring.score_chunks(links.num_rows, scoring.memory_budget()) == 3
    chunked = scoring.score_pairs(links, untaught, 0.01).sort_by(in_order)
    assert chunked.num_rows == whole.num_rows > 1000
    assert chunked.select(["record_id_l", "record_id_r"]).equals(whole.select(["record_id_l", "record_id_r"]))
    differences = [abs(a - b) for a, b in zip(*(t.column("match_probability").to_pylist() for t in (chunked, whole)))]
    assert max(differences) < 1e-9


def test_one_chunk_unless_the_records_outgrow_the_memory_limit():
    from linkage.scoring.duckdb import score_chunks

    assert score_chunks(10_000_000, None) == 1
    assert score_chunks(1_000_000, 8 * 2**30) == 1
    assert score_chunks(10_207_104, 8 * 2**30) == 5
    assert score_chunks(10_207_104, 2 * 2**30) == 20
