"""Scoring on DuckDB: Splink's predict with the saved model, pairs out in PAIR_SCHEMA."""

from __future__ import annotations

import math

import pyarrow as pa

from common.arrow_sql import memory_budget
from linkage.model import duckdb_api, new_linker
from linkage.pairs import PAIR_SCHEMA

# Records one side of a scoring chunk may hold per byte of the memory limit. Splink blocks every
# rule in one statement and its hash joins over ten million records asked for more than 8 GB
# (name blocks grow with the square of the records); 2,000,000 a side at 8 GB ran in it.
BYTES_PER_CHUNK_RECORD = 4096
MIN_CHUNK_RECORDS = 100_000


def score_chunks(records: int, memory_bytes: int | None) -> int:
    """How many chunks a side of Splink's chunked predict takes (chunks x chunks passes, the same
    pairs): one, unless the records outgrow what the memory limit holds in one pass."""
    if memory_bytes is None:
        return 1
    per_chunk = max(MIN_CHUNK_RECORDS, memory_bytes // BYTES_PER_CHUNK_RECORD)
    return max(1, math.ceil(records / per_chunk))


def score_pairs(records: pa.Table, splink_model: dict, threshold: float) -> pa.Table:
    """All candidate pairs at or above threshold, scored by the saved model, in chunks when the
    records outgrow the memory limit (score_chunks)."""
    db_api = duckdb_api()
    linker = new_linker(records, splink_model, db_api)
    chunks = score_chunks(records.num_rows, memory_budget())
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, num_chunks_left=chunks, num_chunks_right=chunks, warning_mode="never"
    )
    return _pairs(predictions)


def score_new_pairs(existing: pa.Table, new: pa.Table, splink_model: dict, threshold: float) -> pa.Table:
    """Pairs that involve new records, scored by the saved model with term frequencies of all
    records: new x (existing and new) in one predict_between, which costs less than
    predict_between and predict_within apart and finds the same pairs (tested). A pair of two new
    records comes both ways round and each new record meets itself: kept once, and not at all."""
    db_api = duckdb_api()
    records = pa.concat_tables([existing, new])
    linker = new_linker(records, splink_model, db_api)
    compute_term_frequencies(linker, splink_model)
    everyone = db_api.register(records, table_name="all_records")
    new_sdf = db_api.register(new, table_name="new_records")
    predictions = linker.inference.predict_between(
        everyone, new_sdf, threshold_match_probability=threshold, warning_mode="never"
    )
    return (
        predictions.as_duckdbpyrelation()
        .query(
            "p",
            f"select {_ORIENTED}, max(match_probability) as match_probability, max(match_weight) as match_weight, 'model' as kind from p where record_id_l <> record_id_r and {_SCORED} group by all",
        )
        .to_arrow_table()
        .cast(PAIR_SCHEMA)
    )


# a pair the model could not score (a probability that is not a number) is no evidence at all;
# regularise keeps every model parameter finite so this should never hold a pair back
_SCORED = "isfinite(match_probability)"
# a pair's record ids, lower first: one orientation whatever order Splink compared them in
_ORIENTED = (
    "least(record_id_l, record_id_r)::bigint as record_id_l, greatest(record_id_l, record_id_r)::bigint as record_id_r"
)


def compute_term_frequencies(linker, splink_model: dict) -> None:
    """Term-frequency tables over the linker's records, for every column the model adjusts by:
    predict_between needs them registered first."""
    columns = {
        lv["tf_adjustment_column"]
        for c in splink_model["comparisons"]
        for lv in c["comparison_levels"]
        if lv.get("tf_adjustment_column")
    }
    for column in sorted(columns):
        linker.table_management.compute_tf_table(column)


def _pairs(predictions) -> pa.Table:
    result = predictions.as_duckdbpyrelation().query(
        "p", f"select {_ORIENTED}, match_probability, match_weight, 'model' as kind from p where {_SCORED}"
    )
    return result.to_arrow_table().cast(PAIR_SCHEMA)
