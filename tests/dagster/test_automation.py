"""The sources-folder sensor and the nightly schedule, evaluated with Dagster's test contexts."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime

import pytest
from dagster import DagsterInstance, DagsterRunStatus, build_schedule_context, build_sensor_context
from dagster._core.test_utils import create_run_for_test

from assets.resources import SourcesFolder
from config.settings import Settings
from pipelines.automation import FolderState, look, nightly_schedule, sources_sensor

HOUR = 3600


@pytest.fixture
def instance():
    with DagsterInstance.get() as instance:
        yield instance


@pytest.fixture
def folder(tmp_path, sample_sources):
    root = tmp_path / "sources"
    shutil.copytree(sample_sources, root)
    for path in root.rglob("*"):
        _age(path, HOUR)
    return root


def _age(path, seconds: float) -> None:
    """Make a file look as if it was last written `seconds` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


class Sensor:
    """The sensor's successive evaluations, carrying the cursor like the daemon does."""

    def __init__(self, root, instance):
        self.root, self.instance, self.cursor = root, instance, None
        self.definition = sources_sensor(Settings.from_env({}))

    def tick(self):
        resources = {"sources": SourcesFolder(path=str(self.root), settle_seconds=60)}
        with build_sensor_context(instance=self.instance, cursor=self.cursor, resources=resources) as context:
            result = self.definition.evaluate_tick(context)
        self.cursor = result.cursor
        return result


@pytest.fixture
def sensor(folder, instance):
    sensor = Sensor(folder, instance)
    first = sensor.tick()  # the first look sees every file as new: one run catches up
    assert len(first.run_requests) == 1
    return sensor


def test_nothing_new_starts_nothing(sensor):
    result = sensor.tick()
    assert result.run_requests == [] and "no new" in result.skip_message


def test_a_new_file_starts_an_incremental_run(sensor, folder):
    shutil.copy(folder / "sales" / "陈静.csv", folder / "sales" / "李娜.csv")
    _age(folder / "sales" / "李娜.csv", HOUR)
    (request,) = sensor.tick().run_requests
    assert request.tags["unify/changed_files"] == "1"
    assert sensor.tick().run_requests == []  # the cursor remembers it


def test_a_changed_file_starts_a_run_and_a_touched_one_does_not(sensor, folder):
    path = folder / "service" / "helpdesk_tickets.jsonl"
    _age(path, HOUR / 2)  # same content, new mtime
    assert sensor.tick().run_requests == []
    path.write_text(path.read_text(encoding="utf-8").rsplit("\n", 2)[0] + "\n", encoding="utf-8")
    _age(path, HOUR / 3)
    assert len(sensor.tick().run_requests) == 1


def test_a_removed_file_starts_a_run(sensor, folder):
    (folder / "sales" / "王芳.xlsx").unlink()
    assert len(sensor.tick().run_requests) == 1


def test_a_half_copied_file_is_not_read_until_it_holds_still(sensor, folder):
    target = folder / "shop" / "tmall_orders_2026.csv"
    data = (folder / "shop" / "tmall_orders_2025.csv").read_bytes()
    target.write_bytes(data[: len(data) // 3])  # written just now: still being copied
    held = sensor.tick()
    assert held.run_requests == [] and "still being written" in held.skip_message
    with open(target, "ab") as handle:
        handle.write(data[len(data) // 3 :])
    assert sensor.tick().run_requests == []  # it grew since the last look
    (request,) = sensor.tick().run_requests  # same size and mtime twice: copied
    assert request.tags["unify/changed_files"] == "1"


def test_a_settled_file_waits_while_another_is_still_copied(sensor, folder):
    shutil.copy(folder / "sales" / "陈静.csv", folder / "sales" / "李娜.csv")
    _age(folder / "sales" / "李娜.csv", HOUR)
    (folder / "sales" / "周杰.csv").write_bytes(b"Name,Mobile\n")  # fresh, still being written
    assert sensor.tick().run_requests == []
    (request,) = sensor.tick().run_requests
    assert request.tags["unify/changed_files"] == "2"


def test_no_run_starts_while_a_pipeline_run_is_in_progress(sensor, folder, instance):
    running = create_run_for_test(instance, job_name="incremental_update", status=DagsterRunStatus.STARTED)
    shutil.copy(folder / "sales" / "陈静.csv", folder / "sales" / "李娜.csv")
    _age(folder / "sales" / "李娜.csv", HOUR)
    busy = sensor.tick()
    assert busy.run_requests == [] and "in progress" in busy.skip_message
    instance.report_run_canceled(running)
    assert len(sensor.tick().run_requests) == 1  # picked up once the run has ended


def test_look_fingerprints_only_files_that_moved():
    read = []

    def content(origin):
        read.append(origin)
        return "abc"

    before = FolderState(read={"shop/a.csv": (10, 1, "abc")})
    seen = look(before, {"shop/a.csv": (10, 1), "shop/b.csv": (5, 2)}, now_ns=10**12, settle_ns=1, content=content)
    assert read == ["shop/b.csv"] and seen.changed == ["shop/b.csv"]
    assert FolderState.from_cursor(seen.state.to_cursor()) == seen.state


def test_the_nightly_schedule_requests_a_full_refresh(instance):
    schedule = nightly_schedule(Settings.from_env({"UNIFY_NIGHTLY_CRON": "15 1 * * *"}))
    with build_schedule_context(
        instance=instance, scheduled_execution_time=datetime(2026, 1, 5, 1, 15, tzinfo=UTC)
    ) as context:
        (request,) = schedule.evaluate_tick(context).run_requests
    assert schedule.job_name == "full_refresh"
    assert request.run_config == {}
