"""Executors in processes of their own, as on a cluster: Spark's local-cluster master starts two
executor JVMs on this machine, and the session ships them the project's archive
(linkage.scoring.spark.project_archive). They standardise as the DuckDB path does."""

from __future__ import annotations

import sys

import pyarrow as pa
from spark_support import SPARK_MASTER, requires_spark

from engines.spark import standardised_chunks
from linkage.scoring.spark import spark_session
from sources.canonical import standardise
from sources.ingest import ingest
from sources.schema import CANONICAL_SCHEMA

pytestmark = requires_spark

CLUSTER_MASTER = "local-cluster[2,1,1024]"  # two executors of one core and 1 GB each


def test_two_executors_standardise_as_the_duckdb_path(sample_sources):
    staged = ingest(sample_sources).staged
    try:
        session = spark_session(CLUSTER_MASTER)
        on_spark = pa.concat_tables([CANONICAL_SCHEMA.empty_table(), *standardised_chunks(staged, 1, CLUSTER_MASTER)])
        executors = session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1  # less the driver
        shipped = list(session.sparkContext._python_includes)
    finally:
        spark_session(SPARK_MASTER)  # the other Spark tests' session
    assert executors == 2
    assert shipped == ["customer_unify.zip"]  # this interpreter has the project: the shipping is asserted
    assert not [path for path in sys.path if path.endswith(".zip") and "customer_unify" in path]
    assert on_spark.equals(standardise(staged, 1))
