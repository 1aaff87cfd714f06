"""Write-audit-publish, last step: swap every audited work table into the warehouse at once."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from assets import work_tables
from assets.customers import PUBLISHED_BASE, changed_customers
from assets.resources import Warehouse, WorkArea
from common.clock import utc_now
from marts.build import mart_scopes
from warehouse import publish, publish_plan, tables

# warehouse table -> the work table that holds its audited next version
PUBLISHED_FROM_WORK = {table.published_as: table for table in work_tables.PUBLISHED}
# what the publish reads: every published work table, the run's identity events and file reports
READS = (
    *work_tables.PUBLISHED,
    work_tables.ID_HISTORY,
    work_tables.FILE_REPORTS,
    work_tables.CHANGED_CUSTOMERS,
    work_tables.MART_SCOPES,
)


@asset(
    key=AssetKey(["warehouse", "published"]),
    deps=work_tables.writers_of(*READS),
    group_name="published",
    description="Atomic publish of the golden and crosswalk tables, the quarantine, the identity state and the run row.",
)
def published(context: AssetExecutionContext, work: WorkArea, warehouse: Warehouse) -> MaterializeResult:
    changed = changed_customers(work)
    run = publish_plan.Run(context.run_id, utc_now(), work.read_json("basis"))
    now = {table: work.read(work_table) for table, work_table in PUBLISHED_FROM_WORK.items()}
    before = {} if changed is None else _kept_versions(work)
    scopes = (
        mart_scopes(work.read(work_tables.MART_SCOPES))
        if changed is not None and work.has(work_tables.MART_SCOPES)
        else None
    )
    history, file_reports = work.read(work_tables.ID_HISTORY), work.read(work_tables.FILE_REPORTS)
    plan = publish_plan.plan_publish(now, before, changed, history, file_reports, run, scopes)
    publish.publish(warehouse.engine(), plan.published, plan.appends, plan.registry, plan.changes)
    kept = [*PUBLISHED_BASE, *(PUBLISHED_FROM_WORK[t] for t in publish_plan.MART_KEYED)]
    work.keep_published(kept, {"run_id": run.run_id, "basis": run.basis})
    return MaterializeResult(
        metadata={
            "golden_customers": now[tables.golden_customers].num_rows,
            "source_records": now[tables.customer_source_records].num_rows,
            "customers_changed": "all" if changed is None else len(changed),
            "run_id": run.run_id,
        }
    )


def _kept_versions(work: WorkArea) -> dict:
    """The published tables the work area kept as the last publish left them, by warehouse table."""
    return {table: work.read_published(t) for table, t in PUBLISHED_FROM_WORK.items() if work.has_published(t)}
