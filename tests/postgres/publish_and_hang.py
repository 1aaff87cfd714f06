"""A publish that stops inside its transaction and waits there to be killed.

    python publish_and_hang.py WAREHOUSE_URL READY_FILE

It publishes `release(3, "hung")` with the real code, except that after the first table's swap
(the old table dropped, the new one renamed into its place, nothing committed) it touches
READY_FILE and sleeps. Also imported by the tests for `release`: what one run publishes.
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from warehouse import publish, tables
from warehouse.engine import make_engine

REQUIRED = {bool: False, int: 1}


def _rows(table, customers: list[str], **values) -> pa.Table:
    """Rows for every column of `table`: the given values, a neutral value where NOT NULL, else null."""

    def neutral(column):
        if column.name in values:
            return values[column.name]
        return None if column.nullable else REQUIRED.get(column.type.python_type, 0)

    return pa.Table.from_pylist(
        [{c.name: (cid if c.name == "customer_id" else neutral(c)) for c in table.columns} for cid in customers]
    )


def release(customers: int, run_id: str) -> dict:
    """publish.publish arguments for a run that found `customers` customers."""
    ids = [f"C{i:08}" for i in range(1, customers + 1)]
    return {
        "published": {
            tables.golden_customers: _rows(tables.golden_customers, ids, display_name=run_id),
            tables.customer_value: _rows(tables.customer_value, ids, as_of=date(2025, 10, 30)),
        },
        "appends": {
            tables.pipeline_runs: pa.Table.from_pylist(
                [
                    {c.name: None for c in tables.pipeline_runs.columns}
                    | {"run_id": run_id, "finished_at": datetime(2025, 10, 30)}
                ]
            )
        },
        "registry": pa.Table.from_pylist(
            [
                {
                    "source_file": "shop/a.csv",
                    "source_sheet": "",
                    "source_row": i,
                    "customer_id": cid,
                    "first_run_id": run_id,
                    "last_run_id": run_id,
                }
                for i, cid in enumerate(ids, 1)
            ]
        ),
    }


def main(url: str, ready: Path) -> None:
    swap = publish._swap

    def swap_then_hang(conn, table, replaces):
        swap(conn, table, replaces)
        ready.touch()
        time.sleep(600)

    publish._swap = swap_then_hang
    publish.publish(make_engine(url), **release(3, "hung"))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
