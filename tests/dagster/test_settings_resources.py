"""The Definitions take their resources from one Settings: what the command line gives as values,
what the environment gives as its variables (shown as such in the UI, never kept in Dagster's run
storage), and thresholds that cannot work refused before a run does any work."""

from __future__ import annotations

import pytest
from dagster import EnvVar, build_init_resource_context

from assets.resources import LinkageSettings
from config.settings import Settings, SettingsError
from pipelines.definitions import build_definitions, build_resources


def test_resources_follow_the_settings_given(monkeypatch):
    for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL", "UNIFY_ENGINE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        warehouse="duckdb:///elsewhere.duckdb",
        sources="/srv/sources",
        work_dir="/srv/work",
        engine="spark",
        spark_master="spark://cluster:7077",
        match_threshold=0.95,
        review_floor=0.6,
        reports_dir="/srv/reports",
        truth="/srv/truth.csv",
        memory_limit="3GB",
    )
    resources = build_resources(settings)
    assert (resources["warehouse"].url, resources["sources"].path, resources["work"].path) == (
        "duckdb:///elsewhere.duckdb",
        "/srv/sources",
        "/srv/work",
    )
    assert resources["work"].memory_limit == "3GB"
    assert build_resources(Settings())["work"].memory_limit == ""  # half the machine's, found when a run starts
    linkage = resources["linkage"]
    assert (linkage.engine, linkage.spark_master, linkage.match_threshold, linkage.review_floor) == (
        "spark",
        "spark://cluster:7077",
        0.95,
        0.6,
    )
    assert (resources["monitoring"].reports_dir, resources["monitoring"].truth_path) == (
        "/srv/reports",
        "/srv/truth.csv",
    )


def test_a_value_from_the_environment_stays_its_variable(monkeypatch):
    monkeypatch.setenv("UNIFY_WAREHOUSE", "postgresql+psycopg://unify:secret@db/unify")
    monkeypatch.delenv("UNIFY_SOURCES", raising=False)
    resources = build_resources(Settings.from_env(sources="/given/on/the/command/line"))
    assert isinstance(resources["warehouse"].url, EnvVar) and resources["warehouse"].url == "UNIFY_WAREHOUSE"
    assert resources["sources"].path == "/given/on/the/command/line"
    # the command line over the environment: the value given, not the variable
    overridden = build_resources(Settings.from_env(warehouse="duckdb:///other.duckdb"))["warehouse"].url
    assert not isinstance(overridden, EnvVar) and overridden == "duckdb:///other.duckdb"


def test_the_no_argument_definitions_read_the_environment(monkeypatch):
    monkeypatch.setenv("UNIFY_SCHEDULES", "on")
    monkeypatch.setenv("UNIFY_NIGHTLY_CRON", "45 4 * * *")
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("nightly_full_refresh")
    assert schedule.cron_schedule == "45 4 * * *"
    monkeypatch.setenv("UNIFY_REVIEW_FLOOR", "0.2")
    with pytest.raises(SettingsError, match="below the score floor"):
        build_definitions()


def test_thresholds_set_on_the_resource_are_refused_when_a_run_starts():
    with pytest.raises(SettingsError, match="below the score floor 0.5"):
        LinkageSettings(review_floor=0.3).setup_for_execution(build_init_resource_context())
    with pytest.raises(SettingsError, match="must be above the review floor"):
        LinkageSettings(match_threshold=0.7, review_floor=0.8).setup_for_execution(build_init_resource_context())
    LinkageSettings().setup_for_execution(build_init_resource_context())  # the defaults work
