"""Reading the state tables the pipeline builds on: the identity registry and run history."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import Engine, func, select

from warehouse.publish import ensure_state_tables
from warehouse.tables import customer_id_history, identity_registry


def read_registry(engine: Engine) -> dict[tuple[str, str, int], str]:
    """Lineage key -> customer_id for every record seen by an earlier run."""
    ensure_state_tables(engine)
    r = identity_registry.c
    with engine.connect() as conn:
        rows = conn.execute(select(r.source_file, r.source_sheet, r.source_row, r.customer_id)).all()
    return {(f, s, int(n)): c for f, s, n, c in rows}


def highest_customer_id(engine: Engine) -> str | None:
    """The highest customer ID ever minted (registry or history); None for a new warehouse."""
    ensure_state_tables(engine)
    with engine.connect() as conn:
        ids = [
            conn.execute(select(func.max(identity_registry.c.customer_id))).scalar(),
            conn.execute(select(func.max(customer_id_history.c.customer_id))).scalar(),
        ]
    # IDs are fixed-width, so the largest string is the largest number
    return max((i for i in ids if i), default=None)


def read_table(engine: Engine, name: str) -> pa.Table:
    with engine.connect() as conn:
        result = conn.exec_driver_sql(f'select * from "{name}"')
        columns = list(result.keys())
        rows = result.fetchall()
    return pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
