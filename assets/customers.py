"""The customer pipeline as Dagster assets: one asset per table, each a thin call to a pure core.

staged -> standardised -> linked -> golden -> published. Golden tables are written to the work
area first; their blocking checks audit them; only then does `warehouse/published` swap them
into the warehouse (write-audit-publish).
"""


import json
from datetime import datetime, timezone

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from assets.metadata import table_metadata
from assets.resources import LinkageSettings, SourcesFolder, Warehouse, WorkArea
from linkage import identity, model, predict, survivorship
from sources.canonical import standardise
from sources.ingest import ingest
from warehouse import publish, state, tables

STAGED = AssetKey(["staged", "source_records"])
CANONICAL = AssetKey(["standardised", "canonical_records"])
MODEL = AssetKey(["linked", "linkage_model"])
PAIRS = AssetKey(["linked", "scored_pairs"])
CROSSWALK = AssetKey(["golden", "customer_source_records"])
GOLDEN = AssetKey(["golden", "golden_customers"])


@asset(key=STAGED, group_name="staged", description="Every source row staged as a record or quarantined with its reason.")
def staged_source_records(sources: SourcesFolder, work: WorkArea) -> MaterializeResult:
    result = ingest(sources.root())
    work.write("staged", result.staged)
    work.write("quarantined", result.quarantined)
    work.write("file_reports", pa.Table.from_pylist(result.files))
    return MaterializeResult(
        metadata=table_metadata(
            result.staged,
            quarantined=result.quarantined.num_rows,
            files=MetadataValue.md(_file_table(result.files)),
        )
    )


@asset(key=CANONICAL, deps=[STAGED], group_name="standardised", description="Staged records with standardised names, phones, emails, addresses and dates.")
def canonical_records(work: WorkArea) -> MaterializeResult:
    canonical = standardise(work.read("staged"))
    work.write("canonical", canonical)
    return MaterializeResult(metadata=table_metadata(canonical))


class ModelConfig(Config):
    retrain: bool = False  # the retrain job sets this; normal runs reuse the saved model


@asset(key=MODEL, deps=[CANONICAL], group_name="linked", description="The Splink model: trained by EM once, saved with a version, reused by every run.")
def linkage_model(config: ModelConfig, work: WorkArea, linkage: LinkageSettings) -> MaterializeResult:
    records = predict.link_records(work.read("canonical"))
    document = model.current_model(linkage.path(), records, retrain=config.retrain)
    return MaterializeResult(
        metadata={"version": document["version"], "trained_on_records": document["trained_on_records"], "path": str(linkage.path())}
    )


@asset(key=PAIRS, deps=[CANONICAL, MODEL], group_name="linked", description="Candidate record pairs scored by the model, plus pairs that are one customer by definition.")
def scored_pairs(work: WorkArea, linkage: LinkageSettings) -> MaterializeResult:
    canonical = work.read("canonical")
    document = model.load_model(linkage.path())
    scored = predict.score_pairs(predict.link_records(canonical), document["splink"], threshold=0.5)
    pairs = pa.concat_tables([scored, predict.deterministic_pairs(canonical)])
    work.write("pairs", pairs)
    return MaterializeResult(metadata=table_metadata(pairs, model_version=document["version"]))


@asset(key=CROSSWALK, deps=[PAIRS], group_name="golden", description="The crosswalk: every staged record with its stable customer ID and lineage.")
def customer_source_records(context: AssetExecutionContext, work: WorkArea, warehouse: Warehouse, linkage: LinkageSettings) -> MaterializeResult:
    canonical, pairs = work.read("canonical"), work.read("pairs")
    engine = warehouse.engine()
    highest = state.highest_customer_id(engine)
    clusters = identity.cluster(canonical.column("record_id").to_pylist(), pairs, linkage.match_threshold)
    previous = _previous_ids(canonical, state.read_registry(engine))
    assignment = identity.assign_ids(clusters, previous, identity.parse_id_number(highest) + 1 if highest else 1)
    crosswalk = survivorship.build_crosswalk(canonical, assignment.customer_of_record, pairs)
    work.write("crosswalk", crosswalk)
    work.write("id_history", pa.Table.from_pylist(assignment.history, schema=identity.HISTORY_SCHEMA))
    events = {e: sum(1 for h in assignment.history if h["event"] == e) for e in ("minted", "kept", "merged", "split", "retired")}
    return MaterializeResult(metadata=table_metadata(crosswalk, **{f"ids_{k}": v for k, v in events.items()}))


@asset(key=GOLDEN, deps=[CROSSWALK], group_name="golden", description="One row per unified customer, each field chosen by a survivorship rule.")
def golden_customers(work: WorkArea) -> MaterializeResult:
    crosswalk = work.read("crosswalk")
    golden = survivorship.build_golden(crosswalk)
    work.write("golden", golden)
    merged = crosswalk.num_rows - golden.num_rows
    return MaterializeResult(metadata=table_metadata(golden, duplicates_merged=merged))


@asset(
    key=AssetKey(["warehouse", "published"]),
    deps=[GOLDEN, CROSSWALK, STAGED],
    group_name="published",
    description="Atomic publish of the golden and crosswalk tables, the quarantine, the identity state and the run row.",
)
def published(context: AssetExecutionContext, work: WorkArea, warehouse: Warehouse) -> MaterializeResult:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    crosswalk, golden, files = work.read("crosswalk"), work.read("golden"), work.read("file_reports")
    run_row = _run_row(context.run_id, now, files, golden.num_rows)
    publish.publish(
        warehouse.engine(),
        published={
            tables.golden_customers: golden,
            tables.customer_source_records: crosswalk,
            tables.quarantined_records: work.read("quarantined"),
        },
        appends={tables.customer_id_history: _history(work.read("id_history"), context.run_id, now), tables.pipeline_runs: run_row},
        registry=_registry(crosswalk, context.run_id),
    )
    return MaterializeResult(metadata={"golden_customers": golden.num_rows, "source_records": crosswalk.num_rows, "run_id": context.run_id})


def _previous_ids(canonical: pa.Table, registry: dict) -> dict[int, str]:
    keys = zip(*(canonical.column(c).to_pylist() for c in ("record_id", "source_file", "source_sheet", "source_row")))
    return {rid: registry[(f, s, r)] for rid, f, s, r in keys if (f, s, r) in registry}


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
    return history.append_column("run_id", pa.array([run_id] * n, pa.string())).append_column("at", pa.array([now] * n, pa.timestamp("us")))


def _run_row(run_id: str, now: datetime, files: pa.Table, golden_count: int) -> pa.Table:
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
            }
        ]
    )


def _file_table(files: list[dict]) -> str:
    lines = ["| file | format | read | staged | quarantined | error |", "|---|---|---|---|---|---|"]
    lines += [f"| {f['source_file']} | {f['source_format']} | {f['rows_read']} | {f['staged']} | {f['quarantined']} | {f['error'] or ''} |" for f in files]
    return "\n".join(lines)
