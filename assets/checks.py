"""The audits of write-audit-publish: each asset checks the tables it has just written, in the same
step (no re-reading, no step of its own), and a failed blocking check stops everything downstream,
so the publish never runs and the previous tables stay live.

Each check is a function of tables and settings, returning its AssetCheckResult; each asset lists
its checks' specs (`*_CHECKS`) and calls them. Drift fails as a warning (shown in the UI and the
run report, the publish goes on) unless Monitoring.drift_blocks_publish makes it an error; its
baseline is the warehouse itself, which before the publish still holds the last published run.
Shrinking is one concept: the staged records or the golden customers falling by more than
Monitoring.max_shrink against the last publish stops the publish unless the run is allowed to
shrink (RunSettings.allow_shrink), which turns the failure into a warning.
"""

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue
from sqlalchemy import inspect, text

from assets.keys import CROSSWALK, GOLDEN, STAGED
from assets.resources import LinkageSettings, Monitoring, RunSettings, Warehouse
from common.audits import counts, key_violations, orphan_customers
from linkage.evaluate import assignment, pairwise_scores, read_truth
from linkage.identity import EVENTS, event_keys
from linkage.survivorship import CORRECTION_SYSTEM
from reports import figures
from reports.charts import text_bars
from sources.schema import LINEAGE_COLUMNS
from warehouse import tables


def blocking_check(asset, name: str, description: str) -> AssetCheckSpec:
    """A check whose failure stops the publish."""
    return AssetCheckSpec(name, asset=asset, blocking=True, description=description)


STAGED_CHECKS = [
    blocking_check(
        STAGED,
        "rows_accounted_for",
        "Every source row is staged or quarantined: rows read = staged + quarantined, per file.",
    ),
    blocking_check(
        STAGED,
        "quarantine_keys",
        "quarantined_records: one row per lineage key (row 0 = the whole file), each with a reason.",
    ),
    blocking_check(
        STAGED,
        "records_not_shrunk",
        "Staged records fell by at most max_shrink (5%) since the last publish, unless the run may shrink.",
    ),
]
CROSSWALK_CHECKS = [
    blocking_check(CROSSWALK, "every_record_in_one_customer", "Every staged record is in exactly one customer."),
    blocking_check(
        CROSSWALK,
        "review_queue_keys",
        "match_review_queue: pair_id unique and not null, a known status, both customers in the crosswalk.",
    ),
    blocking_check(
        CROSSWALK,
        "id_history_keys",
        "customer_id_history: one known event per customer this run (and per filing it overruled: arrival_reassigned); "
        "live IDs and merge targets are customers.",
    ),
    blocking_check(
        CROSSWALK,
        "match_rate_within_drift",
        "Each source's match rate (share of its records that joined another record) moved no more than the configured drift since the last published run.",
    ),
    blocking_check(
        CROSSWALK,
        "accuracy_against_truth",
        "With a truth file configured (UNIFY_TRUTH): pairwise precision and recall of the crosswalk at or above their floors.",
    ),
]
GOLDEN_CHECKS = [
    blocking_check(GOLDEN, "golden_key_unique", "customer_id is unique and never null."),
    blocking_check(
        GOLDEN,
        "crosswalk_points_at_golden",
        "Every crosswalk row points at an existing golden customer, and every customer has records.",
    ),
    blocking_check(
        GOLDEN,
        "largest_cluster_bounded",
        "No customer is bigger than the configured bound: a giant cluster is an over-merge.",
    ),
    blocking_check(
        GOLDEN,
        "field_lineage_keys",
        "golden_field_lineage: one row per (customer, field), for a golden customer, from one of that customer's own records.",
    ),
    blocking_check(
        GOLDEN,
        "customers_not_shrunk",
        "Golden customers fell by at most max_shrink (5%) since the last publish, unless the run may shrink.",
    ),
]
# what each shrink check counts; a run allowed to shrink (`unify run --allow-shrink`) turns them into warnings
SHRINK_CHECKS = {"records_not_shrunk": "the staged records", "customers_not_shrunk": "the golden customers"}
ACCURACY_SKIPPED = "skipped: no truth file"


