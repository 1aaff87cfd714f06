"""Materialisation metadata every asset attaches: row count, column schema, a preview.

Dagster keeps metadata in every run's history for good and shows it to anyone who opens the UI,
so a preview shows only the columns on an allow-list of what may leave the warehouse: ids,
figures and flags, enumerations. Every other column (names, phones, emails, WeChat IDs,
addresses, birth dates, free text, and any column added later) is left out until it is added
here, and the preview says how many it left out.

Left out on purpose: `source_record_key` (a mapped source may fill it with a membership number)
and the lineage `source_file`/`source_sheet`. File names do leave in the per-file tables (staged
metadata, run report, `unify run`): staff name their exports, and a salesperson's sheet carries
the salesperson's name (sales/王芳.xlsx), staff, not a customer; a preview has no need of them.
"""

from __future__ import annotations

import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableSchema
from sqlalchemy import Table

PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 12
# customers are named by customer_id only; order and ticket numbers are the shop's and the desk's
PREVIEW_IDS = set(
    "customer_id left_customer_id right_customer_id related_customer_id record_id record_id_l record_id_r"
    " pair_id order_id ticket_id related_order_id".split()
)
# numbers and flags; not a person's age or days to their birthday (with the run's date: the birth date)
PREVIEW_FIGURES = set(
    "source_row order_amount amount match_probability match_weight source_record_count order_count total_spent"
    " recency_days avg_days_between_orders r_score f_score m_score record_count marketing_opt_out name_is_partial"
    " is_successful is_open is_top_20pct is_at_risk is_primary expected_purchases_90d probability_alive"
    " predicted_value_12m".split()
)
# values from a short known list (a system, a status, a tier), never typed about a person
PREVIEW_ENUMERATIONS = set(
    "source_system source_format kind channel status order_status ticket_status ticket_type currency event"
    " value_tier rfm_score quality_flags field rule".split()
)
PREVIEW_ALLOWED = PREVIEW_IDS | PREVIEW_FIGURES | PREVIEW_ENUMERATIONS
LEFT_OUT = "{n} of {total} columns left out: a preview shows ids, figures and enumerations only."


def table_metadata(table: pa.Table, published_as: Table | None = None, **extra) -> dict:
    """Row count, column schema and preview; the columns of a table the warehouse publishes are
    described as its definition describes them (warehouse/tables.py: the database comments too)."""
    described = {c.name: c.comment for c in published_as.columns} if published_as is not None else {}
    schema = TableSchema(
        columns=[TableColumn(name=f.name, type=str(f.type), description=described.get(f.name)) for f in table.schema]
    )
    return {
        "dagster/row_count": table.num_rows,
        "dagster/column_schema": schema,
        "preview": MetadataValue.md(markdown_preview(table)),
        **extra,
    }


def preview_columns(names: list[str]) -> list[str]:
    """The columns a preview may show, in table order: those on the allow-list, at most PREVIEW_COLUMNS."""
    return [c for c in names if c in PREVIEW_ALLOWED][:PREVIEW_COLUMNS]


def markdown_preview(table: pa.Table, rows: int = PREVIEW_ROWS) -> str:
    columns = preview_columns(table.column_names)
    lines = []
    if columns:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        head = table.select(columns).slice(0, rows).to_pylist()
        lines += ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in head]
    if len(columns) < table.num_columns:
        lines += ["", LEFT_OUT.format(n=table.num_columns - len(columns), total=table.num_columns)]
    return "\n".join(lines).strip()


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "/")[:40]
