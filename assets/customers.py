"""The customer pipeline as Dagster assets: one asset per table, each a thin call to a pure core.

staged -> standardised -> linked -> golden -> published. Golden tables are written to the work
area first; their blocking checks audit them; only then does `warehouse/published` swap them
into the warehouse (write-audit-publish).
"""


from collections import Counter

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from assets.metadata import table_metadata
from assets.resources import LinkageSettings, SourcesFolder, Warehouse, WorkArea
from linkage import identity, model, predict, survivorship
from linkage import review as linkage_review
from sources.canonical import standardise
from sources.ingest import ingest
from warehouse import review, state

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
