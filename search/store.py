"""The search's view of the warehouse: a snapshot in memory, refreshed when a new run publishes.

Every few seconds a background thread checks, cheaply, whether anything changed (for a DuckDB
file: its modification time first, so an untouched file is not even opened); when the latest
run_id differs it loads the new snapshot and swaps it in at once. Requests always read the
current snapshot object, so they never wait for a load and never see half of one. If the
warehouse cannot be read (a run is publishing), the previous snapshot keeps answering.

Audit entries are queued and written in batches by the same thread, so a customer page never
waits on the warehouse lock; a batch that cannot be written stays queued for the next round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path

from sqlalchemy.engine import make_url

from common.clock import utc_now
from config.settings import setting
from search.branches import Branch, BranchFile, Scope, scope_of
from search.retry import WarehouseUnavailable
from search.snapshot import Control, Snapshot, read_control, read_erasures, read_snapshot
from search.staff import write_audit
from warehouse.engine import make_engine, warehouse_url

logger = logging.getLogger("unify.search")

REFRESH_SECONDS = 2.0
QUIET_SECONDS = 1.0  # a DuckDB file written this recently may be mid-publish: look again later


class Store:
    def __init__(
        self, url: str | None = None, refresh_seconds: float = REFRESH_SECONDS, branches_file: str | Path | None = None
    ):
        """branches_file: the branches YAML (default: the branches_file setting); BranchError when unreadable."""
        self.url = warehouse_url(url)
        self.branch_file = BranchFile(branches_file if branches_file is not None else setting("branches_file"))
        self.engine = make_engine(self.url)
        self.refresh_seconds = refresh_seconds
        self.snapshot = Snapshot.empty()
        self.control = Control()
        # one warehouse connection at a time from this process: DuckDB refuses a file opened
        # read-only and read-write by the same process at once
        self.io_lock = threading.Lock()
        self._file = _duckdb_file(self.url)
        self._seen_stamp: tuple | None = None
        self._audit: deque[dict] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ refreshing

    def refresh(self, force: bool = False) -> bool:
        """Reload what changed; True when a new snapshot was swapped in. Never raises for a busy warehouse."""
        stamp = self._stamp()
        if not force and self._file is not None and (stamp == self._seen_stamp or _too_recent(stamp)):
            return False
        try:
            with self.io_lock:
                control = read_control(self.url)
                # a new publish, or an erasure since this snapshot was read (the person must go now)
                stale = force or control.run_id != self.snapshot.run_id
                stale = stale or read_erasures(self.url) != self.snapshot.erasures
                snapshot = read_snapshot(self.url) if stale else None
        except WarehouseUnavailable as exc:
            logger.info("warehouse not readable now, keeping run %s: %s", self.snapshot.run_id, exc)
            return False
        self.control = control
        self._seen_stamp = stamp
        if snapshot is None:
            return False
        self.snapshot = snapshot
        logger.info(
            "loaded run %s: %d customers, %d search keys", snapshot.run_id, snapshot.customers, snapshot.index.size
        )
        return True

    def _stamp(self) -> tuple | None:
        """Modification times and sizes of the DuckDB file and its write-ahead log."""
        if self._file is None:
            return None
        stats = [p.stat() for p in (self._file, self._file.with_name(self._file.name + ".wal")) if p.exists()]
        return tuple((s.st_mtime_ns, s.st_size) for s in stats)

    def reload_control(self) -> None:
        """Read accounts, tokens and branches again now: after the admin page changed them."""
        with self.io_lock:
            self.control = read_control(self.url)

    # ------------------------------------------------------------ branches

    def branches(self) -> dict[str, Branch]:
        """Every branch: the admin page's, and the file's (which win a name both define)."""
        return {**self.control.branches, **self.branch_file.branches()}

    def scope(self, branches: tuple[str, ...] | None) -> Scope | None:
        """What an account limited to these branches sees; None: unscoped."""
        return scope_of(branches, self.branches())

    # ------------------------------------------------------------ audit

    def audit(self, username: str, action: str, target: str | None = None, detail: str | None = None) -> None:
        """Queue an audit entry. target is a customer or pair ID, never a phone number or email."""
        self._audit.append(
            {"at": utc_now(), "username": username, "action": action, "target": target, "detail": detail}
        )

    def flush_audit(self) -> int:
        """Write queued audit entries; returns how many are still waiting."""
        batch = [self._audit.popleft() for _ in range(len(self._audit))]
        if not batch:
            return 0
        try:
            with self.io_lock:
                write_audit(self.engine, batch)
        except Exception as exc:
            self._audit.extendleft(reversed(batch))  # kept for the next round, in order
            if not isinstance(exc, WarehouseUnavailable):
                raise
        return len(self._audit)

    # ------------------------------------------------------------ background thread

    def start(self) -> None:
        self.refresh(force=True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="unify-search-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.flush_audit()

    def _loop(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.refresh()
                self.flush_audit()
            except Exception:  # the search must outlive a bad round; the next one tries again
                logger.exception("refresh round failed")


def _duckdb_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "duckdb" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database)
    return None


def _too_recent(stamp: tuple | None) -> bool:
    newest = max((mtime for mtime, _ in stamp or ()), default=0)
    return time.time() - newest / 1e9 < QUIET_SECONDS
