"""The customer pipeline as Dagster assets: one asset per table, each a thin call to a pure core.

staged -> standardised -> linked -> golden -> published. Golden tables are written to the work
area first; their blocking checks audit them; only then does `warehouse/published` swap them
into the warehouse (write-audit-publish).
"""


from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from assets.metadata import table_metadata
from assets.resources import LinkageSettings, SourcesFolder, Warehouse, WorkArea
from linkage import identity, model, predict, survivorship
from sources import incremental
from linkage import review as linkage_review
from sources.canonical import standardise
from warehouse import review, state

STAGED = AssetKey(["staged", "source_records"])
CANONICAL = AssetKey(["standardised", "canonical_records"])
MODEL = AssetKey(["linked", "linkage_model"])
PAIRS = AssetKey(["linked", "scored_pairs"])
CROSSWALK = AssetKey(["golden", "customer_source_records"])
GOLDEN = AssetKey(["golden", "golden_customers"])
SCORE_FLOOR = 0.5  # pairs below this are never useful: not a match, not worth a review


class RunMode(Config):
    # incremental: re-read only new or changed files and score only pairs involving their
    # records; falls back to a full run when there is no earlier run in the work area
    incremental: bool = False


def _incremental(config: RunMode, work: WorkArea, *names: str) -> bool:
    return config.incremental and work.has(*names)


@asset(key=STAGED, group_name="staged", description="Every source row staged as a record or quarantined with its reason.")
def staged_source_records(config: RunMode, sources: SourcesFolder, work: WorkArea) -> MaterializeResult:
    previous = {name: work.read(name) for name in incremental.PREVIOUS} if _incremental(config, work, *incremental.PREVIOUS) else None
    result, staged, quarantined, reports = incremental.read_folder(sources.root(), previous)
    work.write("staged", staged)
    work.write("quarantined", quarantined)
    work.write("file_reports", reports)
    work.write("reread_files", pa.table({"source_file": [f["source_file"] for f in result.files]}, schema=pa.schema([("source_file", pa.string())])))
    return MaterializeResult(
        metadata=table_metadata(staged, quarantined=quarantined.num_rows, files_read=len(result.files), files_unchanged=len(result.unchanged), files=MetadataValue.md(_file_table(result.files)))
    )


@asset(key=CANONICAL, deps=[STAGED], group_name="standardised", description="Staged records with standardised names, phones, emails, addresses and dates.")
def canonical_records(config: RunMode, work: WorkArea) -> MaterializeResult:
    staged, reread = work.read("staged"), work.read("reread_files").column("source_file").to_pylist()
    if _incremental(config, work, "canonical"):
        previous = work.read("canonical")
        kept, unstandardised = incremental.split_known(previous, staged, reread)
        first_id = (pc.max(previous.column("record_id")).as_py() or 0) + 1
        new = standardise(unstandardised, first_record_id=first_id)
        canonical = pa.concat_tables([kept, new])
    else:
        canonical = new = standardise(staged)
    work.write("canonical", canonical)
    return MaterializeResult(metadata=table_metadata(canonical, new_records=new.num_rows))


class ModelConfig(Config):
    retrain: bool = False  # the retrain job sets this; normal runs reuse the saved model


@asset(key=MODEL, deps=[CANONICAL], group_name="linked", description="The Splink model: trained by EM once, saved with a version, reused by every run.")
def linkage_model(config: ModelConfig, work: WorkArea, linkage: LinkageSettings) -> MaterializeResult:
    document = model.current_model(linkage.path(), lambda: predict.link_records(work.read("canonical")), retrain=config.retrain)
    return MaterializeResult(
        metadata={"version": document["version"], "trained_on_records": document["trained_on_records"], "path": str(linkage.path())}
    )


@asset(key=PAIRS, deps=[CANONICAL, MODEL], group_name="linked", description="Candidate record pairs scored by the model, plus pairs that are one customer by definition.")
def scored_pairs(config: RunMode, work: WorkArea, linkage: LinkageSettings) -> MaterializeResult:
    canonical = work.read("canonical")
    document = model.load_model(linkage.path())
    engine = predict.scorer(linkage.engine, linkage.spark_master)
    if _incremental(config, work, "pairs", "scored_records"):
        scored = predict.rescore_with_new(work.read("pairs"), work.read("scored_records"), canonical, document["splink"], SCORE_FLOOR, engine)
    else:
        scored = engine.all_pairs(predict.link_records(canonical), document["splink"], SCORE_FLOOR)
    pairs = pa.concat_tables([scored, predict.deterministic_pairs(canonical)])
    work.write("scored_records", canonical.select(["record_id"]))
    work.write("pairs", pairs)
    return MaterializeResult(metadata=table_metadata(pairs, model_version=document["version"]))


@asset(key=CROSSWALK, deps=[PAIRS], group_name="golden", description="The crosswalk: every staged record with its stable customer ID and lineage; and the review queue.")
def customer_source_records(work: WorkArea, warehouse: Warehouse, linkage: LinkageSettings) -> MaterializeResult:
    canonical, pairs = work.read("canonical"), work.read("pairs")
    engine = warehouse.engine()
    decisions = review.read_decisions(engine)
    assignment = identity.resolve_identities(
        canonical, pairs, state.read_registry(engine), decisions, state.highest_customer_id(engine), linkage.match_threshold
    )
    crosswalk = survivorship.build_crosswalk(canonical, assignment.customer_of_record, pairs)
    queue = linkage_review.review_queue(canonical, assignment.customer_of_record, pairs, decisions, linkage.review_floor, linkage.match_threshold)
    work.write("crosswalk", crosswalk)
    work.write("review_queue", queue)
    work.write("id_history", pa.Table.from_pylist(assignment.history, schema=identity.HISTORY_SCHEMA))
    events = Counter(h["event"] for h in assignment.history)
    return MaterializeResult(metadata=table_metadata(crosswalk, review_queue=queue.num_rows, decisions_applied=len(decisions), **{f"ids_{e}": events[e] for e in identity.EVENTS}))


@asset(key=GOLDEN, deps=[CROSSWALK], group_name="golden", description="One row per unified customer, each field chosen by a survivorship rule.")
def golden_customers(work: WorkArea) -> MaterializeResult:
    crosswalk = work.read("crosswalk")
    golden, field_lineage = survivorship.build_golden(crosswalk)
    work.write("golden", golden)
    work.write("golden_field_lineage", field_lineage)
    merged = crosswalk.num_rows - golden.num_rows
    return MaterializeResult(metadata=table_metadata(golden, duplicates_merged=merged))


def _file_table(files: list[dict]) -> str:
    lines = ["| file | format | read | staged | quarantined | error |", "|---|---|---|---|---|---|"]
    lines += [f"| {f['source_file']} | {f['source_format']} | {f['rows_read']} | {f['staged']} | {f['quarantined']} | {f['error'] or ''} |" for f in files]
    return "\n".join(lines)
