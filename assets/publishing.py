"""Write-audit-publish, last step: swap every audited work table into the warehouse at once."""

import json
from datetime import UTC, datetime

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from assets import work_tables
from assets.customers import PUBLISHED_BASE
from assets.keys import CROSSWALK, GOLDEN, STAGED
from assets.marts import MART_ASSET_KEYS
from assets.resources import Warehouse, WorkArea
from common import sets
from sources.schema import LINEAGE_COLUMNS
from warehouse import publish, tables

# warehouse table -> the work table that holds its audited next version
PUBLISHED_FROM_WORK = {table.published_as: table for table in work_tables.PUBLISHED}
# what an incremental run writes row by row instead of replacing, with each row's key: the
# customer tables for its changed customers only (every other customer's rows are kept as they
# were), the marts whole (a mart row may move with a changed customer's neighbours)
CUSTOMER_KEYED = {
    tables.golden_customers: ["customer_id"],
    tables.customer_source_records: list(LINEAGE_COLUMNS),
    tables.golden_field_lineage: ["customer_id", "field"],
}
MART_KEYED = {mart: [c.name for c in mart.primary_key.columns] for mart in tables.MARTS}
# assets (beyond the golden ones) whose work tables are published here
PUBLISHED_DEPS: list[AssetKey] = [*MART_ASSET_KEYS]


@asset(
    key=AssetKey(["warehouse", "published"]),
    deps=[GOLDEN, CROSSWALK, STAGED, *PUBLISHED_DEPS],
    group_name="published",
    description="Atomic publish of the golden and crosswalk tables, the quarantine, the identity state and the run row.",
)
def published(context: AssetExecutionContext, work: WorkArea, warehouse: Warehouse) -> MaterializeResult:
    now = datetime.now(UTC).replace(tzinfo=None)
    crosswalk, golden, files = (
        work.read(work_tables.CROSSWALK),
        work.read(work_tables.GOLDEN),
        work.read(work_tables.FILE_REPORTS),
    )
    basis = work.read_json("basis")
    run_row = _run_row(context.run_id, now, files, golden.num_rows, basis)
    replaced, changes, registered = dict(PUBLISHED_FROM_WORK), None, crosswalk
    if work.has(work_tables.CHANGED_CUSTOMERS):
        changed = work.read(work_tables.CHANGED_CUSTOMERS).column("customer_id").combine_chunks()
        changes = {}
        for table, key in CUSTOMER_KEYED.items():
            current, previous = (
                sets.within(rows, "customer_id", changed) for rows in _now_and_before(work, replaced.pop(table))
            )
            changes[table] = publish.RowChanges(current, previous, key)
        for table, key in MART_KEYED.items():
            if work.has_published(PUBLISHED_FROM_WORK[table]):  # else replaced (kept since this version)
                changes[table] = publish.RowChanges(*_now_and_before(work, replaced.pop(table)), key, whole=True)
        registered = changes[tables.customer_source_records].now
    publish.publish(
        warehouse.engine(),
        published={table: work.read(work_table) for table, work_table in replaced.items()},
        appends={
            tables.customer_id_history: _history(work.read(work_tables.ID_HISTORY), context.run_id, now),
            tables.pipeline_runs: run_row,
        },
        registry=_registry(registered, context.run_id),
        changes=changes,
    )
    work.keep_published(
        [*PUBLISHED_BASE, *(PUBLISHED_FROM_WORK[t] for t in MART_KEYED)], {"run_id": context.run_id, "basis": basis}
    )
    return MaterializeResult(
        metadata={
            "golden_customers": golden.num_rows,
            "source_records": crosswalk.num_rows,
            "customers_changed": len(changed) if changes else "all",
            "run_id": context.run_id,
        }
    )


def _now_and_before(work: WorkArea, table: work_tables.WorkTable) -> tuple[pa.Table, pa.Table]:
    """A work table as this run made it and as the last published run left it."""
    return work.read(table), work.read_published(table)


def _registry(crosswalk: pa.Table, run_id: str) -> pa.Table:
    n = crosswalk.num_rows
    return pa.table(
        {
            "source_file": crosswalk.column("source_file"),
            "source_sheet": crosswalk.column("source_sheet"),
            "source_row": crosswalk.column("source_row"),
            "customer_id": crosswalk.column("customer_id"),
            "first_run_id": pa.array([run_id] * n),  # the upsert keeps an earlier first run
            "last_run_id": pa.array([run_id] * n),
        }
    )


def _history(history: pa.Table, run_id: str, now: datetime) -> pa.Table:
    n = history.num_rows
    return history.append_column("run_id", pa.array([run_id] * n, pa.string())).append_column(
        "at", pa.array([now] * n, pa.timestamp("us"))
    )


def _run_row(run_id: str, now: datetime, files: pa.Table, golden_count: int, basis: dict) -> pa.Table:
    """The run's row: its counts, and what it resolved with (model version, thresholds: what resolve on arrival uses)."""
    reports = files.to_pylist()
    return pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "started_at": None,
                "finished_at": now,
                "status": "published",
                "rows_read": sum(r["rows_read"] for r in reports),
                "staged": sum(r["staged"] for r in reports),
                "quarantined": sum(r["quarantined"] for r in reports),
                "golden_customers": golden_count,
                "per_source": json.dumps(reports, ensure_ascii=False),
                "model_version": basis["model_version"],
                "match_threshold": basis["match_threshold"],
                "review_floor": basis["review_floor"],
            }
        ]
    )
