"""The warm worker (`unify worker`, pipelines/worker.py): an incremental run handed to it gives what
a fresh process gives; no worker, a silent one or a wrong secret: the command runs the job itself;
a worker killed mid-run leaves the last tables published, no lock held and no run 'started'."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef

from config.settings import Settings
from pipelines import worker
from tests.e2e.cli_helpers import query
from warehouse.lock import run_lock

PROJECT = Path(__file__).resolve().parents[2]
SECRET = "worker-test-secret"
AS_OF = "2025-10-31"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((worker.HOST, 0))
        return s.getsockname()[1]


class Setup:
    """A warehouse with one full run published, its work area, a Dagster home, and the environment
    of every command run on them."""

    def __init__(self, root: Path, sample_sources: Path):
        self.root = root
        self.sources = root / "sources"
        shutil.copytree(sample_sources, self.sources)
        self.home = root / "dagster_home"
        self.home.mkdir()
        shutil.copyfile(PROJECT / ".dagster" / "dagster.yaml", self.home / "dagster.yaml")
        self.warehouse = root / "w.duckdb"
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "UNIFY_WAREHOUSE": f"duckdb:///{self.warehouse}",
            "UNIFY_SOURCES": str(self.sources),
            "UNIFY_WORK_DIR": str(root / "work"),
            "UNIFY_REPORTS_DIR": str(root / "reports"),
            "UNIFY_MODEL": "",
            "UNIFY_WORKER_SECRET": SECRET,
            "UNIFY_WORKER_PORT": str(self.port),
        }
        self.worker: subprocess.Popen | None = None

    def unify(self, *argv: str, **env) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "pipelines.cli", *argv]
        return subprocess.run(command, env={**self.env, **env}, cwd=PROJECT, capture_output=True, text=True)

    def start_worker(self) -> None:
        command = [sys.executable, "-m", "pipelines.cli", "worker"]
        self.worker = subprocess.Popen(command, env=self.env, cwd=PROJECT, stderr=subprocess.PIPE, text=True)
        line = self.worker.stderr.readline()  # said once it listens, warm
        assert line.startswith(f"unify worker on {worker.HOST}:{self.port}"), line

    def stop_worker(self) -> None:
        self.worker.send_signal(signal.SIGTERM)
        assert self.worker.wait(timeout=30) == 0
        self.worker = None

    def add_file(self, name: str) -> None:
        """A salesperson's sheet more: new records, most of them existing customers again."""
        shutil.copyfile(self.sources / "sales" / "刘洋.xlsx", self.sources / "sales" / name)

    def save(self) -> None:
        for path in (self.warehouse, self.root / "work"):
            copy = path.with_name(path.name + ".saved")
            (shutil.copytree if path.is_dir() else shutil.copyfile)(path, copy)

    def restore(self) -> None:
        for path in (self.warehouse, self.root / "work"):
            copy = path.with_name(path.name + ".saved")
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            (shutil.copytree if copy.is_dir() else shutil.copyfile)(copy, path)

    def instance(self) -> DagsterInstance:
        return DagsterInstance.from_ref(InstanceRef.from_dir(str(self.home)))

    def settings(self, **changes) -> Settings:
        return Settings.from_env(self.env, **changes)


@pytest.fixture(scope="module")
def setup(tmp_path_factory, sample_sources):
    setup = Setup(tmp_path_factory.mktemp("worker"), sample_sources)
    done = setup.unify("run", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    setup.start_worker()
    yield setup
    if setup.worker is not None:
        setup.worker.kill()
        setup.worker.wait()


def _published(path: Path) -> dict[str, list]:
    """The customer tables as published, row for row."""
    sql = {
        "crosswalk": "select source_file, source_sheet, source_row, customer_id from customer_source_records",
        "golden": "select * from golden_customers",
        "value": "select * from customer_value",
        "orders": "select * from customer_orders",
    }
    return {name: sorted(query(path, s), key=repr) for name, s in sql.items()}


def _summary(stdout: str) -> list[str]:
    """What `unify run` printed, but the run's id and its report's file (a new one each run)."""
    return [line for line in stdout.splitlines() if not line.startswith(("run ", "  run report:"))]


def _last_published(setup: Setup) -> str:
    return query(setup.warehouse, "select run_id from pipeline_runs order by finished_at desc limit 1")[0][0]


def _runs(setup: Setup) -> list:
    with setup.instance() as instance:
        return instance.get_runs()


def test_a_run_handed_to_the_worker_is_the_run_a_fresh_process_makes(setup):
    setup.save()
    setup.add_file("李娜.xlsx")
    handed = setup.unify("run", "--incremental", "--as-of", AS_OF)
    assert handed.returncode == 0, handed.stderr
    warm = _published(setup.warehouse)
    (run,) = [r for r in _runs(setup) if worker.WORKER_TAG in r.tags]
    assert run.status == DagsterRunStatus.SUCCESS and run.job_name == "incremental_update"
    assert handed.stdout.startswith(f"run {run.run_id}: published")  # the worker's run, in the instance's log
    with setup.instance() as instance:
        steps = {e.step_key for e in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)}
    assert "warehouse__published" in steps

    setup.restore()
    setup.stop_worker()
    fresh = setup.unify("run", "--incremental", "--as-of", AS_OF)  # worker down: the command runs it itself
    setup.start_worker()
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stderr == handed.stderr == ""
    assert _summary(fresh.stdout) == _summary(handed.stdout) and "sales/李娜.xlsx" in handed.stdout
    assert _published(setup.warehouse) == warm
    assert worker.WORKER_TAG not in _runs(setup)[0].tags


