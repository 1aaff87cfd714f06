"""Scoring an incremental read's new records: one predict_between of the new records against all
of them finds exactly the pairs, with exactly the probabilities, of Splink's predict_between
(new x existing) and predict_within (new x new) apart."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from splink import DuckDBAPI

from linkage.features import link_records
from linkage.model import new_linker, train_model
from linkage.pairs import PAIR_SCHEMA
from linkage.scoring import rescore_with_new
from linkage.scoring.duckdb import compute_term_frequencies, score_new_pairs, score_pairs
from sources.canonical import standardise
from sources.ingest import ingest

THRESHOLD = 0.5


@pytest.fixture(scope="module")
def split_records(sample_sources):
    records = link_records(standardise(ingest(sample_sources).staged))
    is_new = pc.equal(pc.bit_wise_and(records["record_id"], 7), 0)  # an eighth, across every source
    return records.filter(pc.invert(is_new)), records.filter(is_new), train_model(records)


def _two_calls(existing: pa.Table, new: pa.Table, model: dict) -> set[tuple]:
    db_api = DuckDBAPI()
    linker = new_linker(pa.concat_tables([existing, new]), model, db_api)
    compute_term_frequencies(linker, model)
    existing_sdf, new_sdf = (
        db_api.register(existing, table_name="existing_records"),
        db_api.register(new, table_name="new_records"),
    )
    found = set()
    for predictions in (
        linker.inference.predict_between(
            existing_sdf, new_sdf, threshold_match_probability=THRESHOLD, warning_mode="never"
        ),
        linker.inference.predict_within(new_sdf, threshold_match_probability=THRESHOLD, warning_mode="never"),
    ):
        for row in predictions.as_duckdbpyrelation().select("record_id_l, record_id_r, match_probability").fetchall():
            found.add((min(row[0], row[1]), max(row[0], row[1]), round(row[2], 12)))
    return found


def test_one_call_finds_the_pairs_and_scores_of_between_and_within(split_records):
    existing, new, model = split_records
    pairs = score_new_pairs(existing, new, model, THRESHOLD)
    found = list(
        zip(
            pairs["record_id_l"].to_pylist(),
            pairs["record_id_r"].to_pylist(),
            (round(p, 12) for p in pairs["match_probability"].to_pylist()),
        )
    )
    assert len(found) == len({(a, b) for a, b, _ in found}) > 0  # each pair once
    assert all(a < b for a, b, _ in found)  # one orientation, never a record with itself
    new_ids = set(new["record_id"].to_pylist())
    assert any(a in new_ids and b in new_ids for a, b, _ in found)  # new x new pairs are among them
    assert set(found) == _two_calls(existing, new, model)


def _pair_keys(pairs: pa.Table) -> set[tuple[int, int]]:
    return set(zip(pairs["record_id_l"].to_pylist(), pairs["record_id_r"].to_pylist()))


@pytest.fixture(scope="module")
def last_scoring(split_records):
    """The pairs a previous run left (its model pairs of the existing records, then a pair by
    definition), its model pairs alone, and the records it scored."""
    existing, _, model = split_records
    model_pairs = score_pairs(existing, model, THRESHOLD)
    ids = existing["record_id"].to_pylist()
    by_definition = pa.Table.from_pylist(
        [{"record_id_l": ids[0], "record_id_r": ids[1], "match_probability": 1.0, "kind": "same order"}],
        schema=PAIR_SCHEMA,
    )
    return pa.concat_tables([model_pairs, by_definition]), model_pairs, existing.select(["record_id"])


def test_rescoring_keeps_every_model_pair_and_adds_the_new_records_pairs(split_records, last_scoring):
    existing, new, model = split_records
    previous, model_pairs, scored = last_scoring
    pairs = rescore_with_new(previous, scored, pa.concat_tables([existing, new]), model, THRESHOLD)
    assert set(pairs["kind"].to_pylist()) == {"model"}  # the pairs by definition are found again by the run
    assert _pair_keys(pairs) == _pair_keys(model_pairs) | _pair_keys(score_new_pairs(existing, new, model, THRESHOLD))


def test_rescoring_drops_the_pairs_of_a_record_gone(split_records, last_scoring):
    existing, new, model = split_records
    previous, model_pairs, scored = last_scoring
    gone = model_pairs["record_id_l"][0].as_py()  # a record of a model pair
    still_here = existing.filter(pc.not_equal(existing["record_id"], gone))
    pairs = rescore_with_new(previous, scored, pa.concat_tables([still_here, new]), model, THRESHOLD)
    assert gone not in {i for pair in _pair_keys(pairs) for i in pair}
    kept = {p for p in _pair_keys(model_pairs) if gone not in p}
    assert kept <= _pair_keys(pairs)
