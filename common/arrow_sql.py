"""SQL over Arrow tables with DuckDB: how every stage computes on its tables.

One in-memory DuckDB database per process, and a fresh connection (a cursor) to it per use: each
use sees only the tables it registers and its own temporary tables, without paying ~30 ms to open
a database every time. A forked worker opens its own (a database does not survive a fork).

Every database the process opens for heavy work (this shared one, each Splink linker's) comes from
`database()`, under the limits a run sets with `limit()`: at most that much memory each, the rest
spilled to a folder of its own in the run's work area instead of failing (DuckDB removes the folder
when the database closes; a killed process's folder is removed by the next `limit()`).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Limits:
    memory_bytes: int | None = None  # None: DuckDB's own (80% of the RAM)
    spill_root: Path | None = None  # None: DuckDB's own (.tmp in the working directory)


_database: tuple[int, duckdb.DuckDBPyConnection] | None = None
_limits = Limits()
_opened = itertools.count()  # names each database's spill folder within its process


def limit(memory_bytes: int, spill_root: Path) -> None:
    """From now on each DuckDB database of this process holds at most memory_bytes and spills
    under spill_root. Under other limits the shared database is opened anew at its next use (one
    still in use lives on until its connections close: a database cannot move its spill folder)."""
    global _limits, _database
    limits = Limits(memory_bytes, Path(spill_root))
    limits.spill_root.mkdir(parents=True, exist_ok=True)
    remove_abandoned(limits.spill_root)
    if limits != _limits:
        _limits, _database = limits, None


def spill_root() -> Path | None:
    """The folder this process's databases spill under; None: DuckDB's own. A folder in it named
    `<pid>-...` is removed by the next run once that process is gone."""
    return _limits.spill_root


def memory_budget() -> int | None:
    """The memory limit each DuckDB database of this process holds to; None: DuckDB's own."""
    return _limits.memory_bytes


def database() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB database under this process's limits (threads as DuckDB chooses)."""
    con = duckdb.connect()
    _apply(con)
    return con


def _apply(con: duckdb.DuckDBPyConnection) -> None:
    apply_memory_limit(con)
    # DuckDB's allocator keeps what a query freed until its next allocations: the model step at a
    # million records held 1.1 GB after training. Its background thread gives it back within seconds.
    con.execute("set allocator_background_threads = true")
    if _limits.spill_root is not None:
        folder = _limits.spill_root / f"{os.getpid()}-{next(_opened)}"
        con.execute(f"set temp_directory = '{_sql_text(str(folder))}'")


def apply_memory_limit(con) -> None:
    """This process's memory limit on a connection of any DuckDB database: the warehouse file's
    connections (warehouse.engine) take it too. Not the spill folder: a database file's
    connections in one process share one database, which cannot move a spill folder it has used
    (it spills beside the file instead)."""
    if _limits.memory_bytes is not None:
        con.execute(f"set memory_limit = '{int(_limits.memory_bytes)}B'")


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def remove_abandoned(folder: Path, prefix: str = "") -> None:
    """What processes that are gone left in `folder` (killed before they could remove it): the
    files and folders named `<prefix><pid>-...`, as this process names its own."""
    for path in folder.iterdir():
        pid = path.name.removeprefix(prefix).split("-")[0] if path.name.startswith(prefix) else ""
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def connection(**tables: pa.Table) -> duckdb.DuckDBPyConnection:
    """A connection of its own, with each keyword table visible under its name."""
    global _database
    if _database is None or _database[0] != os.getpid():
        _database = (os.getpid(), database())
    con = _database[1].cursor()
    for name, table in tables.items():
        con.register(name, table)
    return con


def column_list(names: Sequence[str]) -> str:
    """Column names quoted and comma-separated, for a select, a USING or a hash."""
    return ", ".join(f'"{c}"' for c in names)


def query(sql: str, params: dict | None = None, **tables: pa.Table) -> pa.Table:
    """The result of `sql`, where each keyword table is visible under its name."""
    with connection(**tables) as con:
        return con.sql(sql, params=params).to_arrow_table()


# (tables by name, queries) -> each query's result: how a stage runs its SQL, on DuckDB (results
# below) or on Spark (engines.spark.results), the same SQL either way
Queries = Callable[[Mapping[str, pa.Table], Sequence[str]], list[pa.Table]]


def results(tables: Mapping[str, pa.Table], queries: Sequence[str]) -> list[pa.Table]:
    """Each query's result over the same tables, on one connection."""
    with connection(**tables) as con:
        return [con.sql(sql).to_arrow_table() for sql in queries]


def rows_where(table: pa.Table, mask: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The rows where `mask` holds; without a copy when they are all of them or the first ones (an
    incremental run's old records before the new ones appended after them): Arrow's filter copies
    every buffer, hundreds of MB for an incremental run that keeps nearly everything."""
    if mask.null_count == 0:
        held = pc.sum(mask).as_py() or 0
        if held == len(mask):
            return table
        if held and pc.all(mask.slice(0, held)).as_py():
            return table.slice(0, held)
    return table.filter(mask)
