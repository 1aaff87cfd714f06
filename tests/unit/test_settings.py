"""One Settings (config/settings.py): every default written once, the environment over the
defaults, the command line over the environment, and settings that cannot work refused in one line."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest

from config.settings import (
    DEFAULTS,
    SCORE_FLOOR,
    Settings,
    SettingsError,
    check_thresholds,
    env_name,
    machine_memory,
    memory_bytes,
    memory_limit,
    setting,
)
from linkage.labels import LOWEST_THRESHOLD
from pipelines.cli import build_parser, command_settings, main

ROOT = Path(__file__).resolve().parents[2]
ROOMS = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}


def test_the_defaults():
    assert Settings.from_env({}) == DEFAULTS
    assert (DEFAULTS.warehouse, DEFAULTS.sources, DEFAULTS.work_dir) == (
        "duckdb:///data/warehouse.duckdb",
        "data/sources",
        "data/work",
    )
    assert (DEFAULTS.model, DEFAULTS.engine, DEFAULTS.spark_master) == ("", "duckdb", "local[2]")
    assert (DEFAULTS.match_threshold, DEFAULTS.review_floor, DEFAULTS.lock_timeout) == (0.9, 0.5, 60.0)
    assert (DEFAULTS.schedules, DEFAULTS.nightly_cron, DEFAULTS.timezone) == (False, "0 2 * * *", "UTC")
    assert (DEFAULTS.reports_dir, DEFAULTS.truth, DEFAULTS.secret_key) == ("data/reports", "", "")


def test_every_setting_is_read_from_its_unify_variable():
    assert [env_name(f.name) for f in fields(Settings)][:3] == ["UNIFY_WAREHOUSE", "UNIFY_SOURCES", "UNIFY_WORK_DIR"]
    env = {
        "UNIFY_WAREHOUSE": "postgresql+psycopg://u@h/db",
        "UNIFY_WORK_DIR": "/srv/work",
        "UNIFY_LOCK_TIMEOUT": "5",
        "UNIFY_SCHEDULES": " ON ",
        "UNIFY_REVIEW_FLOOR": "0.6",
        "UNIFY_MATCH_THRESHOLD": "0.95",
        "UNIFY_SOURCES": "",  # empty counts as unset
    }
    settings = Settings.from_env(env)
    assert (settings.warehouse, settings.work_dir, settings.sources) == (
        env["UNIFY_WAREHOUSE"],
        "/srv/work",
        "data/sources",
    )
    assert (settings.lock_timeout, settings.schedules) == (5.0, True)
    assert (settings.review_floor, settings.match_threshold) == (0.6, 0.95)
    assert Settings.from_env({"UNIFY_SCHEDULES": "off"}).schedules is False
    assert setting("timezone", {"UNIFY_TIMEZONE": "Asia/Shanghai"}) == "Asia/Shanghai"
    assert setting("timezone", {}) == "UTC"


def test_the_command_line_wins_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("UNIFY_WAREHOUSE", "duckdb:///from-env.duckdb")
    monkeypatch.setenv("UNIFY_ENGINE", "spark")
    monkeypatch.setenv("UNIFY_SPARK_MASTER", "spark://cluster:7077")
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(
        [
            "run",
            "--warehouse",
            "duckdb:///from-cli.duckdb",
            "--engine",
            "duckdb",
            "--sources",
            "src",
            "--model",
            "m.json",
        ]
    )
    settings = command_settings(args)
    assert (settings.warehouse, settings.engine) == ("duckdb:///from-cli.duckdb", "duckdb")
    assert settings.spark_master == "spark://cluster:7077"  # not given: the environment's
    assert (settings.sources, settings.model) == (str(tmp_path / "src"), str(tmp_path / "m.json"))
    assert command_settings(build_parser().parse_args(["review", "list"])).warehouse == "duckdb:///from-env.duckdb"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"UNIFY_REVIEW_FLOOR": "0.3"}, "review floor 0.3 (UNIFY_REVIEW_FLOOR) is below the score floor 0.5"),
        (
            {"UNIFY_MATCH_THRESHOLD": "0.5"},
            "match threshold 0.5 (UNIFY_MATCH_THRESHOLD) must be above the review floor 0.5",
        ),
        ({"UNIFY_MATCH_THRESHOLD": "0.8", "UNIFY_REVIEW_FLOOR": "0.85"}, "must be above the review floor 0.85"),
        ({"UNIFY_MATCH_THRESHOLD": "1.5"}, "at most 1"),
        ({"UNIFY_LOCK_TIMEOUT": "soon"}, "UNIFY_LOCK_TIMEOUT is a number, not 'soon'"),
        ({"UNIFY_LOCK_TIMEOUT": "-1"}, "UNIFY_LOCK_TIMEOUT is a number of seconds"),
        ({"UNIFY_SCHEDULES": "maybe"}, "UNIFY_SCHEDULES is on or off, not 'maybe'"),
        ({"UNIFY_ENGINE": "pandas"}, "UNIFY_ENGINE is one of duckdb, spark, not 'pandas'"),
        ({"UNIFY_VALUE_BASIS": "clv"}, "UNIFY_VALUE_BASIS is one of spend, predicted, not 'clv'"),
        ({"UNIFY_MEMORY_LIMIT": "lots"}, "UNIFY_MEMORY_LIMIT is a size such as 4GB or 800MB, not 'lots'"),
        ({"UNIFY_MEMORY_LIMIT": "4096"}, "UNIFY_MEMORY_LIMIT is a size such as 4GB or 800MB, not '4096'"),
        ({"UNIFY_MEMORY_LIMIT": "4 parsecs"}, "UNIFY_MEMORY_LIMIT is a size such as 4GB or 800MB"),
        ({"UNIFY_MEMORY_LIMIT": "100MB"}, "UNIFY_MEMORY_LIMIT is at least 256MB, not '100MB'"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_in_one_line(env, message):
    with pytest.raises(SettingsError, match=re.escape(message)) as refused:
        Settings.from_env(env)
    assert "\n" not in str(refused.value)


def test_the_thresholds_are_checked_however_they_are_given():
    with pytest.raises(SettingsError, match="below the score floor"):
        Settings(review_floor=0.2)
    with pytest.raises(SettingsError, match="must be above the review floor"):
        check_thresholds(0.6, 0.7)
    check_thresholds(0.9, SCORE_FLOOR)  # the floor itself is allowed
    assert LOWEST_THRESHOLD == SCORE_FLOOR  # reviewers' labels place no threshold below what is scored


@pytest.mark.parametrize(
    "size, expected",
    [("4GB", 4 * 10**9), ("800MB", 800 * 10**6), (" 1.5gib ", int(1.5 * 2**30)), ("2 GiB", 2 * 2**30)],
)
def test_the_memory_limit_is_a_duckdb_size(size, expected):
    assert memory_bytes(size) == expected
    assert memory_limit(size) == expected
    assert Settings.from_env({"UNIFY_MEMORY_LIMIT": size}).memory_limit == size.strip()


def test_without_a_memory_limit_a_run_takes_half_the_memory_the_machine_gives_it(tmp_path):
    physical = machine_memory(str(tmp_path))  # no cgroup files: the RAM
    assert memory_limit("") == max(machine_memory() // 2, memory_bytes("256MB"))
    (tmp_path / "memory.max").write_text("max\n")  # cgroup v2 without a limit
    assert machine_memory(str(tmp_path)) == physical
    (tmp_path / "memory.max").write_text(f"{2 * 2**30}\n")  # a container of 2 GiB
    assert machine_memory(str(tmp_path)) == min(physical, 2 * 2**30)
    (tmp_path / "memory.max").unlink()
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text(f"{3 * 2**30}\n")  # cgroup v1
    assert machine_memory(str(tmp_path)) == min(physical, 3 * 2**30)


def test_a_command_with_a_bad_setting_ends_in_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("UNIFY_REVIEW_FLOOR", "0.1")
    assert main(["review", "list", "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "unify: review floor 0.1 (UNIFY_REVIEW_FLOOR) is below the score floor 0.5: pairs under it are never scored\n"
    )
    assert not (tmp_path / "w.duckdb").exists()


def test_the_settings_room_imports_no_other_room_and_no_dagster():
    imported = [
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for path in (ROOT / "config").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    assert [m for m in imported if m.split(".")[0] in (ROOMS - {"config"}) | {"dagster"}] == []


def test_the_readme_lists_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(UNIFY_\w+)` \| ([^|]+) \|", readme, re.MULTILINE)}
    for f in fields(Settings):
        default = getattr(DEFAULTS, f.name)
        shown = {"": "none", False: "off", True: "on"}.get(
            default, f"`{default:g}`" if isinstance(default, float) else f"`{default}`"
        )
        assert rows.get(env_name(f.name), "").strip().startswith(shown), env_name(f.name)
