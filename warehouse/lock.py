"""One run per warehouse at a time: the run lock.

Two runs on one warehouse would share its work area and race to publish, so a run holds its
warehouse's run lock from its first step to its last, and a second run waits for it a bounded
time (DEFAULT_WAIT_SECONDS unless told otherwise), then gives up with WarehouseBusy.

The lock dies with its holder, so there is never a stale lock to clear by hand:
* beside a DuckDB file it is an fcntl lock on `<file>.run.lock`, which the kernel releases when
  the holding process ends, however it ends; the file names its holder (pid, host, since when);
* on PostgreSQL it is a session advisory lock keyed by the database and schema, released when
  the holding connection closes.

Within one process the lock is re-entrant: `unify run` takes it before it starts the Dagster run
(so a busy warehouse is one line, not a failed run) and the run's warehouse resource takes it
again at no cost; a run the UI, the schedule or the sensor starts takes it in its own process.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from warehouse.engine import make_engine, warehouse_url

DEFAULT_WAIT_SECONDS = 60.0  # long enough for an incremental run in progress to finish
POLL_SECONDS = 0.2
LOCK_SUFFIX = ".run.lock"

_held: dict[str, int] = {}  # lock identity -> how many holders in this process
_held_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another run held the warehouse's run lock for longer than this run would wait."""


def shown_url(url: str) -> str:
    """The warehouse URL as messages show it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def run_lock(
    url: str | None = None, wait_seconds: float = DEFAULT_WAIT_SECONDS, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's run lock; wait up to wait_seconds for another run to let it go (on_wait
    is told once, when waiting starts), else raise WarehouseBusy. An in-memory DuckDB is nobody
    else's: nothing to lock."""
    url = warehouse_url(url)
    lock = _lock_of(url)
    if lock is None:
        yield
        return
    with _held_guard:
        again = _held.get(lock.identity, 0) > 0
        if again:
            _held[lock.identity] += 1
    if not again:
        _acquire(lock, url, wait_seconds, on_wait)
        with _held_guard:
            _held[lock.identity] = 1
    try:
        yield
    finally:
        with _held_guard:
            _held[lock.identity] -= 1
            last = _held[lock.identity] == 0
            if last:
                del _held[lock.identity]
        if last:
            lock.release()


def _acquire(lock, url: str, wait_seconds: float, on_wait: Callable[[str], None] | None) -> None:
    deadline = time.monotonic() + wait_seconds
    told = False
    try:
        while not lock.try_acquire():
            busy = f"another run is in progress on {shown_url(url)}{_by(lock.holder())}"
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"{busy}; waited {wait_seconds:g} s")
            if on_wait and not told:
                on_wait(f"{busy}: waiting up to {wait_seconds:g} s")
                told = True
            time.sleep(POLL_SECONDS)
    except BaseException:
        lock.abandon()
        raise


def _by(holder: str) -> str:
    return f" ({holder})" if holder else ""


def _lock_of(url: str):
    parsed = make_url(url)
    if parsed.get_backend_name() == "duckdb":
        if not parsed.database or parsed.database == ":memory:":
            return None
        return FileLock(Path(parsed.database + LOCK_SUFFIX))
    return AdvisoryLock(url)


def _holder_text() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now():%Y-%m-%d %H:%M:%S}"


class FileLock:
    """An fcntl (flock) lock on a file beside the DuckDB file; its content names the holder."""

    def __init__(self, path: Path):
        self.path = path.resolve()
        self.identity = str(self.path)
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, _holder_text().encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""

    def abandon(self) -> None:
        """Nothing to give back: a lock not acquired holds no file open."""

    def release(self) -> None:
        # the file stays: removing it would let a waiter lock a file nobody else opens again
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


# one key per database and schema: two warehouses in one database (by search_path) do not block each other
KEY_SQL = "select hashtextextended('unify run lock ' || current_database() || '.' || current_schema(), 0)"
HOLDER_SQL = """
select a.pid, a.client_addr, a.backend_start from pg_locks l join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted and l.objsubid = 1 and l.classid::bigint = :high and l.objid::bigint = :low
"""


class AdvisoryLock:
    """A PostgreSQL session advisory lock, held on a connection of its own for the whole run."""

    def __init__(self, url: str):
        self.url = url
        self.identity = shown_url(url)
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._key: int | None = None

    def _connection(self) -> Connection:
        if self._conn is None:
            self._engine = self._engine or make_engine(self.url)
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._key = self._conn.execute(text(KEY_SQL)).scalar()
        return self._conn

    def try_acquire(self) -> bool:
        return bool(self._connection().execute(text("select pg_try_advisory_lock(:key)"), {"key": self._key}).scalar())

    def holder(self) -> str:
        high, low = (self._key >> 32) & 0xFFFFFFFF, self._key & 0xFFFFFFFF
        row = self._connection().execute(text(HOLDER_SQL), {"high": high, "low": low}).first()
        if row is None:
            return ""
        since = f"{row.backend_start:%Y-%m-%d %H:%M:%S}"
        return f"server pid {row.pid} from {row.client_addr or 'a local socket'} since {since}"

    def release(self) -> None:
        try:
            self._connection().execute(text("select pg_advisory_unlock(:key)"), {"key": self._key})
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Close the lock's connection (the server drops a session's advisory locks with it)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
