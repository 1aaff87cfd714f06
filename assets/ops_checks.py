"""Checks beyond the write-audit-publish gates of assets/checks.py: drift since the last published
run, the keys of the other published tables, and accuracy against a truth file when one is set.

All are blocking. Drift fails as a warning (shown in the UI and the run report, publish goes on)
unless Monitoring.drift_blocks_publish makes it an error. The baseline of a drift check is the
warehouse itself: before the publish it still holds the last published run.
"""

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check
from sqlalchemy import inspect, text

from assets.customers import CROSSWALK, GOLDEN, STAGED
from assets.resources import Monitoring, Warehouse, WorkArea
from linkage.evaluate import pairwise_scores, read_truth
from linkage.identity import EVENTS
from marts.audits import key_violations, orphan_customers
from marts.sql import query
from reports import figures
from reports.charts import text_bars
from sources.schema import LINEAGE_COLUMNS
from warehouse import tables


# the last published run's figures, computed where they are (portable SQL: DuckDB and PostgreSQL)
PUBLISHED_MATCH_RATES_SQL = """
with sizes as (select customer_id, count(*) as n from customer_source_records group by customer_id)
select source_system, count(*) as records, sum(case when n > 1 then 1 else 0 end) as matched
from customer_source_records join sizes using (customer_id)
group by source_system order by source_system
"""
PUBLISHED_RECORDS_SQL = "select source_system, count(*) as n from customer_source_records group by source_system"


def _last_published(warehouse: Warehouse, sql: str) -> list[dict] | None:
    """Rows of an aggregate over the last published crosswalk; None before the first publish."""
    engine = warehouse.engine()
    if not inspect(engine).has_table(tables.customer_source_records.name):
        return None
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(sql))]
    return rows or None


def _drift_severity(monitoring: Monitoring) -> AssetCheckSeverity:
    return AssetCheckSeverity.ERROR if monitoring.drift_blocks_publish else AssetCheckSeverity.WARN


def _violations(sql: str, params: dict | None = None, **tables: pa.Table) -> dict[str, int]:
    return query(sql, params, **tables).to_pylist()[0]


def _result(violations: dict[str, int]) -> AssetCheckResult:
    return AssetCheckResult(passed=not any(violations.values()), metadata=violations)


@asset_check(asset=CROSSWALK, blocking=True, description="Each source's match rate (share of its records that joined another record) moved no more than the configured drift since the last published run.")
def match_rate_within_drift(work: WorkArea, warehouse: Warehouse, monitoring: Monitoring) -> AssetCheckResult:
    before = _last_published(warehouse, PUBLISHED_MATCH_RATES_SQL)
    rates_before = [{**r, "rate": r["matched"] / r["records"]} for r in before or []]
    changes = figures.rate_changes(rates_before, figures.match_rates(work.read("crosswalk", columns=["customer_id", "source_system"])))
    moved = [c for c in changes if c["change"] is not None and abs(c["change"]) > monitoring.match_rate_drift]
    return AssetCheckResult(
        passed=not moved,
        severity=_drift_severity(monitoring),
        metadata={
            "allowed_drift": monitoring.match_rate_drift,
            "largest_drift": max((abs(c["change"]) for c in changes if c["change"] is not None), default=0.0),
            "drifted_sources": ", ".join(c["source_system"] for c in moved),
            "baseline": "last published run" if before is not None else "none: first publish",
            "match_rates": MetadataValue.md(_rates_table(changes)),
        },
    )


def _rates_table(changes: list[dict]) -> str:
    def rate(v):
        return "" if v is None else f"{v:.3f}"

    lines = ["| source system | last run | this run | change |", "|---|---:|---:|---:|"]
    return "\n".join(lines + [f"| {c['source_system']} | {rate(c['before'])} | {rate(c['now'])} | {rate(c['change'])} |" for c in changes])


@asset_check(asset=STAGED, blocking=True, description="No source system lost more than the configured share of its records since the last published run.")
def sources_not_shrunk(work: WorkArea, warehouse: Warehouse, monitoring: Monitoring) -> AssetCheckResult:
    before = _last_published(warehouse, PUBLISHED_RECORDS_SQL)
    counts_before = {r["source_system"]: r["n"] for r in before or []}
    rows = figures.shrinkage(counts_before, figures.records_by_source(work.read("staged", columns=["source_system"])))
    shrunk = [r for r in rows if r["lost"] > monitoring.source_shrink]
    return AssetCheckResult(
        passed=not shrunk,
        severity=_drift_severity(monitoring),
        metadata={
            "allowed_shrink": monitoring.source_shrink,
            "shrunk_sources": ", ".join(r["source_system"] for r in shrunk),
            "records_lost": MetadataValue.md(text_bars([(r["source_system"], round(r["lost"], 3)) for r in rows], "source system", "share lost")),
        },
    )


