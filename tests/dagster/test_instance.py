"""The instance a `unify` command runs on: the project's files, a cheaper event log, same records."""

from __future__ import annotations

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
)
from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage, SqliteEventLogStorage

from pipelines.instance import OneRunSqliteEventLog, command_instance


@asset(check_specs=[AssetCheckSpec("positive", asset="numbers")])
def numbers() -> MaterializeResult:
    return MaterializeResult(metadata={"rows": 3}, check_results=[AssetCheckResult(passed=True)])


JOB = Definitions(assets=[numbers], jobs=[define_asset_job("numbers_job")]).resolve_job_def("numbers_job")


def test_default_storage_gets_the_one_run_event_log_and_the_stock_class_reads_its_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with command_instance() as instance:
        assert type(instance.event_log_storage) is OneRunSqliteEventLog
        result = JOB.execute_in_process(instance=instance)
        assert result.success
        written = [e.dagster_event.event_type_value for e in instance.all_logs(result.run_id) if e.dagster_event]
        assert instance.event_log_storage._engines  # engines were kept, not reopened per event
    assert not instance.event_log_storage._engines  # and released with the instance

    with DagsterInstance.get() as stock:  # what `dagster dev` and the daemon open
        assert type(stock.event_log_storage) is SqliteEventLogStorage
        assert stock.get_run_by_id(result.run_id).is_success
        assert [e.dagster_event.event_type_value for e in stock.all_logs(result.run_id) if e.dagster_event] == written
        assert "ASSET_CHECK_EVALUATION" in written
        latest = stock.get_latest_materialization_event(numbers.key)
        assert latest.run_id == result.run_id and latest.asset_materialization.metadata["rows"].value == 3


def test_a_configured_event_log_is_used_as_configured(tmp_path, monkeypatch):
    (tmp_path / "dagster.yaml").write_text(
        f"event_log_storage:\n  module: dagster._core.storage.event_log\n  class: ConsolidatedSqliteEventLogStorage\n  config:\n    base_dir: {tmp_path / 'events'}\n"
    )
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with command_instance() as instance:
        assert type(instance.event_log_storage) is ConsolidatedSqliteEventLogStorage
        assert JOB.execute_in_process(instance=instance).success
