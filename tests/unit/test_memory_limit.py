"""A run's memory limit (UNIFY_MEMORY_LIMIT): every DuckDB database the steps open holds at most
that much and spills the rest to the work area instead of failing (common.arrow_sql.limit)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from dagster import build_init_resource_context

from assets.resources import SPILL_FOLDER, WorkArea
from common import arrow_sql
from config.settings import SettingsError, memory_bytes, memory_limit
from linkage.model import duckdb_api

# a sort of ~5 million rows of 32-character text: about 400 MB, far beyond the limit below
BIG_SORT = "select count(distinct s) from (select md5(range::varchar) as s from range(5000000) order by s)"


@pytest.fixture(autouse=True)
def process_limits(monkeypatch):
    """Each test's limits are its own: the process's are as they were afterwards."""
    monkeypatch.setattr(arrow_sql, "_limits", arrow_sql.Limits())
    monkeypatch.setattr(arrow_sql, "_database", None)


def _setting(con, name: str) -> str:
    return con.execute(f"select current_setting('{name}')").fetchone()[0]


def test_a_query_bigger_than_the_limit_spills_into_the_work_area_and_succeeds(tmp_path):
    spill = tmp_path / "work" / SPILL_FOLDER
    arrow_sql.limit(memory_bytes("256MB"), spill)
    with arrow_sql.connection() as con:
        assert _setting(con, "memory_limit") == "244.1 MiB"
        assert _setting(con, "temp_directory").startswith(str(spill / f"{os.getpid()}-"))
        assert con.execute(BIG_SORT).fetchone() == (5_000_000,)
        peak = con.execute("select max(temporary_storage_bytes) from duckdb_memory()").fetchone()
        assert [p.name for p in spill.iterdir()] != [] and peak is not None


def test_splinks_databases_take_the_same_limit_each_in_a_folder_of_its_own(tmp_path):
    arrow_sql.limit(memory_bytes("300MB"), tmp_path)
    first, second = duckdb_api(), duckdb_api()
    folders = {_setting(api._con, "temp_directory") for api in (first, second)}
    assert {_setting(api._con, "memory_limit") for api in (first, second)} == {"286.1 MiB"}
    assert len(folders) == 2 and all(f.startswith(str(tmp_path)) for f in folders)


def test_other_limits_open_the_shared_database_anew(tmp_path):
    arrow_sql.limit(memory_bytes("300MB"), tmp_path / "a")
    with arrow_sql.connection() as con:
        assert _setting(con, "memory_limit") == "286.1 MiB"
    arrow_sql.limit(memory_bytes("1GB"), tmp_path / "b")
    with arrow_sql.connection() as con:
        assert _setting(con, "memory_limit") == "953.6 MiB"
        assert _setting(con, "temp_directory").startswith(str(tmp_path / "b"))


def test_the_spill_folders_of_processes_that_are_gone_are_removed(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / f"{gone.stdout.strip()}-0").mkdir()  # a killed run's: DuckDB could not remove it
    (tmp_path / f"{os.getpid()}-7").mkdir()  # this process's own
    arrow_sql.limit(memory_bytes("300MB"), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"{os.getpid()}-7"]


def test_a_run_limits_its_databases_as_its_work_area_says(tmp_path):
    WorkArea(path=str(tmp_path), memory_limit="512MB").setup_for_execution(build_init_resource_context())
    with arrow_sql.connection() as con:
        assert _setting(con, "memory_limit") == "488.2 MiB"
        assert _setting(con, "temp_directory").startswith(str(tmp_path / SPILL_FOLDER))
    WorkArea(path=str(tmp_path)).setup_for_execution(build_init_resource_context())  # the default
    with arrow_sql.connection() as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] != "488.2 MiB"
    assert arrow_sql._limits.memory_bytes == memory_limit("")
    with pytest.raises(SettingsError, match="UNIFY_MEMORY_LIMIT is a size"):
        WorkArea(path=str(tmp_path), memory_limit="half").setup_for_execution(build_init_resource_context())


def test_the_warehouse_files_connections_take_the_runs_memory_limit(tmp_path):
    from sqlalchemy import text

    from warehouse.engine import make_engine

    engine = make_engine(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    with engine.connect() as con:  # no limit set: DuckDB's own
        unlimited = con.execute(text("select current_setting('memory_limit')")).scalar()
    arrow_sql.limit(memory_bytes("300MB"), tmp_path / "spill")
    with engine.connect() as con:
        assert con.execute(text("select current_setting('memory_limit')")).scalar() == "286.1 MiB" != unlimited
    engine.dispose()