def _result(name: str, violations: dict[str, int]) -> AssetCheckResult:
    return AssetCheckResult(check_name=name, passed=not any(violations.values()), metadata=violations)


# --- staged ---


def audit_staged(
    staged: pa.Table,
    quarantined: pa.Table,
    file_reports: pa.Table,
    warehouse: Warehouse,
    monitoring: Monitoring,
    settings: RunSettings,
) -> list[AssetCheckResult]:
    return [
        rows_accounted_for(staged, quarantined, file_reports),
        quarantine_keys(quarantined),
        records_not_shrunk(staged, warehouse, monitoring, settings),
    ]


def rows_accounted_for(staged: pa.Table, quarantined: pa.Table, file_reports: pa.Table) -> AssetCheckResult:
    found = counts(
        """select count(*) as files_not_reconciled from file_reports f
           left join (select source_file, count(*) n from staged group by all) s using (source_file)
           left join (select source_file, count(*) n from quarantined group by all) q using (source_file)
           where f.rows_read <> coalesce(s.n, 0) + coalesce(q.n, 0)""",
        file_reports=file_reports.select(["source_file", "rows_read"]),
        staged=staged.select(["source_file"]),
        quarantined=quarantined.select(["source_file"]),
    )
    return _result("rows_accounted_for", found)


def quarantine_keys(quarantined: pa.Table) -> AssetCheckResult:
    return _result(
        "quarantine_keys",
        {
            **key_violations(quarantined, list(LINEAGE_COLUMNS)),
            **counts(
                "select count(*) filter (where reason is null) as without_reason from q",
                q=quarantined.select(["reason"]),
            ),
        },
    )


# the last published run's figures, computed where they are (portable SQL: DuckDB and PostgreSQL)
PUBLISHED_MATCH_RATES_SQL = """
with sizes as (select customer_id, count(*) as n from customer_source_records group by customer_id)
select source_system, count(*) as records, sum(case when n > 1 then 1 else 0 end) as matched
from customer_source_records join sizes using (customer_id)
group by source_system order by source_system
"""
PUBLISHED_RECORDS_SQL = "select source_system, count(*) as n from customer_source_records group by source_system"
PUBLISHED_CUSTOMERS_SQL = "select count(*) as n from golden_customers"


def _last_published(warehouse: Warehouse, sql: str) -> list[dict] | None:
    """Rows of an aggregate over the last published crosswalk; None before the first publish."""
    with warehouse.engine().connect() as conn:
        if not inspect(conn).has_table(tables.customer_source_records.name):
            return None
        rows = [dict(r._mapping) for r in conn.execute(text(sql))]
    return rows or None


def _drift_severity(monitoring: Monitoring) -> AssetCheckSeverity:
    return AssetCheckSeverity.ERROR if monitoring.drift_blocks_publish else AssetCheckSeverity.WARN


def records_not_shrunk(
    staged: pa.Table, warehouse: Warehouse, monitoring: Monitoring, settings: RunSettings
) -> AssetCheckResult:
    before = _last_published(warehouse, PUBLISHED_RECORDS_SQL)
    counts_before = {r["source_system"]: r["n"] for r in before or []}
    rows = figures.shrinkage(counts_before, figures.records_by_source(staged))
    bars = text_bars([(r["source_system"], round(r["lost"], 3)) for r in rows], "source system", "share lost")
    by_source = {
        "shrunk_sources": ", ".join(r["source_system"] for r in rows if r["lost"] > 0),
        "records_lost_by_source": MetadataValue.md(bars),
    }
    total_before = sum(counts_before.values()) if before is not None else None
    return shrink_result("records_not_shrunk", total_before, staged.num_rows, monitoring, settings, by_source)


def customers_not_shrunk(
    golden: pa.Table, warehouse: Warehouse, monitoring: Monitoring, settings: RunSettings
) -> AssetCheckResult:
    before = _last_published(warehouse, PUBLISHED_CUSTOMERS_SQL)
    count_before = before[0]["n"] if before else None
    return shrink_result("customers_not_shrunk", count_before, golden.num_rows, monitoring, settings)


