"""The one Dagster Definitions of the project, loaded by workspace.yaml and by `unify run`."""

from __future__ import annotations

import ctypes
import gc
import os
from functools import partial

import pyarrow as pa
from dagster import (
    AssetSelection,
    ConfigurableResource,
    Definitions,
    EnvVar,
    HookContext,
    InitResourceContext,
    define_asset_job,
    in_process_executor,
    success_hook,
)

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
from config.settings import Settings, env_name
from pipelines.alerts import alert_sensors
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


def _configured(settings: Settings, name: str):
    """A setting as resource config: the environment's own variable when that is where the value
    came from, so the UI shows its source and Dagster keeps the value (a URL's password) out of its
    run storage; else the value itself (a command-line option, a default)."""
    value = getattr(settings, name)
    return EnvVar(env_name(name)) if value and os.environ.get(env_name(name)) == value else value


class RunOnlyCollector(ConfigurableResource):
    """During a run, the cycle collector leaves out what its process held before it (the
    libraries, a warm worker's state): each step's collection in give_back_freed_memory then walks
    the run's own objects, not the 470,000-740,000 of a loaded process (0.15-0.28 s a step). A
    resource, so that every run of a job gets it, however it was launched (the command, the warm
    worker, the UI, the daemon): set up once per run with the in-process executor, torn down as the
    run ends. Garbage is collected before the freeze, so none is kept, and the objects are unfrozen
    when the run ends, so the next collection walks them again."""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        gc.collect()
        gc.freeze()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        gc.unfreeze()


COLLECTOR = "collector"


@success_hook(required_resource_keys={COLLECTOR})
def give_back_freed_memory(_context: HookContext) -> None:
    """Arrow's allocator (mimalloc) and the C library's keep what a step freed for their own
    reuse: given back to the system, the next step and the workers it forks do not carry it.
    First what only the cycle collector frees: a Splink linker is a cycle, which held its DuckDB
    database and the link records registered in it (about 4.7 GB at ten million records) for
    several steps, until the collector next ran."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = getattr(_C_LIBRARY, "malloc_trim", None)  # glibc's; other C libraries give memory back themselves
    if trim is not None:
        trim(0)


_C_LIBRARY = ctypes.CDLL(None)


STEP_HOOKS = {give_back_freed_memory}
full_refresh = define_asset_job(
    "full_refresh",
    selection=AssetSelection.all(),
    hooks=STEP_HOOKS,
    description="Read every source, link, and publish the golden tables.",
)
# the steps that can work on new and changed files, and the customers they touch, only; the rest
# follow what these wrote
INCREMENTAL_STEPS = (
    "staged__source_records",
    "standardised__canonical_records",
    "linked__scored_pairs",
    "golden__customer_source_records",
    "marts__value_model",
)
incremental_update = define_asset_job(
    "incremental_update",
    selection=AssetSelection.all(),
    config={"ops": {step: {"config": {"incremental": True}} for step in INCREMENTAL_STEPS}},
    hooks=STEP_HOOKS,
    description="Read only new or changed files (by fingerprint), link their records to the existing ones, and publish.",
)
retrain = define_asset_job(
    "retrain_model",
    selection=AssetSelection.assets(MODEL),
    config={"ops": {"linked__linkage_model": {"config": {"retrain": True}}}},
    hooks=STEP_HOOKS,
    description="Retrain the linkage model on the current canonical records; save it in the warehouse as a new version.",
)


def build_resources(settings: Settings) -> dict:
    value = partial(_configured, settings)
    return {
        "sources": SourcesFolder(path=value("sources")),
        "warehouse": Warehouse(url=value("warehouse"), tombstone_key=value("tombstone_key")),
        "work": WorkArea(path=value("work_dir"), memory_limit=value("memory_limit")),
        "linkage": LinkageSettings(
            model_path=value("model"),  # empty: the warehouse's own model
            engine=value("engine"),
            spark_master=value("spark_master"),
            match_threshold=settings.match_threshold,
            review_floor=settings.review_floor,
        ),
        "monitoring": Monitoring(
            reports_dir=value("reports_dir"), truth_path=value("truth"), public_url=value("public_url")
        ),
        # per run: `unify run --as-of/--allow-shrink`, or the Launchpad
        "run_settings": RunSettings(value_basis=value("value_basis")),
        COLLECTOR: RunOnlyCollector(),
    }


def build_definitions(settings: Settings | None = None) -> Definitions:
    """The Definitions over these settings (`unify` passes its own); without them, the settings the
    environment gives now (workspace.yaml's code location, `make ui`)."""
    settings = settings or Settings.from_env()
    return Definitions(
        assets=[*ALL_ASSETS, *REPORT_ASSETS],
        jobs=[full_refresh, incremental_update, retrain],
        schedules=[nightly_schedule(settings)],
        sensors=[sources_sensor(settings), *alert_sensors(settings)],
        resources=build_resources(settings),
        executor=in_process_executor,
    )


defs = build_definitions()
