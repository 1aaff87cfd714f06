"""The audits the marts must pass before they are published: keys, links to golden customers, and
the audience's promises. Each returns counts of violations by kind; all zero is a pass."""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import query


def counts(sql: str, params: dict | None = None, **tables: pa.Table) -> dict:
    """The one row of a query of counts, by column name."""
    return query(sql, params, **tables).to_pylist()[0]


def key_violations(table: pa.Table, key: list[str]) -> dict[str, int]:
    """Rows with a null key part, and rows repeating a key already seen."""
    columns = ", ".join(f'"{c}"' for c in key)
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


def audience_violations(audience: pa.Table, golden: pa.Table, tickets: pa.Table) -> dict[str, int]:
    """Opted-out customers, customers with an open complaint, and addresses used more than once."""
    return counts(
        """select (select count(*) from audience where customer_id in (select customer_id from golden where marketing_opt_out)) as opted_out,
                  (select count(*) from audience
                   where customer_id in (select customer_id from tickets where is_open and ticket_type = 'complaint')) as open_complaint,
                  (select count(*) - count(distinct lower(address)) from audience) as repeated_addresses,
                  (select count(*) from audience where address is null) as without_address""",
        audience=audience,
        golden=golden,
        tickets=tickets,
    )