def shrink_result(
    name: str, before: int | None, now: int, monitoring: Monitoring, settings: RunSettings, extra: dict | None = None
) -> AssetCheckResult:
    """Fails when more than max_shrink of `before` (the last publish; None: no publish yet) is gone:
    an error that stops the publish, or a warning when the run may shrink."""
    lost = (before - now) / before if before else 0.0
    return AssetCheckResult(
        check_name=name,
        passed=lost <= monitoring.max_shrink,
        severity=AssetCheckSeverity.WARN if settings.allow_shrink else AssetCheckSeverity.ERROR,
        metadata={
            "last_publish": before if before is not None else "none: first publish",
            "this_run": now,
            "share_lost": round(max(lost, 0.0), 4),
            "max_shrink": monitoring.max_shrink,
            "allow_shrink": settings.allow_shrink,
            **(extra or {}),
        },
    )


# --- crosswalk ---


def audit_crosswalk(
    crosswalk: pa.Table,
    staged: pa.Table,
    queue: pa.Table,
    history: pa.Table,
    warehouse: Warehouse,
    monitoring: Monitoring,
) -> list[AssetCheckResult]:
    return [
        every_record_in_one_customer(staged, crosswalk),
        review_queue_keys(queue, crosswalk),
        id_history_keys(history, crosswalk),
        match_rate_within_drift(crosswalk, warehouse, monitoring),
        accuracy_against_truth(crosswalk, monitoring),
    ]


def every_record_in_one_customer(staged: pa.Table, crosswalk: pa.Table) -> AssetCheckResult:
    distinct_keys = counts(
        "select count(*) as n from (select distinct * from keys)", keys=crosswalk.select(list(LINEAGE_COLUMNS))
    )["n"]
    found = {"staged": staged.num_rows, "crosswalk_rows": crosswalk.num_rows, "distinct_lineage_keys": distinct_keys}
    return AssetCheckResult(
        check_name="every_record_in_one_customer", passed=len(set(found.values())) == 1, metadata=found
    )


def review_queue_keys(queue: pa.Table, crosswalk: pa.Table) -> AssetCheckResult:
    return _result(
        "review_queue_keys",
        {
            **key_violations(queue, ["pair_id"]),
            **counts(
                """select count(*) filter (where status is null or status not in ('pending', 'same', 'different')) as unknown_status,
                          count(*) filter (where left_customer_id not in (select customer_id from crosswalk)
                                              or right_customer_id not in (select customer_id from crosswalk)) as unknown_customers
                   from queue""",
                queue=queue,
                crosswalk=crosswalk.select(["customer_id"]),
            ),
        },
    )


def id_history_keys(history: pa.Table, crosswalk: pa.Table) -> AssetCheckResult:
    return _result(
        "id_history_keys",
        {
            **key_violations(event_keys(history), ["customer_id", "reassigned_to"]),
            **counts(
                """select count(*) filter (where event is null or not list_contains($events, event)) as unknown_events,
                          count(*) filter (where event in ('minted', 'kept', 'split') and customer_id not in (select customer_id from crosswalk)) as live_ids_without_records,
                          count(*) filter (where event = 'merged' and related_customer_id not in (select customer_id from crosswalk)) as merged_into_unknown
                   from history""",
                {"events": list(EVENTS)},
                history=history,
                crosswalk=crosswalk.select(["customer_id"]),
            ),
        },
    )


