"""The Dagster instance a `unify` command runs its job on: the project's, with a cheaper event log.

Dagster's SQLite event log opens a new SQLAlchemy engine (and connection) for every event it
stores, and a run stores about 150 (each step, output, materialization and check); at ~20 ms each
that is 2-3 s of a run, most of an incremental run's budget. A command runs one job and exits, so
its event log keeps one engine per database file for its lifetime instead, and syncs the disk at
WAL checkpoints rather than at every commit. The files, tables and
rows are Dagster's own: `dagster dev` and the daemon read them with the stock class.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine, event


class OneRunSqliteEventLog(SqliteEventLogStorage):
    """Dagster's per-run-sharded SQLite event log, one engine per shard kept open."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, Engine] = {}
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "OneRunSqliteEventLog":
        return cls(inst_data=inst_data, **config_value)  # the parent's names the parent class

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
                )
                event.listen(engine, "connect", _sync_at_checkpoints)
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    """Dagster's databases are in WAL mode, where this stays consistent through any crash (a power
    cut may lose the last events); the default syncs the disk at every commit, ~1.3 ms x ~480 a run."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def command_instance() -> DagsterInstance:
    """The instance in $DAGSTER_HOME; when it keeps Dagster's default SQLite storage, with the
    one-run event log over the same files (any other configured storage is used as configured)."""
    ref = InstanceRef.from_dir(os.environ["DAGSTER_HOME"])
    if ref.storage_data and ref.storage_data.class_name == DagsterSqliteStorage.__name__:
        event_log = ConfigurableClassData(__name__, OneRunSqliteEventLog.__name__, ref.event_storage_data.config_yaml)
        # without the unified storage the instance is built from its parts, with this event log among them
        ref = ref._replace(storage_data=None, event_storage_data=event_log)
    return DagsterInstance.from_ref(ref)
