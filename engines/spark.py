"""The pipeline's heavy stages on Spark, from the same definitions as the DuckDB path.

- Standardisation: the staged records sorted by lineage on Spark, each partition standardised by
  the very function the DuckDB path runs (`mapInArrow`), numbered from per-partition offsets:
  the same records, in the same order, with the same record ids.
- Scoring: linkage.scoring.spark (the same model, translated to Spark SQL).
- Clusters: Splink's connected components on Spark; the few components a reviewer's
  cannot-link crosses are clustered again on the driver, as on DuckDB (linkage.identity).
- Survivorship: the golden SQL (linkage.survivorship) translated to Spark SQL by sqlglot, its
  results cast to the types DuckDB gives the same SQL.

The work area between steps stays the run's Arrow files: each stage hands its tables to Spark
and takes the results back, so the publish and the checks read what they read on DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from common.arrow_sql import results as duckdb_results
from linkage.scoring.spark import SparkRun, spark_session, sparkable, to_spark
from sources import canonical
from sources.schema import CANONICAL_SCHEMA, LINEAGE_COLUMNS

# ---------------------------------------------------------------------------------------------
# standardisation


def standardised_chunks(staged: pa.Table, first_record_id: int, master: str) -> Iterator[pa.Table]:
    """canonical.standardised_chunks on Spark: canonical records in lineage order, numbered from
    first_record_id, as the DuckDB path numbers them."""
    if staged.num_rows == 0:
        return
    from pyspark.sql import functions as F

    session = spark_session(master)
    # Arrow sorts nulls last, Spark first unless told: the order (and so the numbers) are Arrow's
    lineage = [F.col(c).asc_nulls_last() for c in LINEAGE_COLUMNS]
    ordered = to_spark(session, staged).orderBy(*lineage).persist()
    try:
        counted = ordered.mapInArrow(_count_partition, "partition BIGINT, rows BIGINT").toArrow()
        offsets = _partition_offsets(counted, first_record_id)
        standardise = _Standardise(staged.schema, offsets)
        result = ordered.mapInArrow(standardise, _spark_schema(CANONICAL_SCHEMA)).toArrow()
    finally:
        ordered.unpersist()
    yield from (
        pa.Table.from_batches([batch]).cast(CANONICAL_SCHEMA)
        for batch in result.to_batches(max_chunksize=canonical.CHUNK_ROWS)
    )


def _count_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    from pyspark import TaskContext

    rows = sum(batch.num_rows for batch in batches)
    yield pa.RecordBatch.from_pydict({"partition": [TaskContext.get().partitionId()], "rows": [rows]})


def _partition_offsets(counted: pa.Table, first_record_id: int) -> dict[int, int]:
    """partition -> the record id its first record takes: partitions number on from one another."""
    order = np.argsort(counted.column("partition").to_numpy())
    partitions = counted.column("partition").to_numpy()[order]
    rows = counted.column("rows").to_numpy()[order]
    starts = first_record_id + np.concatenate([[0], np.cumsum(rows)[:-1]])
    return dict(zip(partitions.tolist(), starts.tolist()))


class _Standardise:
    """One partition's records standardised, batch by batch, numbered from its offset (pickled to
    the Python workers: it holds only the staged schema and the offsets)."""

    def __init__(self, staged_schema: pa.Schema, offsets: dict[int, int]):
        self.staged_schema, self.offsets = staged_schema, offsets

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        next_id = self.offsets[TaskContext.get().partitionId()]
        for batch in batches:
            staged = pa.Table.from_batches([batch]).cast(self.staged_schema)
            records = canonical.standardise_sorted(staged, next_id)
            next_id += batch.num_rows
            yield from sparkable(records).to_batches()


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(sparkable(schema.empty_table()).schema)


# ---------------------------------------------------------------------------------------------
# clusters


def components(n: int, left: np.ndarray, right: np.ndarray, master: str) -> np.ndarray:
    """identity.array_components on Spark: Splink's connected components of positions 0..n-1
    joined by the edges left[i]-right[i]; each position's smallest connected position."""
    if not len(left):
        return np.arange(n, dtype=np.int64)
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    with SparkRun(master, iterative=True) as run:
        nodes = run.register(run.session.range(n).withColumnRenamed("id", "node"), "nodes")
        edges = pa.table({"node_l": np.asarray(left, np.int64), "node_r": np.asarray(right, np.int64)})
        edges = run.register(to_spark(run.session, edges), "edges")
        clusters = cluster_pairwise_predictions_at_threshold(
            nodes, edges, run.db_api, "node", "node_l", "node_r", threshold_match_probability=None
        )
        roots = (
            clusters.as_spark_dataframe()
            .selectExpr(
                "CAST(node AS BIGINT) AS node", "CAST(min(node) OVER (PARTITION BY cluster_id) AS BIGINT) AS root"
            )
            .toArrow()
        )
    parent = np.empty(n, dtype=np.int64)
    parent[roots.column("node").to_numpy()] = roots.column("root").to_numpy()
    return parent


