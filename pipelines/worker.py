"""The warm worker: `unify worker` keeps one process loaded, and `unify run --incremental` and the
sources sensor hand their runs to it.

Why: a fresh `unify run` spends about 4.5 s importing Dagster, Splink, pandas and pypinyin and
creating the run before its first step does any work; with 1% new records that is more than the
work itself. The worker imports all of it once and runs each incremental run in the same process,
on the project's Dagster instance, through the very function a local `unify run` calls
(`pipelines.cli.run_job`): the same steps, the same event log (the run shows in the UI), the
same run lock, the same summary and exit code, sent back to the command line by line.

Why a worker of its own rather than `unify serve` or a Dagster code server: the search serves
staff and may run on another host with read rights only, and its process should not grow by a
run's memory; a Dagster code server answers definitions, while runs are started by the run
launcher in a new process of their own, which pays the imports again.

The hand-off is HTTP on loopback only (127.0.0.1:UNIFY_WORKER_PORT), each request carrying
UNIFY_WORKER_SECRET as a bearer token, compared in constant time; without a secret no worker
starts and nothing is handed off. The caller runs the job itself when no worker answers, when
the worker refuses its secret, is busy with another run, serves another warehouse or Dagster
instance, or ends during the run (that run is then marked failed in Dagster, so neither the UI
nor the sensor waits for it). A worker that dies mid-run leaves nothing half done: the publish is
one transaction, and the run lock dies with its holder (warehouse/lock.py).

Only incremental runs are handed off: a full run's memory would stay with the worker.
"""

from __future__ import annotations

import hmac
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import asdict
from http.client import HTTPConnection, HTTPResponse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import TextIOBase
from pathlib import Path

from config.settings import Settings, SettingsError, env_name

HOST = "127.0.0.1"  # loopback only: the worker is this machine's
RUNS_PATH = "/runs"
HANDED_JOBS = ("incremental_update",)
WORKER_TAG = "unify/worker"  # pid@host of the worker that runs it: a run whose worker is gone is failed
CONNECT_SECONDS = 2.0  # a worker that does not answer a hand-off in this time is not up
HEARTBEAT_SECONDS = 2.0  # the worker says it is alive this often during a run
SILENCE_SECONDS = 30.0  # a worker silent this long during a run is taken as gone
# a killed process's connection closes as it exits, a moment before the kernel lists it as ended
EXITING_SECONDS = 2.0
# what a warm worker imports before its first run (the rest comes with pipelines.definitions)
WARM_MODULES = ("pipelines.definitions", "splink", "linkage.scoring.duckdb", "pypinyin", "pandas")

RunJob = Callable[..., int]  # pipelines.cli.run_job's signature, with its expected errors answered


class WorkerError(Exception):
    """The worker cannot start: no secret, or its port is taken."""


# --- the caller's side ---


def hand_off(settings: Settings, job: str, run_settings: dict | None, wait: float) -> int | None:
    """Run the job on the warm worker, printing what it prints; its exit code, or None when no
    worker took the run to its end (the caller then runs it itself)."""
    answer = _post(settings, _request(settings, job, run_settings, wait, detach=False))
    if answer is None:
        return None
    with answer as response:
        return _follow(response)


def hand_over(settings: Settings, job: str, tags: dict, dagster_home: str) -> str | None:
    """Start the job on the warm worker without waiting for it (the sensor's way): the run's id,
    or None when no worker took it."""
    answer = _post(settings, {**_request(settings, job, None, 0.0, detach=True), "tags": tags, "home": dagster_home})
    if answer is None:
        return None
    with answer as response:
        return json.loads(response.read())["run_id"] if response.status == 202 else None


def _request(settings: Settings, job: str, run_settings: dict | None, wait: float, detach: bool) -> dict:
    home = str(Path(os.environ.get("DAGSTER_HOME", "")).resolve())  # the worker's instance must be this one
    return {
        "job": job,
        "settings": asdict(settings),
        "run_settings": run_settings,
        "wait": wait,
        "detach": detach,
        "home": home,
        "tags": {},
    }


