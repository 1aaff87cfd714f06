"""The warehouse engine from its URL: embedded DuckDB by default, PostgreSQL for BI tools.

Both wait a bounded time for other programs' locks (UNIFY_LOCK_TIMEOUT seconds, default 60):
a DuckDB file admits one process while another holds it open (a BI tool, a notebook), so a
connection retries with backoff; PostgreSQL waits for table locks up to the same bound.

A server that cannot be reached is reported in one line naming its host, its port and the reason
(`check_connection`), so every command says the same thing instead of a driver's traceback.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from common.arrow_sql import apply_memory_limit
from config.settings import setting

LOCK_RETRY_MAX_SLEEP = 2.0


class WarehouseURLError(ValueError):
    pass


class WarehouseLockedError(RuntimeError):
    """Another process held the DuckDB warehouse file for longer than the lock timeout."""


class WarehouseUnreachable(RuntimeError):
    """The warehouse's server could not be reached; the message names the host, the port and why."""


def warehouse_url(url: str | None = None) -> str:
    """The URL given, else the warehouse setting (UNIFY_WAREHOUSE, else its default)."""
    return url or setting("warehouse")


def lock_timeout(seconds: float | None = None) -> float:
    return float(seconds) if seconds is not None else setting("lock_timeout")


def make_engine(url: str | None = None, lock_timeout_seconds: float | None = None) -> Engine:
    url = warehouse_url(url)
    timeout = lock_timeout(lock_timeout_seconds)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise WarehouseURLError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in {"duckdb", "postgresql"}:
        raise WarehouseURLError(
            f"unsupported warehouse {parsed.get_backend_name()!r}: use duckdb:///FILE or postgresql+psycopg://..."
        )
    if parsed.get_backend_name() == "duckdb" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "duckdb":
        # no pooled connections: DuckDB locks its file per process, so hold it only while working
        engine = create_engine(parsed, poolclass=NullPool)
        event.listen(engine, "do_connect", _retry_while_locked(parsed.database, timeout))
        # the publish and the state writes of a run under the run's memory limit, as its steps are
        event.listen(engine, "connect", lambda dbapi_connection, _record: apply_memory_limit(dbapi_connection))
        return engine
    connect_args = {} if "options" in parsed.query else {"options": f"-c lock_timeout={int(timeout * 1000)}"}
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def is_duckdb(engine: Engine) -> bool:
    return engine.dialect.name == "duckdb"


DEFAULT_PORTS = {"postgresql": 5432}


def check_connection(engine: Engine) -> None:
    """Connect once, so that an unreachable server is one line before any work starts. An embedded
    DuckDB file has no server (and connecting would create a missing file): it is not tried."""
    if is_duckdb(engine):
        return
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise WarehouseUnreachable(connection_problem(engine.url, exc)) from exc


def connection_problem(url: URL | str, exc: BaseException) -> str:
    """'cannot reach the warehouse at HOST:PORT (database DB): REASON', from a failed connection."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    port = parsed.port or DEFAULT_PORTS.get(parsed.get_backend_name(), "default port")
    return f"cannot reach the warehouse at {host}:{port} (database {parsed.database}): {connection_reason(exc)}"


def connection_reason(exc: BaseException) -> str:
    """The driver's reason, without its framing: psycopg says 'connection failed: connection to
    server at "h", port p failed: Connection refused' and then a hint on the next line."""
    driver = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(driver).splitlines() if line.strip()]
    if not lines:
        return type(driver).__name__
    reason = re.sub(r"^(FATAL|ERROR):\s*", "", lines[0].rsplit("failed: ", 1)[-1]).strip()
    return reason[:1].lower() + reason[1:]


def _retry_while_locked(path: str | None, timeout: float):
    """A do_connect hook: retry a DuckDB connection while another process holds the file."""

    def connect(dialect, conn_rec, cargs, cparams):
        deadline, pause = time.monotonic() + timeout, 0.05
        while True:
            try:
                return dialect.connect(*cargs, **cparams)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() + pause > deadline:
                    raise WarehouseLockedError(
                        f"the DuckDB warehouse {path} is still held open by another process after {timeout:g} s: "
                        "close it there (BI tools should connect read-only and briefly, or read a copy; see docs/warehouse.md) "
                        f"or wait longer with UNIFY_LOCK_TIMEOUT. DuckDB said: {exc}"
                    ) from exc
                time.sleep(pause)
                pause = min(pause * 2, LOCK_RETRY_MAX_SLEEP)

    return connect