# ---------------------------------------------------------------------------------------------
# SQL


def results(tables: Mapping[str, pa.Table], queries: Sequence[str], master: str) -> list[pa.Table]:
    """common.arrow_sql.results on Spark: each DuckDB query translated to Spark SQL and run over
    the tables, its result in the types DuckDB gives it (DuckDB runs the query on no rows)."""
    kinds = [r.schema for r in duckdb_results({name: t.slice(0, 0) for name, t in tables.items()}, queries)]
    with SparkRun(master) as run:
        views = {name: run.register(to_spark(run.session, t), name).physical_name for name, t in tables.items()}
        answers = [run.session.sql(to_spark_query(sql, views)).toArrow() for sql in queries]
    return [_as_duckdb(answer, kind) for answer, kind in zip(answers, kinds)]


def to_spark_query(sql: str, views: Mapping[str, str]) -> str:
    """A DuckDB query as Spark SQL, its tables read from the named views (a run's own names: runs
    on one session do not see each other's tables)."""

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in views and not node.db:
            return exp.to_table(views[node.name]).as_(node.alias_or_name)
        if isinstance(node, exp.GroupConcat) and _distinct_in_own_order(node.this):
            return _sorted_set_join(node)
        return node

    return sqlglot.parse_one(sql, read="duckdb").transform(rename).sql(dialect="spark")


def _distinct_in_own_order(node: exp.Expression) -> bool:
    """string_agg(distinct x, sep order by x): the distinct values in their own ascending order."""
    if not (isinstance(node, exp.Order) and isinstance(node.this, exp.Distinct)):
        return False
    (value,), (order,) = node.this.expressions, node.expressions
    return order.this == value and not order.args.get("desc")


def _sorted_set_join(node: exp.GroupConcat) -> exp.Expression:
    """string_agg(distinct x, sep order by x) as Spark computes it: Spark 4.3's listagg fails on
    DISTINCT ... WITHIN GROUP (a ClassCastException), so the sorted set is joined instead, NULL
    when every value is NULL (as DuckDB's string_agg)."""
    value = node.this.this.expressions[0].sql(dialect="spark")
    separator = (node.args.get("separator") or exp.Literal.string(",")).sql(dialect="spark")
    joined = f"array_join(array_sort(collect_set({value})), {separator})"
    return sqlglot.parse_one(f"CASE WHEN count({value}) = 0 THEN NULL ELSE {joined} END", read="spark")


def _as_duckdb(answer: pa.Table, kind: pa.Schema) -> pa.Table:
    """Spark's answer in DuckDB's types (Spark gives no string views, and int32 for some counts)."""
    columns = [pc.cast(answer.column(i), field.type) for i, field in enumerate(kind)]
    return pa.Table.from_arrays(columns, schema=kind)
