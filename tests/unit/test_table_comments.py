"""Every published table and column is described once, in its definition (warehouse/tables.py):
the database comments and Dagster's column schema are made from it."""

from __future__ import annotations

import pyarrow as pa

from assets.metadata import table_metadata
from warehouse import tables


def test_every_published_table_and_column_has_a_description():
    undescribed = [
        f"{t.name}.{c.name}" for t in tables.PUBLISHED for c in t.columns if not (c.comment or "").strip()
    ] + [t.name for t in tables.PUBLISHED if not (t.comment or "").strip()]
    assert undescribed == [], f"describe these in warehouse/tables.py (comment=...): {undescribed}"


def test_dagster_column_schema_describes_columns_as_the_definition_does():
    data = pa.table({"customer_id": ["C1"], "is_at_risk": [False], "work_only": [1]})
    columns = table_metadata(data, tables.customer_value)["dagster/column_schema"].columns
    described = {c.name: c.description for c in columns}
    assert described == {
        "customer_id": tables.customer_value.c.customer_id.comment,
        "is_at_risk": "more than 1.5 purchase cycles since the last order",
        "work_only": None,  # a work column the warehouse does not publish: no description to give
    }
