"""Audits of the golden tables before they are published. Blocking: a failure stops the publish
and the previous tables stay live."""


import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from assets.customers import CROSSWALK, GOLDEN, STAGED
from assets.resources import LinkageSettings, WorkArea


def _query(work: WorkArea, sql: str, **tables: tuple[str, list[str]]):
    """The one row of `sql` over work tables, each given as (work table, the columns it needs)."""
    con = duckdb.connect()
    for name, (work_name, columns) in tables.items():
        con.register(name, work.read(work_name, columns=columns))
    return con.execute(sql).fetchone()


@asset_check(asset=GOLDEN, blocking=True, description="customer_id is unique and never null.")
def golden_key_unique(work: WorkArea) -> AssetCheckResult:
    nulls, dupes = _query(work, "select count(*) filter (where customer_id is null), count(*) - count(distinct customer_id) from golden", golden=("golden", ["customer_id"]))
    return AssetCheckResult(passed=nulls == 0 and dupes == 0, metadata={"null_ids": nulls, "duplicate_ids": dupes})


@asset_check(asset=GOLDEN, blocking=True, description="Every crosswalk row points at an existing golden customer, and every customer has records.")
def crosswalk_points_at_golden(work: WorkArea) -> AssetCheckResult:
    orphans, empty = _query(
        work,
        """select (select count(*) from crosswalk c anti join golden g using (customer_id)),
                  (select count(*) from golden g anti join crosswalk c using (customer_id))""",
        crosswalk=("crosswalk", ["customer_id"]),
        golden=("golden", ["customer_id"]),
    )
    return AssetCheckResult(passed=orphans == 0 and empty == 0, metadata={"orphan_records": orphans, "customers_without_records": empty})


@asset_check(asset=GOLDEN, blocking=True, description="No customer is bigger than the configured bound: a giant cluster is an over-merge.")
def largest_cluster_bounded(work: WorkArea, linkage: LinkageSettings) -> AssetCheckResult:
    (largest,) = _query(work, "select coalesce(max(source_record_count), 0) from golden", golden=("golden", ["source_record_count"]))
    return AssetCheckResult(
        passed=largest <= linkage.max_cluster_size,
        severity=AssetCheckSeverity.ERROR,
        metadata={"largest_cluster": largest, "bound": linkage.max_cluster_size},
    )


@asset_check(asset=CROSSWALK, blocking=True, description="Every staged record is in exactly one customer.")
def every_record_in_one_customer(work: WorkArea) -> AssetCheckResult:
    staged, mapped, distinct_keys = _query(
        work,
        """select (select count(*) from staged), (select count(*) from crosswalk),
                  (select count(distinct (source_file, source_sheet, source_row)) from crosswalk)""",
        staged=("staged", ["source_file"]),
        crosswalk=("crosswalk", ["source_file", "source_sheet", "source_row"]),
    )
    return AssetCheckResult(passed=staged == mapped == distinct_keys, metadata={"staged": staged, "crosswalk_rows": mapped, "distinct_lineage_keys": distinct_keys})


@asset_check(asset=STAGED, blocking=True, description="Every source row is staged or quarantined: rows read = staged + quarantined, per file.")
def rows_accounted_for(work: WorkArea) -> AssetCheckResult:
    (bad_files,) = _query(
        work,
        """select count(*) from file_reports f
           left join (select source_file, count(*) n from staged group by all) s using (source_file)
           left join (select source_file, count(*) n from quarantined group by all) q using (source_file)
           where f.rows_read <> coalesce(s.n, 0) + coalesce(q.n, 0)""",
        file_reports=("file_reports", ["source_file", "rows_read"]),
        staged=("staged", ["source_file"]),
        quarantined=("quarantined", ["source_file"]),
    )
    return AssetCheckResult(passed=bad_files == 0, metadata={"files_not_reconciled": bad_files})


GOLDEN_CHECKS = [golden_key_unique, crosswalk_points_at_golden, largest_cluster_bounded, every_record_in_one_customer, rows_accounted_for]
