"""Atomic publication: readers see the previous complete tables or the new ones, never half.

New data is loaded into `<table>__next` tables, then one transaction drops each old table and
renames its successor, and applies the state changes (registry upserts, history, run row). A run
that fails before that commit leaves everything as it was. State tables are never dropped.
"""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import Connection, Engine, Table, inspect, text

from warehouse.tables import STATE, identity_registry, metadata

NEXT_SUFFIX = "__next"


def ensure_state_tables(engine: Engine) -> None:
    metadata.create_all(engine, tables=list(STATE), checkfirst=True)


def _conform(table: Table, data: pa.Table) -> pa.Table:
    """The data in the contract's column order; a missing contract column is a bug, not a null."""
    names = [c.name for c in table.columns]
    missing = [n for n in names if n not in data.column_names]
    if missing:
        raise ValueError(f"{table.name}: data lacks contract column(s) {missing}")
    return data.select(names)


def bulk_insert(conn: Connection, table_name: str, data: pa.Table) -> None:
    """Fast load through the driver: DuckDB scans the Arrow table, PostgreSQL takes COPY."""
    columns = ", ".join(f'"{c}"' for c in data.column_names)
    if conn.dialect.name == "duckdb":
        raw = conn.connection.driver_connection
        view = f"_arrow_{table_name}"
        raw.register(view, data)
        try:
            conn.exec_driver_sql(f'insert into "{table_name}" ({columns}) select {columns} from "{view}"')
        finally:
            raw.unregister(view)
        return
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'copy "{table_name}" ({columns}) from stdin') as copy:
        for row in data.to_pylist():
            copy.write_row(tuple(row.values()))


def _next_table(table: Table) -> Table:
    return table.to_metadata(metadata.__class__(), name=table.name + NEXT_SUFFIX)


def publish(engine: Engine, published: dict[Table, pa.Table], appends: dict[Table, pa.Table], registry: pa.Table | None) -> None:
    """Replace the published tables and apply state changes in one transaction."""
    ensure_state_tables(engine)
    with engine.begin() as conn:
        for table, data in published.items():
            staging = _next_table(table)
            staging.drop(conn, checkfirst=True)
            staging.create(conn)
            bulk_insert(conn, staging.name, _conform(table, data))
        if registry is not None:
            _upsert_registry(conn, registry)
        for table, data in appends.items():
            bulk_insert(conn, table.name, _conform(table, data))
        existing = set(inspect(conn).get_table_names())
        for table in published:
            if table.name in existing:
                conn.exec_driver_sql(f'drop table "{table.name}"')
            conn.exec_driver_sql(f'alter table "{table.name}{NEXT_SUFFIX}" rename to "{table.name}"')


def _upsert_registry(conn: Connection, registry: pa.Table) -> None:
    staging = _next_table(identity_registry)
    staging.drop(conn, checkfirst=True)
    staging.create(conn)
    bulk_insert(conn, staging.name, _conform(identity_registry, registry))
    match = """s.source_file = identity_registry.source_file and s.source_sheet = identity_registry.source_sheet
            and s.source_row = identity_registry.source_row"""
    conn.execute(text(f'update "{staging.name}" s set first_run_id = identity_registry.first_run_id from identity_registry where {match}'))
    conn.execute(
        text(
            f'delete from identity_registry where exists (select 1 from "{staging.name}" s where {match})'
        )
    )
    conn.execute(text(f'insert into identity_registry select * from "{staging.name}"'))
    staging.drop(conn)

