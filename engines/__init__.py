"""Where the heavy stages run: the one door to the engines.

`stages("duckdb")` runs them on this machine (DuckDB and numpy, out of core); `stages("spark")`
runs standardisation, scoring, the clusters' connected components and the survivorship SQL on
Spark (engines.spark, imported only when asked for). Both run the same definitions: the same
standardising functions, the same model, the same golden SQL, and give the same customers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from common.arrow_sql import Queries, results
from config.settings import DEFAULTS
from linkage import identity, scoring
from sources import canonical


@dataclass(frozen=True)
class Stages:
    # (staged, first_record_id) -> canonical records in lineage order, numbered from first_record_id
    standardised_chunks: Callable[[pa.Table, int], Iterator[pa.Table]]
    scorer: scoring.Scorer
    components: identity.Components
    queries: Queries


def stages(engine: str = DEFAULTS.engine, spark_master: str = DEFAULTS.spark_master) -> Stages:
    if engine == "duckdb":
        return Stages(canonical.standardised_chunks, scoring.scorer(engine), identity.array_components, results)
    if engine == "spark":
        from engines import spark  # only when asked for: pyspark and a JVM are heavy

        return Stages(
            lambda staged, first_record_id=1: spark.standardised_chunks(staged, first_record_id, spark_master),
            scoring.scorer(engine, spark_master),
            lambda n, left, right: spark.components(n, left, right, spark_master),
            lambda tables, queries: spark.results(tables, queries, spark_master),
        )
    raise ValueError(f"unknown linkage engine {engine!r} (use duckdb or spark)")
