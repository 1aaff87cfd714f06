"""The customer pipeline as Dagster assets: one asset per table, each a thin call to a pure core.

staged -> standardised -> linked -> golden -> published. Golden tables are written to the work
area first; their blocking checks audit them; only then does `warehouse/published` swap them
into the warehouse (write-audit-publish).
"""

import hashlib
import itertools
import json
import uuid
from collections import Counter
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from assets import checks, work_tables
from assets.keys import CANONICAL, CROSSWALK, GOLDEN, MODEL, PAIRS, STAGED
from assets.metadata import table_metadata
from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from common.arrow_files import extends
from config.settings import SCORE_FLOOR  # pairs below it are never useful: not a match, not worth a review
from linkage import identity, model_store, resolve, scoring, survivorship
from linkage import labels as linkage_labels
from linkage.features import link_records, link_values
from linkage.pairs import deterministic_pairs
from linkage.profile import generic_values, without_generic_values
from reports.figures import public_reason
from sources import erasure, incremental
from sources.schema import CANONICAL_SCHEMA
from warehouse import arrivals, models, review, state, subjects

# work table of an incremental run: the customer IDs whose rows it replaces (absent after a full run)
# work tables an incremental run starts from, kept as the last run published them
PUBLISHED_BASE = (work_tables.CROSSWALK, work_tables.REVIEW_QUEUE, work_tables.GOLDEN, work_tables.GOLDEN_FIELD_LINEAGE)
# work files naming the record numbering of canonical and of the scored pairs: record ids are
# only comparable within one numbering (a full standardisation numbers records afresh, and a run
# that failed before scoring leaves pairs of the old numbering behind)
NUMBERING, SCORED_NUMBERING = "record_numbering", "scored_numbering"
LINK_VALUES_NUMBERING = "link_values_numbering"
LINKS_RUN = "link_records_run"  # work file: the run whose model step wrote the link records
LINK_RECORDS_BASIS = "link_records_basis"  # work file: the numbering and generic values they were blanked under


class RunMode(Config):
    # incremental: re-read only new or changed files, score only pairs involving their records
    # and resolve again only the customers they touch; each step falls back to the full work
    # when the work area holds no earlier run it can trust
    incremental: bool = False


def _incremental(config: RunMode, work: WorkArea, *previous: work_tables.WorkTable) -> bool:
    return config.incremental and work.has(*previous)


def changed_customers(work: WorkArea) -> pa.Array | None:
    """The customer IDs whose rows this incremental run replaces; None after a full run (all of them)."""
    if not work.has(work_tables.CHANGED_CUSTOMERS):
        return None
    return work.read(work_tables.CHANGED_CUSTOMERS).column("customer_id").combine_chunks()


@asset(
    key=STAGED,
    group_name="staged",
    check_specs=checks.STAGED_CHECKS,
    description="Every source row staged as a record or quarantined with its reason.",
)
def staged_source_records(
    config: RunMode,
    sources: SourcesFolder,
    work: WorkArea,
    warehouse: Warehouse,
    monitoring: Monitoring,
    run_settings: RunSettings,
) -> MaterializeResult:
    earlier = [work_tables.BY_NAME[name] for name in incremental.PREVIOUS]
    previous = {t.name: work.read(t) for t in earlier} if _incremental(config, work, *earlier) else None
    result, staged, quarantined, reports = incremental.read_folder(sources.root(), previous)
    # erased people's rows (and rows with their phone or email) go to quarantine, in full and incremental runs
    tombstones = subjects.read_tombstones(warehouse.engine(), warehouse.tombstone_key)
    staged, quarantined, reports, erased = erasure.quarantine_erased(
        staged, quarantined, reports, warehouse.tombstone_key, tombstones
    )
    # an incremental run's tables begin with the last run's, kept whole unless files changed or went
    work.write_after(work_tables.STAGED, (previous or {}).get("staged"), staged)
    work.write_after(work_tables.QUARANTINED, (previous or {}).get("quarantined"), quarantined)
    work.write(work_tables.FILE_REPORTS, reports)
    work.write(work_tables.REREAD_FILES, incremental.files_read(result))
    return MaterializeResult(
        metadata=table_metadata(
            staged,
            quarantined=quarantined.num_rows,
            erased_rows=erased,
            files_read=len(result.files),
            files_unchanged=len(result.unchanged),
            files=MetadataValue.md(_file_table(result.files)),
        ),
        check_results=checks.audit_staged(staged, quarantined, reports, warehouse, monitoring, run_settings),
    )


