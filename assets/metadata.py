"""Materialisation metadata every asset attaches: row count, column schema, a preview."""

from __future__ import annotations

import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableSchema

PREVIEW_ROWS = 5
PREVIEW_HIDDEN = {"phone", "phones", "phone_e164", "phone_display", "email", "email_std", "raw"}  # personal data stays out of run metadata


def table_metadata(table: pa.Table, **extra) -> dict:
    schema = TableSchema(columns=[TableColumn(name=f.name, type=str(f.type)) for f in table.schema])
    return {
        "dagster/row_count": table.num_rows,
        "dagster/column_schema": schema,
        "preview": MetadataValue.md(markdown_preview(table)),
        **extra,
    }


def markdown_preview(table: pa.Table, rows: int = PREVIEW_ROWS) -> str:
    columns = [c for c in table.column_names if c not in PREVIEW_HIDDEN][:12]
    head = table.select(columns).slice(0, rows).to_pylist()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if r[c] is None else str(r[c]).replace("|", "/")[:40] for c in columns) + " |" for r in head]
    return "\n".join(lines)
