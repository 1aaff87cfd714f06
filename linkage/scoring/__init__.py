"""Scoring: the one door to the engines that score candidate pairs with the saved model.

`scorer("duckdb")` (linkage.scoring.duckdb) or `scorer("spark")` (linkage.scoring.spark, imported
only when asked for): the same model, the same pairs out (PAIR_SCHEMA).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from common.arrow_sql import rows_where
from common.sets import member, pairs_within
from config.settings import DEFAULTS
from linkage.scoring.duckdb import score_new_pairs, score_pairs


@dataclass(frozen=True)
class Scorer:
    """The engine that scores pairs: the same model and settings on DuckDB or on Spark."""

    all_pairs: Callable[[pa.Table, dict, float], pa.Table]
    new_pairs: Callable[[pa.Table, pa.Table, dict, float], pa.Table]


def scorer(engine: str = DEFAULTS.engine, spark_master: str = DEFAULTS.spark_master) -> Scorer:
    if engine == "duckdb":
        return Scorer(score_pairs, score_new_pairs)
    if engine == "spark":
        from linkage.scoring import spark  # only when asked for: pyspark and a JVM are heavy

        return Scorer(
            lambda records, model, threshold: spark.score_pairs_spark(records, model, threshold, spark_master),
            lambda existing, new, model, threshold: spark.score_new_pairs_spark(
                existing, new, model, threshold, spark_master
            ),
        )
    raise ValueError(f"unknown linkage engine {engine!r} (use duckdb or spark)")


def rescore_with_new(
    previous_pairs: pa.Table,
    scored_records: pa.Table,
    records: pa.Table,
    splink_model: dict,
    threshold: float,
    scoring: Scorer | None = None,
) -> pa.Table:
    """Model pairs after an incremental read: last run's pairs between link records that are
    still here, plus the pairs that involve records the last scoring did not see."""
    seen = member(records.column("record_id"), scored_records.column("record_id"))
    existing, new = rows_where(records, seen), records.filter(pc.invert(seen))
    model_pairs = rows_where(previous_pairs, pc.equal(previous_pairs.column("kind"), "model"))  # the first ones
    if existing.num_rows == scored_records.num_rows:  # every record scored last time is still here: so are its pairs
        kept = model_pairs
    else:
        kept = pairs_within(model_pairs, existing.column("record_id"))
    scoring = scoring or scorer()
    if new.num_rows == 0:
        return kept
    if existing.num_rows == 0:
        return scoring.all_pairs(new, splink_model, threshold)
    return pa.concat_tables([kept, scoring.new_pairs(existing, new, splink_model, threshold)])