@asset(
    key=CANONICAL,
    deps=work_tables.writers_of(work_tables.STAGED, work_tables.REREAD_FILES),
    group_name="standardised",
    description="Staged records with standardised names, phones, emails, addresses and dates.",
)
def canonical_records(config: RunMode, work: WorkArea, linkage: LinkageSettings) -> MaterializeResult:
    staged, reread = (
        work.read(work_tables.STAGED),
        work.read(work_tables.REREAD_FILES).column("source_file").to_pylist(),
    )
    numbering, standardised_chunks = work.read_json(NUMBERING), linkage.stages().standardised_chunks
    if _incremental(config, work, work_tables.CANONICAL) and numbering is not None:
        previous = work.read(work_tables.CANONICAL)
        kept, unstandardised = incremental.split_known(previous, staged, reread)
        first_id = (pc.max(previous.column("record_id")).as_py() or 0) + 1
        new_parts = standardised_chunks(unstandardised, first_id)
    else:
        previous, kept, new_parts = None, CANONICAL_SCHEMA.empty_table(), standardised_chunks(staged, 1)
        numbering = {"id": uuid.uuid4().hex}  # record ids start again from 1
    # chunk by chunk, never whole in memory; only the new records when every earlier one is kept
    if kept is previous:
        work.append(work_tables.CANONICAL, new_parts)
    else:
        work.write_parts(work_tables.CANONICAL, CANONICAL_SCHEMA, itertools.chain([kept], new_parts))
    work.write_json(NUMBERING, numbering)
    canonical = work.read(work_tables.CANONICAL)
    return MaterializeResult(metadata=table_metadata(canonical, new_records=canonical.num_rows - kept.num_rows))


class ModelConfig(Config):
    retrain: bool = False  # the retrain job sets this; normal runs reuse the warehouse's model while it fits


@asset(
    key=MODEL,
    deps=work_tables.writers_of(work_tables.CANONICAL),
    group_name="linked",
    description="The warehouse's Splink model: trained by EM (and reviewers' labels) when it has none or it no longer fits, else reused.",
)
def linkage_model(
    context: AssetExecutionContext, config: ModelConfig, work: WorkArea, warehouse: Warehouse, linkage: LinkageSettings
) -> MaterializeResult:
    engine = warehouse.engine()
    store = models.WarehouseModels(engine, saved_by=context.run_id)
    # the model's profile, and the scoring's (below); read back mapped, the training reads the
    # file's pages instead of a copy held beside it (4 GB at ten million records)
    known = _known_link_values(work)
    values = link_values(work.read(work_tables.CANONICAL), known)
    work.write_after(work_tables.LINK_VALUES, known, values)
    work.write_json(LINK_VALUES_NUMBERING, work.read_json(NUMBERING))
    _write_link_records(work, known, values)
    del values
    links = work.read(work_tables.LINK_RECORDS)
    work.write_json(LINKS_RUN, {"run_id": context.run_id})
    labels = lambda: linkage_labels.labelled_pairs(review.read_decisions(engine), work.read(work_tables.CANONICAL))  # noqa: E731
    choice = model_store.choose_model(
        store, lambda: links, retrain=config.retrain, model_file=linkage.path(), labels=labels
    )
    document = choice.document
    metadata = {"version": document["version"], "trained": choice.summary, "design": document["design"]}
    return MaterializeResult(
        metadata={
            **metadata,
            "trained_on_records": document.get("trained_on_records"),
            **_label_figures(document.get("labels")),
        }
    )


def _known_link_values(work: WorkArea) -> pa.Table | None:
    """The link values an earlier run computed for this record numbering; None: none to trust."""
    numbering = work.read_json(NUMBERING)
    same = numbering is not None and work.read_json(LINK_VALUES_NUMBERING) == numbering
    return work.read(work_tables.LINK_VALUES) if same and work.has(work_tables.LINK_VALUES) else None


def _write_link_records(work: WorkArea, known: pa.Table | None, values: pa.Table) -> None:
    """The link records: the link values with the generic values blanked, row by row. When the
    last run's link records are the known values' under the same generic values, only the new
    records' are written."""
    generic = generic_values(values)
    # a digest: the generic values are phones and e-mails, kept out of the work area's JSON files
    basis = {
        "numbering": work.read_json(NUMBERING),
        "generic": hashlib.sha256(json.dumps(generic).encode()).hexdigest(),
    }
    earlier = (
        work.read(work_tables.LINK_RECORDS)
        if known is not None and work.read_json(LINK_RECORDS_BASIS) == basis and work.has(work_tables.LINK_RECORDS)
        else None
    )
    if earlier is not None and earlier.num_rows == known.num_rows and extends(values, known):
        work.append(work_tables.LINK_RECORDS, [without_generic_values(values.slice(known.num_rows), generic)])
    else:
        work.write(work_tables.LINK_RECORDS, without_generic_values(values, generic))
    work.write_json(LINK_RECORDS_BASIS, basis)


