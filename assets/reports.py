"""What a run looked like, as Dagster sees it: the match summary with its charts on the asset page,
and the HTML run report written after the publish and linked from the run."""

from dagster import AssetExecutionContext, AssetKey, DagsterEventType, MaterializeResult, MetadataValue, asset

from assets import keys, work_tables
from assets.marts import VALUE_FIGURES
from assets.publishing import published
from assets.resources import Monitoring, WorkArea
from common.clock import utc_now
from reports import figures
from reports.run_report import CheckOutcome, collect, report_url, write_report
from reports.summary import match_summary as summarise
from warehouse import tables

MATCH_SUMMARY = AssetKey(["reports", "match_summary"])
RUN_REPORT = AssetKey(["reports", "run_report"])
REPORT_TAG = "unify/report"  # the run's tag that names its HTML report
LINKAGE_FIGURES = "linkage_figures"  # work file: the match summary's figures, for the run report


# After the crosswalk, not the golden table: when a golden check blocks (a giant cluster) the
# charts that show why are still drawn.
@asset(
    key=MATCH_SUMMARY,
    deps=work_tables.writers_of(work_tables.CROSSWALK, work_tables.PAIRS),
    group_name="reports",
    description="Match summary of the linked and golden layers: match rate per source, duplicates per source pair, match-weight histogram, cluster sizes.",
)
def match_summary(work: WorkArea) -> MaterializeResult:
    linkage = figures.linkage(
        work.read(work_tables.CROSSWALK, columns=figures.CROSSWALK_COLUMNS),
        work.read(work_tables.PAIRS, columns=figures.PAIRS_COLUMNS),
    )
    work.write_json(LINKAGE_FIGURES, linkage.to_json())  # the run report shows them too
    numbers, sections = summarise(linkage)
    return MaterializeResult(metadata={**numbers, **{name: MetadataValue.md(text) for name, text in sections.items()}})


# after the publish (its inputs hold every work table the report reads) and the match summary (its figures file)
@asset(
    key=RUN_REPORT,
    deps=[published.key, MATCH_SUMMARY, keys.VALUE_MODEL],  # and the value model (its figures file)
    group_name="reports",
    description="One self-contained HTML page per published run: sources and overlap, duplicates merged, match weights, value tiers, predicted value and its calibration, quarantine by reason, checks.",
)
def run_report(context: AssetExecutionContext, work: WorkArea, monitoring: Monitoring) -> MaterializeResult:
    value_mart = work_tables.mart(tables.customer_value)  # written by the marts, when they are in the run
    run = collect(
        run_id=context.run_id,
        finished_at=utc_now(),
        files=work.read(work_tables.FILE_REPORTS),
        linkage=figures.LinkageFigures.from_json(work.read_json(LINKAGE_FIGURES)),
        quarantined=work.read(work_tables.QUARANTINED),
        value=work.read(value_mart) if work.has(value_mart) else None,
        checks=check_outcomes(context),
        value_model=work.read_json(VALUE_FIGURES),
    )
    path = write_report(monitoring.reports(), run).resolve()
    context.instance.add_run_tags(context.run_id, {REPORT_TAG: str(path)})
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str(path)),
            "report_url": MetadataValue.url(report_url(monitoring.public_url, context.run_id)),  # `unify serve`'s page
            "checks_not_passed": sum(not c.passed for c in run.checks),
        }
    )


def check_outcomes(context: AssetExecutionContext) -> list[CheckOutcome]:
    """The asset checks this run evaluated so far (every check runs before the publish)."""
    records = context.instance.get_records_for_run(
        context.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    return [CheckOutcome(e.asset_key.to_user_string(), e.check_name, e.passed, e.severity.value) for e in evaluations]


REPORT_ASSETS = [match_summary, run_report]
