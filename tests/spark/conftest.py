"""Spark linkage tests: local mode on the sample set. Skipped without pyspark or a Java runtime."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from spark_support import SPARK_MASTER, SPARK_MISSING


@pytest.fixture(scope="session")
def spark_sample(sample_sources):
    """The sample set as link records and a DuckDB-trained model, with the Spark session started
    alongside (a JVM takes about as long to start as the model takes to train)."""
    if SPARK_MISSING is not None:
        pytest.skip(f"Spark tests skipped: {SPARK_MISSING}")
    from linkage.features import link_records
    from linkage.model import train_model
    from linkage.scoring.spark import spark_session
    from sources.canonical import standardise
    from sources.ingest import ingest

    started: dict = {}

    def start() -> None:
        try:
            started["session"] = spark_session(SPARK_MASTER)
        except BaseException as error:  # re-raised in the test's thread
            started["error"] = error

    thread = threading.Thread(target=start, name="spark-session", daemon=True)
    thread.start()
    canonical = standardise(ingest(sample_sources).staged)
    records = link_records(canonical)
    model = train_model(records)
    thread.join()
    if "error" in started:
        raise started["error"]
    return SimpleNamespace(canonical=canonical, records=records, model=model, session=started["session"])