def _label_figures(taught: dict | None) -> dict:
    """The model's label figures as metadata (counts and thresholds only)."""
    if not taught:
        return {"labels_pairs": 0}
    figures = {f"labels_{k}": taught[k] for k in ("pairs", "same", "different", "m_from_labels")}
    for name, value in (taught.get("thresholds") or {}).items():
        if value is not None:
            figures[f"labels_{name}"] = float(value)
    return figures


@asset(
    key=PAIRS,
    deps=[*work_tables.writers_of(work_tables.CANONICAL), MODEL],  # the model is the warehouse's, not a work table
    group_name="linked",
    description="Candidate record pairs scored by the model, plus pairs that are one customer by definition.",
)
def scored_pairs(
    context: AssetExecutionContext, config: RunMode, work: WorkArea, warehouse: Warehouse, linkage: LinkageSettings
) -> MaterializeResult:
    canonical = work.read(work_tables.CANONICAL)
    document = models.current_model(warehouse.engine())
    scorer = linkage.stages().scorer
    numbering = work.read_json(NUMBERING)
    links = _this_runs_links(context, work, canonical)  # the model's pairs and the deterministic ones
    if (
        _incremental(config, work, work_tables.PAIRS, work_tables.SCORED_RECORDS)
        and work.read_json(SCORED_NUMBERING) == numbering
    ):
        scored = scoring.rescore_with_new(
            work.read(work_tables.PAIRS),
            work.read(work_tables.SCORED_RECORDS),
            links,
            document["splink"],
            SCORE_FLOOR,
            scorer,
        )
    else:
        scored = scorer.all_pairs(links, document["splink"], SCORE_FLOOR)
    pairs = pa.concat_tables([scored, deterministic_pairs(canonical, links)])
    work.write(work_tables.SCORED_RECORDS, canonical.select(["record_id"]))
    work.write(work_tables.PAIRS, pairs)
    work.write_json(SCORED_NUMBERING, numbering)
    return MaterializeResult(metadata=table_metadata(pairs, model_version=document["version"]))


def _this_runs_links(context: AssetExecutionContext, work: WorkArea, canonical: pa.Table) -> pa.Table:
    """The link records the model step of this very run wrote (a run of the scoring alone builds its own)."""
    if work.read_json(LINKS_RUN) == {"run_id": context.run_id} and work.has(work_tables.LINK_RECORDS):
        return work.read(work_tables.LINK_RECORDS)
    return link_records(canonical)


@asset(
    key=CROSSWALK,
    deps=work_tables.writers_of(work_tables.PAIRS),  # it reads canonical and staged too, which come before
    group_name="golden",
    check_specs=checks.CROSSWALK_CHECKS,
    description="The crosswalk: every staged record with its stable customer ID and lineage; and the review queue.",
)
def customer_source_records(
    config: RunMode,
    work: WorkArea,
    warehouse: Warehouse,
    linkage: LinkageSettings,
    monitoring: Monitoring,
    run_settings: RunSettings,
) -> MaterializeResult:
    engine = warehouse.engine()
    decisions = review.read_decisions(engine)
    thresholds = linkage_labels.run_thresholds(
        models.current_labels(engine), linkage.match_threshold, linkage.review_floor
    )
    basis = resolve.basis(models.current_version(engine), thresholds, survivorship.config_digest(), work_tables.LAYOUT)
    base = _published_base(work, engine, basis) if config.incremental else None
    resolution = resolve.resolve(
        work.read(work_tables.CANONICAL),
        work.read(work_tables.PAIRS),
        decisions,
        thresholds=thresholds,
        today=run_settings.today(),
        base=base,
        components=linkage.stages().components,
        **_identity_state(engine, incremental=base is not None),
    )
    _write_resolution(work, resolution, basis)
    staged = work.read(work_tables.STAGED, columns=["source_file"])
    return MaterializeResult(
        metadata=_resolution_metadata(resolution, len(decisions), thresholds),
        check_results=checks.audit_crosswalk(
            resolution.crosswalk, staged, resolution.review_queue, resolution.history, warehouse, monitoring
        ),
    )


