"""Audits over Arrow tables: counts of violations by kind, all zero a pass. What the asset checks of
every layer measure (golden tables, marts) before a publish."""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import column_list, query


def counts(sql: str, params: dict | None = None, **tables: pa.Table) -> dict:
    """The one row of a query of counts, by column name."""
    return query(sql, params, **tables).to_pylist()[0]


def key_violations(table: pa.Table, key: list[str]) -> dict[str, int]:
    """Rows with a null key part, and rows repeating a key already seen."""
    columns = column_list(key)
    nulls = " or ".join(f'"{c}" is null' for c in key)
    return counts(
        f"select count(*) filter (where {nulls}) as null_keys, count(*) - count(distinct ({columns})) as duplicate_keys from mart",
        mart=table,
    )


def orphan_customers(table: pa.Table, golden: pa.Table) -> dict[str, int]:
    """Rows whose customer_id is not a golden customer."""
    return counts(
        "select count(*) as orphan_rows from mart anti join golden using (customer_id)", mart=table, golden=golden
    )
