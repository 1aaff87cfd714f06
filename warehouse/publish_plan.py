"""What a publish writes, planned from the run's tables: which published tables are replaced whole,
which change row by row, and the state rows (registry upserts, identity history, the run's row).

Pure: the plan is a function of tables and the run's facts; warehouse.publish.publish applies it in
one transaction. A full run replaces every table. An incremental run (its changed customers named)
writes the customer tables for those customers only, every other customer's rows being kept as
they were, and the marts row by row against their last published version (a mart row may move with
a changed customer's neighbours), or whole when no published version of them was kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
from sqlalchemy import Table

from common.sets import within
from sources.schema import LINEAGE_COLUMNS
from warehouse import tables
from warehouse.publish import RowChanges

# what an incremental run writes row by row for its changed customers, with each row's key
CUSTOMER_KEYED = {
    tables.golden_customers: ["customer_id"],
    tables.customer_source_records: list(LINEAGE_COLUMNS),
    tables.golden_field_lineage: ["customer_id", "field"],
}
# what an incremental run writes row by row as a whole table, by its primary key
MART_KEYED = {mart: [c.name for c in mart.primary_key.columns] for mart in tables.MARTS}


@dataclass(frozen=True)
class Run:
    """The facts of the run that publishes: its id, when, and what it resolved with (linkage.resolve.basis)."""

    run_id: str
    at: datetime
    basis: dict


@dataclass(frozen=True)
class PublishPlan:
    """The arguments of warehouse.publish.publish."""

    published: dict[Table, pa.Table]  # replaced whole
    appends: dict[Table, pa.Table]  # state rows added
    registry: pa.Table  # identity registry rows upserted
    changes: dict[Table, RowChanges] | None  # an incremental run's row changes; None after a full run


def plan_publish(
    now: dict[Table, pa.Table],
    before: dict[Table, pa.Table],
    changed: pa.Array | None,
    history: pa.Table,
    file_reports: pa.Table,
    run: Run,
    mart_scopes: dict[Table, pa.Array] | None = None,
) -> PublishPlan:
    """The plan of a publish.

    now: each published table as this run made it; before: those the work area kept as the last
    publish left them (read only when `changed`, the customers an incremental run changed, is not
    None); history: this run's identity events; file_reports: one report per file read;
    mart_scopes: per mart the run updated customer by customer, the customers whose rows may
    differ from `before` (marts.build.MartUpdate): only their rows are compared."""
    replaced, changes = dict(now), None
    if changed is not None:
        changes = {}
        for table, key in CUSTOMER_KEYED.items():
            rows_now, rows_before = (
                within(rows, "customer_id", changed) for rows in (replaced.pop(table), before[table])
            )
            changes[table] = RowChanges(rows_now, rows_before, key)
        for table, key in MART_KEYED.items():
            if table in (mart_scopes or {}) and table in before:
                scope = mart_scopes[table]
                changes[table] = RowChanges(
                    *(within(t, "customer_id", scope) for t in (replaced.pop(table), before[table])), key
                )
            elif table in before:  # else replaced (no version of it was kept)
                changes[table] = RowChanges(replaced.pop(table), before[table], key, whole=True)
    crosswalk = tables.customer_source_records
    registered = now[crosswalk] if changes is None else changes[crosswalk].now  # the changed customers' records
    return PublishPlan(
        published=replaced,
        appends={
            tables.customer_id_history: history_rows(history, run),
            tables.pipeline_runs: run_row(run, file_reports, now[tables.golden_customers].num_rows),
        },
        registry=registry_rows(registered, run.run_id),
        changes=changes,
    )


def registry_rows(crosswalk: pa.Table, run_id: str) -> pa.Table:
    """The registry rows of these crosswalk rows: each record's customer, seen by this run."""
    n = crosswalk.num_rows
    return pa.table(
        {
            **{column: crosswalk.column(column) for column in LINEAGE_COLUMNS},
            "customer_id": crosswalk.column("customer_id"),
            "first_run_id": pa.array([run_id] * n),  # the upsert keeps an earlier first run
            "last_run_id": pa.array([run_id] * n),
        }
    )


def history_rows(history: pa.Table, run: Run) -> pa.Table:
    """The run's identity events, stamped with the run and its time."""
    n = history.num_rows
    return history.append_column("run_id", pa.array([run.run_id] * n, pa.string())).append_column(
        "at", pa.array([run.at] * n, pa.timestamp("us"))
    )


def run_row(run: Run, file_reports: pa.Table, golden_count: int) -> pa.Table:
    """The run's row: its counts, and what it resolved with (model version, thresholds: what resolve on arrival uses)."""
    reports = file_reports.to_pylist()
    return pa.Table.from_pylist(
        [
            {
                "run_id": run.run_id,
                "started_at": None,
                "finished_at": run.at,
                "status": "published",
                "rows_read": sum(r["rows_read"] for r in reports),
                "staged": sum(r["staged"] for r in reports),
                "quarantined": sum(r["quarantined"] for r in reports),
                "golden_customers": golden_count,
                "per_source": json.dumps(reports, ensure_ascii=False),
                "model_version": run.basis["model_version"],
                "match_threshold": run.basis["match_threshold"],
                "review_floor": run.basis["review_floor"],
            }
        ]
    )
