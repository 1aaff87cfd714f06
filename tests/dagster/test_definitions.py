"""The Definitions as the UI shows them: loadable, assets by layer with descriptions, the three
jobs, checks on every published table."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DefaultScheduleStatus, DefaultSensorStatus, Definitions

from assets.publishing import PUBLISHED_FROM_WORK
from config.settings import Settings
from pipelines.automation import nightly_schedule, sources_sensor
from pipelines.definitions import defs
from warehouse import tables

LAYERS = {"staged", "standardised", "linked", "golden", "marts", "published", "reports"}


def _asset_specs():
    return [spec for assets_def in defs.resolve_asset_graph().assets_defs for spec in assets_def.specs]


def test_definitions_load():
    Definitions.validate_loadable(defs)


def test_assets_are_grouped_by_layer_named_by_layer_and_described():
    specs = _asset_specs()
    assert {s.group_name for s in specs} == LAYERS
    for spec in specs:
        assert len(spec.key.path) == 2, spec.key  # layer/table
        assert spec.description, f"{spec.key.to_user_string()} has no description"
    assert {"staged", "linked", "golden", "marts"} <= {s.key.path[0] for s in specs}


def test_the_three_jobs_exist():
    assert {"full_refresh", "incremental_update", "retrain_model"} <= {j.name for j in defs.resolve_all_job_defs()}


# published table -> (asset, check) auditing its next version before the publish; marts: key_unique
KEY_CHECK_OF = {
    "golden_customers": ("golden/golden_customers", "golden_key_unique"),
    "customer_source_records": ("golden/customer_source_records", "every_record_in_one_customer"),
    "golden_field_lineage": ("golden/golden_customers", "field_lineage_keys"),
    "quarantined_records": ("staged/source_records", "quarantine_keys"),
    "match_review_queue": ("golden/customer_source_records", "review_queue_keys"),
    "customer_id_history": ("golden/customer_source_records", "id_history_keys"),
}


def test_every_published_table_has_a_blocking_check():
    graph = defs.resolve_asset_graph()
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    blocking = {(s.asset_key.to_user_string(), s.name) for s in specs if s.blocking}
    for table in [*PUBLISHED_FROM_WORK, tables.customer_id_history]:
        assert KEY_CHECK_OF.get(table.name, (f"marts/{table.name}", "key_unique")) in blocking, table.name
    assert {(s.asset_key.to_user_string(), s.name) for s in specs if s.asset_key.path[0] == "golden"} <= blocking


def test_schedule_and_sensor_are_off_unless_switched_on():
    off = Settings.from_env({})
    assert nightly_schedule(off).default_status == DefaultScheduleStatus.STOPPED
    assert sources_sensor(off).default_status == DefaultSensorStatus.STOPPED
    on = Settings.from_env(
        {"UNIFY_SCHEDULES": "on", "UNIFY_NIGHTLY_CRON": "30 3 * * *", "UNIFY_TIMEZONE": "Asia/Shanghai"}
    )
    schedule = nightly_schedule(on)
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "30 3 * * *",
        "Asia/Shanghai",
        "full_refresh",
    )
    assert sources_sensor(on).default_status == DefaultSensorStatus.RUNNING
    assert nightly_schedule(off).cron_schedule == "0 2 * * *"


def _anonymous_mb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("RssAnon"))


def test_every_job_gives_freed_memory_back_after_each_step():
    """Without it a run's process holds what its steps freed (Arrow's allocator keeps it for
    reuse), and the workers the next step forks carry it too."""
    import pyarrow as pa
    from dagster import build_hook_context

    from pipelines.definitions import COLLECTOR, RunOnlyCollector, give_back_freed_memory

    for job in defs.jobs:
        assert give_back_freed_memory in defs.resolve_job_def(job.name).hook_defs, job.name
    table = pa.table({"text": pa.array(["x" * 100] * 3_000_000)}).combine_chunks()  # Arrow's pool
    held = _anonymous_mb()
    del table
    with build_hook_context(resources={COLLECTOR: RunOnlyCollector()}) as context:
        give_back_freed_memory(context)
    assert _anonymous_mb() < held - 200


class _Cycle:
    def __init__(self):
        self.me = self


def test_a_run_frees_its_own_cycles_and_keeps_none_it_found():
    """However a run is launched, the step hook's collection leaves out what was there before the
    run (RunOnlyCollector), and still frees what a step made in a cycle (a Splink linker holds its
    DuckDB database so); garbage found at the run's start is collected, not frozen with the rest."""
    import gc
    import weakref

    from dagster import asset, define_asset_job

    from pipelines.definitions import COLLECTOR, STEP_HOOKS, RunOnlyCollector, build_resources

    assert isinstance(build_resources(Settings.from_env())[COLLECTOR], RunOnlyCollector)
    seen: dict = {}

    @asset
    def makes_a_cycle() -> None:
        seen["found"] = found() is None
        seen["frozen"] = gc.get_freeze_count()
        seen["made"] = weakref.ref(_Cycle())

    @asset(deps=[makes_a_cycle])
    def runs_after_it() -> None:
        seen["made_after_the_step"] = seen["made"]()

    job = define_asset_job("cycles", hooks=STEP_HOOKS)
    defs = Definitions(assets=[makes_a_cycle, runs_after_it], jobs=[job], resources={COLLECTOR: RunOnlyCollector()})
    found = weakref.ref(_Cycle())
    assert defs.resolve_job_def("cycles").execute_in_process().success
    assert seen["found"] and seen["frozen"] > 0
    assert seen["made_after_the_step"] is None  # the first step's hook freed it
    assert gc.get_freeze_count() == 0


def test_the_reading_workers_tables_come_mapped_not_through_the_runs_heap(tmp_path):
    """Pickled back, the workers' tables landed in the run's heap, where the run kept them (3.4 GB
    at ten million records); mapped from the files the workers write, they are the files' pages."""
    import tempfile

    from demo.generate import generate_sources
    from sources.ingest import ingest

    generate_sources(tmp_path / "sources", customers=30_000, seed=3)
    before = _anonymous_mb()
    read = ingest(tmp_path / "sources")
    assert read.staged.nbytes > 30 * 2**20
    assert _anonymous_mb() - before < read.staged.nbytes / 2**20 / 4
    assert not list(Path(tempfile.gettempdir()).glob(f"{os.getpid()}-reading-*"))  # the files are gone