def test_a_wrong_secret_is_refused_and_the_command_runs_the_job_itself(setup, capsys):
    settings = setup.settings(worker_secret="not-the-secret")
    before = len(_runs(setup))
    assert worker.hand_off(settings, "incremental_update", None, 1.0) is None
    assert f"the worker on {worker.HOST}:{setup.port}" in capsys.readouterr().err
    connection = HTTPConnection(worker.HOST, setup.port, timeout=5)
    connection.request("POST", worker.RUNS_PATH, body=b"{}")  # no secret at all
    assert connection.getresponse().status == 401
    assert len(_runs(setup)) == before  # nothing ran


def test_a_hand_off_for_another_warehouse_is_declined(setup, tmp_path):
    settings = setup.settings(warehouse=f"duckdb:///{tmp_path / 'other.duckdb'}")
    request = worker._request(settings, "incremental_update", None, 1.0, detach=False)
    assert worker._post(settings, request) is None


def test_no_worker_or_a_silent_one_means_no_hand_off(setup):
    with socket.socket() as silent:  # accepts connections (the kernel does) but never answers
        silent.bind((worker.HOST, 0))
        silent.listen()
        started = time.monotonic()
        settings = setup.settings(worker_port=silent.getsockname()[1])
        assert worker.hand_off(settings, "incremental_update", None, 1.0) is None
        assert time.monotonic() - started < worker.CONNECT_SECONDS + 2
    assert worker.hand_off(setup.settings(worker_port=_free_port()), "incremental_update", None, 1.0) is None
    assert worker.hand_off(setup.settings(worker_secret=""), "incremental_update", None, 1.0) is None


def _wait_for_step(setup: Setup, step: str, timeout: float = 120) -> str:
    """The id of the worker's run once it started `step`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with setup.instance() as instance:
            for run in instance.get_runs(limit=1):
                if worker.WORKER_TAG in run.tags and run.status == DagsterRunStatus.STARTED:
                    if step in {e.step_key for e in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)}:
                        return run.run_id
        time.sleep(0.2)
    raise AssertionError(f"the worker's run did not reach {step}")


def test_a_worker_killed_mid_run_leaves_the_last_tables_live_and_the_command_runs_it_again(setup):
    last = _last_published(setup)
    setup.add_file("王芳.xlsx")
    command = [sys.executable, "-m", "pipelines.cli", "run", "--incremental", "--as-of", AS_OF]
    client = subprocess.Popen(command, env=setup.env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = _wait_for_step(setup, "golden__customer_source_records")
    setup.worker.kill()
    setup.worker.wait()
    setup.worker = None
    assert _last_published(setup) == last
    out, err = (text.decode() for text in client.communicate(timeout=300))
    assert client.returncode == 0, err
    assert f"the worker ended during run {killed} (marked failed); running it again in this process" in err
    with setup.instance() as instance:
        assert instance.get_run_by_id(killed).status == DagsterRunStatus.FAILURE
    published = _last_published(setup)
    assert out.startswith(f"run {published}: published") and published != killed and "sales/王芳.xlsx" in out
    setup.start_worker()  # the run lock is free for the next holder


def test_the_sensor_hands_its_run_to_the_worker(setup):
    from dagster import build_sensor_context

    from assets.resources import SourcesFolder
    from pipelines.automation import sources_sensor

    definition = sources_sensor(setup.settings())
    resources = {"sources": SourcesFolder(path=str(setup.sources), settle_seconds=0)}
    with setup.instance() as instance:
        with build_sensor_context(instance=instance, resources=resources) as context:
            result = definition.evaluate_tick(context)
    assert result.run_requests == []
    handed = result.skip_message.removeprefix("run ").removesuffix(" handed to the warm worker")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with setup.instance() as instance:
            run = instance.get_run_by_id(handed)
        if run is not None and run.is_finished:
            break
        time.sleep(0.5)
    assert run.status == DagsterRunStatus.SUCCESS and run.tags["unify/trigger"] == "sources_folder"
    with run_lock(setup.settings().warehouse, wait_seconds=60):  # the worker's summary has let the file go
        assert _last_published(setup) == handed


def test_without_a_worker_the_sensor_requests_the_run(setup):
    from dagster import build_sensor_context

    from assets.resources import SourcesFolder
    from pipelines.automation import sources_sensor

    definition = sources_sensor(setup.settings(worker_port=_free_port()))
    resources = {"sources": SourcesFolder(path=str(setup.sources), settle_seconds=0)}
    with setup.instance() as instance:
        with build_sensor_context(instance=instance, resources=resources) as context:
            result = definition.evaluate_tick(context)
    (request,) = result.run_requests
    assert request.tags["unify/trigger"] == "sources_folder"
