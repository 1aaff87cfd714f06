"""Run one DuckDB query over Arrow tables: the marts' only way to compute."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def query(sql: str, params: dict | None = None, **tables: pa.Table) -> pa.Table:
    """The result of `sql`, where each keyword table is visible under its name."""
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    return con.sql(sql, params=params).to_arrow_table()