def _post(settings: Settings, request: dict) -> HTTPResponse | None:
    """The worker's answer to a hand-off, when it took it (200, or 202 when detached); None when it is
    not up, not answering or declines. A refused secret is said in one line: it is a setting to fix."""
    if not settings.worker_secret:
        return None
    connection = HTTPConnection(HOST, settings.worker_port, timeout=CONNECT_SECONDS)
    headers = {"Authorization": f"Bearer {settings.worker_secret}", "Content-Type": "application/json"}
    try:
        connection.request("POST", RUNS_PATH, body=json.dumps(request).encode(), headers=headers)
        sock = connection.sock  # the response reads from it; the connection lets go of it
        response = connection.getresponse()
    except OSError:  # refused, timed out, reset: no worker here
        connection.close()
        return None
    if response.status in (200, 202):
        sock.settimeout(SILENCE_SECONDS)  # a run takes long; a worker silent past its heartbeats is gone
        return response
    if response.status == 401:
        port = env_name("worker_port")
        print(
            f"unify: the worker on {HOST}:{settings.worker_port} ({port}) refused this command's "
            f"{env_name('worker_secret')}; running in this process",
            file=sys.stderr,
        )
    connection.close()
    return None


def _follow(response: HTTPResponse) -> int | None:
    """Print the worker's lines as they come; its exit code, or None when it went away first."""
    started = {}
    try:
        for message in _messages(response):
            if "run_id" in message:
                started = message
            elif "out" in message:
                sys.stdout.write(message["out"])
            elif "err" in message:
                sys.stderr.write(message["err"])
            elif "exit" in message:
                return int(message["exit"])
    except OSError:
        pass
    what = f"run {started['run_id']}" if started else "the run"
    if started and _ended_within(started["worker"], EXITING_SECONDS):
        fail_orphaned_runs()
        what += " (marked failed)"
    print(f"unify: the worker ended during {what}; running it again in this process", file=sys.stderr)
    return None


def _messages(response: HTTPResponse) -> Iterator[dict]:
    for line in response:
        yield json.loads(line)


def fail_orphaned_runs(instance=None) -> list[str]:
    """Mark failed the runs a worker on this host started and could not finish (it died): without
    this they stay 'started' in Dagster for ever, and the sensor waits for them. Their ids."""
    from dagster import DagsterRunStatus, RunsFilter

    from pipelines.instance import command_instance

    in_progress = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
    owned = instance or command_instance()
    try:
        failed = []
        for run in owned.get_runs(filters=RunsFilter(statuses=in_progress)):
            worker = run.tags.get(WORKER_TAG)
            if worker and not _alive(worker):
                owned.report_run_failed(run, "the worker that ran it ended during the run")
                failed.append(run.run_id)
        return failed
    finally:
        if instance is None:
            owned.dispose()


def _worker_id() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def _ended_within(worker: str, seconds: float) -> bool:
    """Whether the worker named pid@host is gone, or goes within `seconds`."""
    deadline = time.monotonic() + seconds
    while _alive(worker):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _alive(worker: str) -> bool:
    """Whether the worker named pid@host still runs; one on another host is taken as alive."""
    pid, _, host = worker.partition("@")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _ended(int(pid))


