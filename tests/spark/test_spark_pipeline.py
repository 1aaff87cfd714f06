"""The whole pipeline with engine spark publishes the customers the DuckDB path publishes.

Both runs read the same sources with the same model (the DuckDB warehouse's, shipped as a model
file). With engine spark, standardisation, scoring, the clusters' connected components and the
survivorship SQL run on Spark in local mode; the test sees each of them run there.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from dagster import materialize
from spark_support import SPARK_MASTER, requires_spark

import engines.spark
from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from common.arrow_sql import connection
from linkage.evaluate import pairwise_scores
from linkage.model_store import write_model_file
from pipelines.definitions import ALL_ASSETS
from warehouse.engine import make_engine
from warehouse.models import current_model

pytestmark = requires_spark

MIN_AGREEMENT = 0.99  # pairwise F1 of the Spark run's customers against the DuckDB run's
SPARK_STAGES = ("standardised_chunks", "components", "results")


def _publish(folder: Path, sources: Path, engine: str, model: Path | None = None) -> str:
    url = f"duckdb:///{folder}/warehouse.duckdb"
    resources = {
        "sources": SourcesFolder(path=str(sources)),
        "warehouse": Warehouse(url=url),
        "work": WorkArea(path=str(folder / "work")),
        "linkage": LinkageSettings(model_path=str(model or ""), engine=engine, spark_master=SPARK_MASTER),
        "monitoring": Monitoring(),
        "run_settings": RunSettings(as_of="2025-10-31"),
    }
    assert materialize(ALL_ASSETS, resources=resources).success
    return url


def _table(url: str, sql: str) -> pa.Table:
    database = url.removeprefix("duckdb:///")
    with connection() as con:
        con.execute(f"attach '{database}' as published (read_only)")
        try:
            return con.sql(sql).to_arrow_table()
        finally:
            con.execute("detach published")


def _customers(url: str) -> dict[tuple, str]:
    rows = _table(
        url, "select source_file, source_sheet, source_row, customer_id from published.customer_source_records"
    ).to_pylist()
    return {(r["source_file"], r["source_sheet"] or "", r["source_row"]): r["customer_id"] for r in rows}


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory, sample_sources):
    tmp = tmp_path_factory.mktemp("both_engines")
    duck = _publish(tmp / "duckdb", sample_sources, "duckdb")
    model = tmp / "model.json"
    write_model_file(current_model(make_engine(duck)), model)
    ran: dict[str, int] = dict.fromkeys(SPARK_STAGES, 0)
    with pytest.MonkeyPatch.context() as patch:  # counts each Spark stage's calls, and calls it
        for name in SPARK_STAGES:
            patch.setattr(engines.spark, name, _counted(getattr(engines.spark, name), name, ran))
        spark = _publish(tmp / "spark", sample_sources, "spark", model)
    return duck, spark, ran


def _counted(stage, name: str, ran: dict[str, int]):
    def counted(*args, **kwargs):
        ran[name] += 1
        return stage(*args, **kwargs)

    return counted


def test_every_heavy_stage_ran_on_spark(both_engines):
    *_, ran = both_engines
    assert all(ran[name] > 0 for name in SPARK_STAGES), ran


def test_the_spark_run_publishes_the_duckdb_runs_customers(both_engines):
    duck, spark, _ = both_engines
    scores = pairwise_scores(_customers(spark), _customers(duck))
    print(f"\nSpark against DuckDB: {scores.summary()}")
    assert scores.records > 0 and scores.missing_records == 0
    assert scores.f1 >= MIN_AGREEMENT, scores.summary()


def test_the_spark_run_publishes_the_same_golden_rows(both_engines):
    duck, spark, _ = both_engines
    golden = "select * from published.golden_customers order by customer_id"
    assert _table(spark, golden).equals(_table(duck, golden))
