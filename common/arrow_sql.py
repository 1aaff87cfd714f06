"""SQL over Arrow tables with DuckDB: how every stage computes on its tables.

One in-memory DuckDB database per process, and a fresh connection (a cursor) to it per use: each
use sees only the tables it registers and its own temporary tables, without paying ~30 ms to open
a database every time. A forked worker opens its own (a database does not survive a fork).
"""

from __future__ import annotations

import os

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

_database: tuple[int, duckdb.DuckDBPyConnection] | None = None


def connection(**tables: pa.Table) -> duckdb.DuckDBPyConnection:
    """A connection of its own, with each keyword table visible under its name."""
    global _database
    if _database is None or _database[0] != os.getpid():
        _database = (os.getpid(), duckdb.connect())
    con = _database[1].cursor()
    for name, table in tables.items():
        con.register(name, table)
    return con


def query(sql: str, params: dict | None = None, **tables: pa.Table) -> pa.Table:
    """The result of `sql`, where each keyword table is visible under its name."""
    with connection(**tables) as con:
        return con.sql(sql, params=params).to_arrow_table()


def rows_where(table: pa.Table, mask: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The rows where `mask` holds; the table itself when it holds for all of them (Arrow's filter
    copies every buffer: hundreds of MB for an incremental run that keeps nearly everything)."""
    return table if pc.all(mask).as_py() and mask.null_count == 0 else table.filter(mask)