def _ended(pid: int) -> bool:
    """A process that ended but that its parent has not collected yet (Linux's /proc; elsewhere: not known)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


# --- the worker's side ---


class Worker:
    """What the worker serves: runs of one warehouse on one Dagster instance, one at a time."""

    def __init__(self, settings: Settings, run_job: RunJob, dagster_home: str):
        self.settings = settings
        self.run_job = run_job
        self.home = str(Path(dagster_home).resolve())
        self._running = threading.Lock()

    def authorised(self, header: str | None) -> bool:
        expected = f"Bearer {self.settings.worker_secret}".encode()
        return bool(header) and hmac.compare_digest(header.encode(), expected)

    def declines(self, request: dict) -> str | None:
        """Why the worker will not take this run (the caller runs it itself), or None."""
        from warehouse.engine import warehouse_url

        if request["job"] not in HANDED_JOBS:
            return f"the worker runs {', '.join(HANDED_JOBS)} only"
        if warehouse_url(request["settings"]["warehouse"]) != warehouse_url(self.settings.warehouse):
            return "the worker serves another warehouse"
        if request["home"] != self.home:
            return "the worker runs on another Dagster instance"
        return None

    def start(self, request: dict) -> tuple[str, Callable[[Callable[[dict], None]], int]] | None:
        """Take the run if no other is running: its id and the call that runs it (telling each line
        to `say`), or None when busy."""
        if not self._running.acquire(blocking=False):
            return None
        run_id = str(uuid.uuid4())
        tags = {**request["tags"], WORKER_TAG: _worker_id()}
        settings = Settings(**request["settings"])

        def run(say: Callable[[dict], None]) -> int:
            try:
                with redirect_stdout(_Lines("out", say)), redirect_stderr(_Lines("err", say)):
                    return self.run_job(
                        settings, request["job"], request["run_settings"], request["wait"], tags, run_id
                    )
            finally:
                self._running.release()

        return run_id, run


class _Lines(TextIOBase):
    """A text stream whose writes go to the caller as messages."""

    def __init__(self, stream: str, say: Callable[[dict], None]):
        self.stream, self.say = stream, say

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self.say({self.stream: text})
        return len(text)


def _handler(worker: Worker) -> type[BaseHTTPRequestHandler]:
    class Handoff(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            """No access log: the hand-off carries settings, and the worker's output is its runs' summaries."""

        def do_POST(self) -> None:
            if self.path != RUNS_PATH:
                return self._answer(404, {"error": "unknown path"})
            if not worker.authorised(self.headers.get("Authorization")):
                return self._answer(401, {"error": "wrong or missing secret"})
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                reason = worker.declines(request)
                started = None if reason else worker.start(request)
            except (ValueError, KeyError, TypeError, SettingsError) as exc:
                return self._answer(400, {"error": f"not a hand-off: {type(exc).__name__}"})
            if reason or started is None:
                return self._answer(409, {"declined": reason or "the worker is running another run"})
            run_id, run = started
            if request["detach"]:
                threading.Thread(target=run, args=(_print_line,), daemon=True).start()
                return self._answer(202, {"run_id": run_id})
            self._stream(run_id, run)

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, run_id: str, run) -> None:
            """One JSON message a line: the run's id, heartbeats, its output, its exit code."""
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            guard, done = threading.Lock(), threading.Event()

            def say(message: dict) -> None:
                with guard:
                    try:
                        self.wfile.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
                        self.wfile.flush()
                    except OSError:  # the caller went away: the run goes on, as a local one would
                        pass

            def beat() -> None:
                while not done.wait(HEARTBEAT_SECONDS):
                    say({"alive": True})

            say({"run_id": run_id, "worker": _worker_id()})
            threading.Thread(target=beat, daemon=True).start()
            try:
                say({"exit": run(say)})
            finally:
                done.set()

    return Handoff


def _print_line(message: dict) -> None:
    """A detached run's output: the worker's own terminal."""
    stream = sys.stderr if "err" in message else sys.stdout
    stream.write(message.get("out", message.get("err", "")))
    stream.flush()


def warm_up() -> None:
    """Import what a run needs, so the first hand-off does not pay for it."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)


def serve(settings: Settings, run_job: RunJob, dagster_home: str) -> int:
    """Serve hand-offs on loopback until SIGTERM or Ctrl-C."""
    if not settings.worker_secret:
        raise WorkerError(f"the worker needs a secret for its callers: set {env_name('worker_secret')}")
    worker = Worker(settings, run_job, dagster_home)
    try:
        server = ThreadingHTTPServer((HOST, settings.worker_port), _handler(worker))
    except OSError as exc:
        raise WorkerError(f"cannot listen on {HOST}:{settings.worker_port}: {exc.strerror}") from None
    server.daemon_threads = True
    warm_up()
    failed = fail_orphaned_runs()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(
        f"unify worker on {HOST}:{settings.worker_port}, pid {os.getpid()}: incremental runs of "
        f"{_shown(settings.warehouse)}"
        + (f"; {len(failed)} run(s) of an ended worker marked failed" if failed else ""),
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _shown(url: str) -> str:
    from warehouse.lock import shown_url

    return shown_url(url)
