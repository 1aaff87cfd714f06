"""The one Dagster Definitions of the project, loaded by workspace.yaml and by `unify run`."""

from __future__ import annotations

import os

from dagster import AssetSelection, Definitions, EnvVar, define_asset_job, in_process_executor

from assets.customers import (
    canonical_records,
    customer_source_records,
    golden_customers,
    linkage_model,
    scored_pairs,
    staged_source_records,
)
from assets.keys import MODEL
from assets.marts import MART_ASSETS
from assets.publishing import published
from assets.reports import REPORT_ASSETS
from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from pipelines.automation import nightly_schedule, sources_sensor

ALL_ASSETS = [
    staged_source_records,
    canonical_records,
    linkage_model,
    scored_pairs,
    customer_source_records,
    golden_customers,
    *MART_ASSETS,
    published,
]


def _setting(env_name: str, default: str):
    """An environment variable when set (kept as an EnvVar so the UI shows where it came from)."""
    return EnvVar(env_name) if os.environ.get(env_name) else default


full_refresh = define_asset_job(
    "full_refresh",
    selection=AssetSelection.all(),
    description="Read every source, link, and publish the golden tables.",
)
# the steps that can work on new and changed files, and the customers they touch, only; the rest
# follow what these wrote
INCREMENTAL_STEPS = (
    "staged__source_records",
    "standardised__canonical_records",
    "linked__scored_pairs",
    "golden__customer_source_records",
)
incremental_update = define_asset_job(
    "incremental_update",
    selection=AssetSelection.all(),
    config={"ops": {step: {"config": {"incremental": True}} for step in INCREMENTAL_STEPS}},
    description="Read only new or changed files (by fingerprint), link their records to the existing ones, and publish.",
)
retrain = define_asset_job(
    "retrain_model",
    selection=AssetSelection.assets(MODEL),
    config={"ops": {"linked__linkage_model": {"config": {"retrain": True}}}},
    description="Retrain the linkage model on the current canonical records; save it in the warehouse as a new version.",
)


def build_resources() -> dict:
    return {
        "sources": SourcesFolder(path=_setting("UNIFY_SOURCES", "data/sources")),
        "warehouse": Warehouse(url=_setting("UNIFY_WAREHOUSE", "duckdb:///data/warehouse.duckdb")),
        "work": WorkArea(path=_setting("UNIFY_WORK_DIR", "data/work")),
        "linkage": LinkageSettings(
            model_path=_setting("UNIFY_MODEL", ""),  # empty: the warehouse's own model
            engine=_setting("UNIFY_ENGINE", "duckdb"),
            spark_master=_setting("UNIFY_SPARK_MASTER", "local[2]"),
        ),
        "monitoring": Monitoring(
            reports_dir=_setting("UNIFY_REPORTS_DIR", "data/reports"), truth_path=_setting("UNIFY_TRUTH", "")
        ),
        "run_settings": RunSettings(),  # per run: `unify run --as-of/--allow-shrink`, or the Launchpad
    }


def build_definitions() -> Definitions:
    """Definitions with resources read from the environment now (the CLI sets it per command)."""
    return Definitions(
        assets=[*ALL_ASSETS, *REPORT_ASSETS],
        jobs=[full_refresh, incremental_update, retrain],
        schedules=[nightly_schedule()],
        sensors=[sources_sensor()],
        resources=build_resources(),
        executor=in_process_executor,
    )


defs = build_definitions()