def _published_base(work: WorkArea, engine, basis: dict) -> resolve.PublishedBase | None:
    """The last published crosswalk and review queue, when the work area holds that very publish and
    it was resolved the way this run resolves; otherwise None, and the run resolves every record."""
    if not state.can_start_from(work.published_marker(), basis, engine):
        return None
    return resolve.PublishedBase(
        work.read_published(work_tables.CROSSWALK), work.read_published(work_tables.REVIEW_QUEUE)
    )


def _identity_state(engine, incremental: bool) -> dict:
    """What resolve.resolve takes from the warehouse's identity state: the registry (a lookup for an
    incremental run, which reads only the records it resolves again), the highest ID, the customers
    live now, the records filed on arrival, and the claim of the numbers the run mints."""
    highest = state.highest_customer_id(engine)
    return {
        "registry": partial(state.read_registry, engine) if incremental else state.read_registry(engine),
        "highest_id": highest,
        "published_customers": state.published_customer_ids(engine),
        "filed": arrivals.filed_customers(engine),
        "claim": partial(arrivals.claim_minted, engine, highest_read=highest, taken_by="run"),
    }


def _write_resolution(work: WorkArea, resolution: resolve.Resolution, basis: dict) -> None:
    if resolution.changed is None:
        work.delete(work_tables.CHANGED_CUSTOMERS)
    else:
        work.write(work_tables.CHANGED_CUSTOMERS, pa.table({"customer_id": resolution.changed}))
    work.write_json("basis", basis)
    work.write(work_tables.CROSSWALK, resolution.crosswalk)
    work.write(work_tables.REVIEW_QUEUE, resolution.review_queue)
    work.write(work_tables.ID_HISTORY, resolution.history)


def _resolution_metadata(resolution: resolve.Resolution, decisions: int, thresholds: linkage_labels.Thresholds):
    events = Counter(resolution.history.column("event").to_pylist())
    return table_metadata(
        resolution.crosswalk,
        work_tables.CROSSWALK.published_as,
        review_queue=resolution.review_queue.num_rows,
        decisions_applied=decisions,
        match_threshold=thresholds.match_threshold,
        review_floor=thresholds.review_floor,
        customers_resolved_again=len(resolution.changed) if resolution.changed is not None else "all",
        **{f"ids_{e}": events[e] for e in identity.EVENTS},
    )


@asset(
    key=GOLDEN,
    deps=work_tables.writers_of(work_tables.CROSSWALK, work_tables.CHANGED_CUSTOMERS),
    group_name="golden",
    check_specs=checks.GOLDEN_CHECKS,
    description="One row per unified customer, each field chosen by a survivorship rule.",
)
def golden_customers(
    work: WorkArea, linkage: LinkageSettings, warehouse: Warehouse, monitoring: Monitoring, run_settings: RunSettings
) -> MaterializeResult:
    crosswalk, changed = work.read(work_tables.CROSSWALK), changed_customers(work)
    # an incremental run keeps every other customer's rows as last published
    published = (
        (None, None)
        if changed is None
        else (work.read_published(work_tables.GOLDEN), work.read_published(work_tables.GOLDEN_FIELD_LINEAGE))
    )
    parts = survivorship.golden_parts(
        crosswalk,
        changed,
        *published,
        subjects.read_corrections(warehouse.engine()),
        today=run_settings.today(),
        queries=linkage.stages().queries,
    )
    # written pass by pass and read back mapped: at ten million records the whole tables held 5 GB
    work.write_together([work_tables.GOLDEN, work_tables.GOLDEN_FIELD_LINEAGE], parts)
    golden, field_lineage = work.read(work_tables.GOLDEN), work.read(work_tables.GOLDEN_FIELD_LINEAGE)
    merged = crosswalk.num_rows - golden.num_rows
    return MaterializeResult(
        metadata=table_metadata(golden, work_tables.GOLDEN.published_as, duplicates_merged=merged),
        check_results=checks.audit_golden(
            golden, field_lineage, crosswalk, linkage, warehouse, monitoring, run_settings
        ),
    )


def _file_table(files: list[dict]) -> str:
    """Per file: its figures and the kind of its error (an error may quote a cell: it stays in the warehouse)."""
    lines = ["| file | format | read | staged | quarantined | error |", "|---|---|---|---|---|---|"]
    for f in files:
        error = public_reason(f["error"]) if f["error"] else ""
        counts = f"{f['rows_read']} | {f['staged']} | {f['quarantined']}"
        lines.append(f"| {f['source_file']} | {f['source_format']} | {counts} | {error} |")
    return "\n".join(lines)