def match_rate_within_drift(crosswalk: pa.Table, warehouse: Warehouse, monitoring: Monitoring) -> AssetCheckResult:
    before = _last_published(warehouse, PUBLISHED_MATCH_RATES_SQL)
    rates_before = [{**r, "rate": r["matched"] / r["records"]} for r in before or []]
    changes = figures.rate_changes(rates_before, figures.match_rates(crosswalk))
    moved = [c for c in changes if c["change"] is not None and abs(c["change"]) > monitoring.match_rate_drift]
    return AssetCheckResult(
        check_name="match_rate_within_drift",
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
    return "\n".join(
        lines
        + [f"| {c['source_system']} | {rate(c['before'])} | {rate(c['now'])} | {rate(c['change'])} |" for c in changes]
    )


def accuracy_against_truth(crosswalk: pa.Table, monitoring: Monitoring) -> AssetCheckResult:
    truth = monitoring.truth()
    if truth is None:
        # a declared blocking check must give a result: it passes, saying it checked nothing
        skipped = {"status": ACCURACY_SKIPPED, "truth": "set UNIFY_TRUTH to a truth CSV to check accuracy"}
        return AssetCheckResult(check_name="accuracy_against_truth", passed=True, metadata=skipped)
    columns = [crosswalk.column(c).to_pylist() for c in (*LINEAGE_COLUMNS, "customer_id")]
    scores = pairwise_scores(assignment(zip(*columns)), read_truth(truth))
    return AssetCheckResult(
        check_name="accuracy_against_truth",
        passed=scores.precision >= monitoring.min_precision and scores.recall >= monitoring.min_recall,
        metadata={
            **scores.as_dict(),
            "min_precision": monitoring.min_precision,
            "min_recall": monitoring.min_recall,
            "truth": MetadataValue.path(str(truth)),
        },
    )


# --- golden ---


def audit_golden(
    golden: pa.Table,
    field_lineage: pa.Table,
    crosswalk: pa.Table,
    linkage: LinkageSettings,
    warehouse: Warehouse,
    monitoring: Monitoring,
    settings: RunSettings,
) -> list[AssetCheckResult]:
    return [
        golden_key_unique(golden),
        crosswalk_points_at_golden(crosswalk, golden),
        largest_cluster_bounded(golden, linkage.max_cluster_size),
        field_lineage_keys(field_lineage, golden, crosswalk),
        customers_not_shrunk(golden, warehouse, monitoring, settings),
    ]


def golden_key_unique(golden: pa.Table) -> AssetCheckResult:
    found = counts(
        "select count(*) filter (where customer_id is null) as null_ids, count(*) - count(distinct customer_id) as duplicate_ids from golden",
        golden=golden.select(["customer_id"]),
    )
    return _result("golden_key_unique", found)


def crosswalk_points_at_golden(crosswalk: pa.Table, golden: pa.Table) -> AssetCheckResult:
    found = counts(
        """select (select count(*) from crosswalk c anti join golden g using (customer_id)) as orphan_records,
                  (select count(*) from golden g anti join crosswalk c using (customer_id)) as customers_without_records""",
        crosswalk=crosswalk.select(["customer_id"]),
        golden=golden.select(["customer_id"]),
    )
    return _result("crosswalk_points_at_golden", found)


def largest_cluster_bounded(golden: pa.Table, bound: int) -> AssetCheckResult:
    largest = counts(
        "select coalesce(max(source_record_count), 0) as largest from golden",
        golden=golden.select(["source_record_count"]),
    )["largest"]
    return AssetCheckResult(
        check_name="largest_cluster_bounded",
        passed=largest <= bound,
        metadata={"largest_cluster": largest, "bound": bound},
    )


def field_lineage_keys(field_lineage: pa.Table, golden: pa.Table, crosswalk: pa.Table) -> AssetCheckResult:
    keys = ["customer_id", *LINEAGE_COLUMNS]
    return _result(
        "field_lineage_keys",
        {
            **key_violations(field_lineage.select(["customer_id", "field"]), ["customer_id", "field"]),
            **orphan_customers(field_lineage.select(["customer_id"]), golden.select(["customer_id"])),
            **counts(
                # a correction by request names its request, not a source row
                f"select count(*) as from_another_customer from lineage anti join crosswalk using ({', '.join(keys)}) "
                f"where lineage.source_file is not null and lineage.source_system is distinct from '{CORRECTION_SYSTEM}'",
                lineage=field_lineage.select([*keys, "source_system"]),
                crosswalk=crosswalk.select(keys),
            ),
        },
    )