@asset_check(asset=CROSSWALK, blocking=True, description="match_review_queue: pair_id unique and not null, a known status, both customers in the crosswalk.")
def review_queue_keys(work: WorkArea) -> AssetCheckResult:
    queue, crosswalk = work.read("review_queue"), work.read("crosswalk", columns=["customer_id"])
    return _result(
        {
            **key_violations(queue, ["pair_id"]),
            **_violations(
                """select count(*) filter (where status is null or status not in ('pending', 'same', 'different')) as unknown_status,
                          count(*) filter (where left_customer_id not in (select customer_id from crosswalk)
                                              or right_customer_id not in (select customer_id from crosswalk)) as unknown_customers
                   from queue""",
                queue=queue,
                crosswalk=crosswalk,
            ),
        }
    )


@asset_check(asset=CROSSWALK, blocking=True, description="customer_id_history: one known event per customer this run; live IDs and merge targets are customers.")
def id_history_keys(work: WorkArea) -> AssetCheckResult:
    history, crosswalk = work.read("id_history"), work.read("crosswalk", columns=["customer_id"])
    return _result(
        {
            **key_violations(history, ["customer_id"]),
            **_violations(
                """select count(*) filter (where event is null or not list_contains($events, event)) as unknown_events,
                          count(*) filter (where event in ('minted', 'kept', 'split') and customer_id not in (select customer_id from crosswalk)) as live_ids_without_records,
                          count(*) filter (where event = 'merged' and related_customer_id not in (select customer_id from crosswalk)) as merged_into_unknown
                   from history""",
                {"events": list(EVENTS)},
                history=history,
                crosswalk=crosswalk,
            ),
        }
    )


@asset_check(asset=STAGED, blocking=True, description="quarantined_records: one row per lineage key (row 0 = the whole file), each with a reason.")
def quarantine_keys(work: WorkArea) -> AssetCheckResult:
    quarantined = work.read("quarantined")
    return _result({**key_violations(quarantined, list(LINEAGE_COLUMNS)), **_violations("select count(*) filter (where reason is null) as without_reason from q", q=quarantined)})


@asset_check(asset=GOLDEN, blocking=True, description="golden_field_lineage: one row per (customer, field), for a golden customer, from one of that customer's own records.")
def field_lineage_keys(work: WorkArea) -> AssetCheckResult:
    keys = ["customer_id", *LINEAGE_COLUMNS]
    lineage = work.read("golden_field_lineage", columns=[*keys, "field"])
    golden, crosswalk = work.read("golden", columns=["customer_id"]), work.read("crosswalk", columns=keys)
    return _result(
        {
            **key_violations(lineage, ["customer_id", "field"]),
            **orphan_customers(lineage, golden),
            **_violations(
                f"select count(*) as from_another_customer from lineage anti join crosswalk using ({', '.join(keys)}) where lineage.source_file is not null",
                lineage=lineage.select(keys),
                crosswalk=crosswalk,
            ),
        }
    )


@asset_check(asset=CROSSWALK, blocking=True, description="With a truth file configured (UNIFY_TRUTH): pairwise precision and recall of the crosswalk at or above their floors.")
def accuracy_against_truth(work: WorkArea, monitoring: Monitoring) -> AssetCheckResult:
    truth = monitoring.truth()
    if truth is None:
        return AssetCheckResult(passed=True, metadata={"truth": "not configured: set UNIFY_TRUTH to a truth CSV to check accuracy"})
    crosswalk = work.read("crosswalk", columns=[*LINEAGE_COLUMNS, "customer_id"])
    columns = [crosswalk.column(c).to_pylist() for c in (*LINEAGE_COLUMNS, "customer_id")]
    predicted = {(f, s or "", int(r)): c for f, s, r, c in zip(*columns)}
    scores = pairwise_scores(predicted, read_truth(truth))
    return AssetCheckResult(
        passed=scores.precision >= monitoring.min_precision and scores.recall >= monitoring.min_recall,
        metadata={**scores.as_dict(), "min_precision": monitoring.min_precision, "min_recall": monitoring.min_recall, "truth": MetadataValue.path(str(truth))},
    )


OPS_CHECKS = [match_rate_within_drift, sources_not_shrunk, review_queue_keys, id_history_keys, quarantine_keys, field_lineage_keys, accuracy_against_truth]
