"""The customer-360 marts as Dagster assets, and the audits that gate their publication.

One step reads the audited golden tables and the canonical records from the work area once,
calls each mart's pure builder in marts/, and writes one work table per mart, named like its
warehouse table; `warehouse/published` swaps them in with the golden tables. Their checks run in
the same step and are blocking: a mart that fails one stops the whole publish, and the previous
tables stay live. Every mart depends on the golden customers, which its audit checks it against.
"""

from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    asset,
    multi_asset,
)

from assets import keys, work_tables
from assets.checks import blocking_check
from assets.customers import RunMode, changed_customers
from assets.metadata import table_metadata
from assets.resources import RunSettings, Warehouse, WorkArea
from common import audits
from marts import orders, tickets
from marts import value_model as value_core
from marts.audits import audience_violations
from marts.build import MartInputs, MartUpdate, build_marts, mart_scopes_table, touched_lines, update_marts
from marts.orders import build_orders
from marts.value import tiers_by_prediction
from sources.schema import LINEAGE_COLUMNS, SOURCE_LINEAGE_COLUMNS
from warehouse import tables, value_models


def mart_key(table) -> AssetKey:
    return work_tables.mart(table).writer


CONSENT = work_tables.mart(tables.customer_consent)
TICKETS = work_tables.mart(tables.customer_service_tickets)
AUDIENCES = (tables.marketing_audience, tables.marketing_audience_channels)


# mart -> the work tables it is built from (what it holds: its table's comment, warehouse/tables.py)
MART_SPECS = {
    tables.customer_orders: [work_tables.CANONICAL, work_tables.CROSSWALK, work_tables.GOLDEN],
    tables.customer_service_tickets: [work_tables.CANONICAL, work_tables.CROSSWALK, work_tables.GOLDEN],
    tables.customer_value: [work_tables.GOLDEN, work_tables.CANONICAL],
    tables.customer_consent: [work_tables.CROSSWALK],
    tables.marketing_audience: [work_tables.GOLDEN],
    tables.marketing_audience_channels: [work_tables.GOLDEN],
    tables.marketing_suppressions: [work_tables.GOLDEN],
    tables.customer_salespeople: [work_tables.CROSSWALK, work_tables.GOLDEN],
    tables.upcoming_birthdays: [work_tables.GOLDEN, work_tables.CANONICAL],
}
# a mart built from another mart of the same step depends on it too, so the graph says so
MART_DEPS = {
    tables.customer_value: [work_tables.mart(tables.customer_orders), work_tables.VALUE_PREDICTIONS],
    tables.marketing_audience: [TICKETS, CONSENT],
    tables.marketing_audience_channels: [TICKETS, CONSENT],
    tables.marketing_suppressions: [TICKETS, CONSENT],
    tables.upcoming_birthdays: [work_tables.mart(tables.customer_salespeople)],
}


def _audit_specs() -> list[AssetCheckSpec]:
    """Per mart: key unique and not null, customers exist; and the audience's promises."""
    specs = [
        spec
        for t in MART_SPECS
        for spec in (
            blocking_check(mart_key(t), "key_unique", "The key is unique and never null."),
            blocking_check(mart_key(t), "points_at_golden", "Every row's customer_id is a golden customer."),
        )
    ]
    promise = "No one opted out of the channel or of every channel, no open complaint, no address twice or missing."
    return [*specs, *(blocking_check(mart_key(t), "audience_respects_consent", promise) for t in AUDIENCES)]


MART_CHECKS = _audit_specs()
PREDICTIONS_MADE = "value_predictions_made"  # work file: the run, version and date of the value predictions
VALUE_FIGURES = "value_model_figures"  # work file: the value model's figures and calibration, for the run report


@asset(
    key=keys.VALUE_MODEL,
    deps=work_tables.writers_of(work_tables.CANONICAL, work_tables.CROSSWALK),
    group_name="marts",
    description="The value model (BG/NBD + Gamma-Gamma, marts/value_model.py) fitted on the orders, kept as a "
    "version in the warehouse (value_models), its predictions per buyer and its calibration on a held-out last period.",
)
def value_model(
    context: AssetExecutionContext, config: RunMode, work: WorkArea, warehouse: Warehouse, run_settings: RunSettings
):
    """Fits on the orders as of the run's date; a failed fit predicts with the warehouse's current
    version, and without pymc-marketing or any version the predictions are empty: both say why.
    An incremental run predicts again only the customers it changed, when the last publish's
    predictions are the current version's at this date."""
    canonical, crosswalk = work.read(work_tables.CANONICAL, columns=orders.CANONICAL_COLUMNS), _crosswalk_keys(work)
    store = value_models.WarehouseValueModels(warehouse.engine(), saved_by=context.run_id)
    today, changed, current = run_settings.today(), changed_customers(work), store.current()
    kept = _kept_predictions(work, changed, today, current) if config.incremental else None
    if kept is None:
        outcome = value_core.run(build_orders(canonical, crosswalk), today, store, refit=not config.incremental)
    else:
        changed_orders = build_orders(touched_lines(canonical, crosswalk, changed), crosswalk)
        outcome = value_core.update(kept, changed, changed_orders, today, current)
    by_prediction = tiers_by_prediction(run_settings.tiers_by_prediction(), outcome.predictions)
    figures = {**outcome.figures, "tiers_by": "predicted_value_12m" if by_prediction else "total_spent"}
    work.write(work_tables.VALUE_PREDICTIONS, outcome.predictions)
    made = {"run_id": context.run_id, "version": outcome.figures.get("version"), "as_of": today.isoformat()}
    work.write_json(PREDICTIONS_MADE, made)
    work.write_json(VALUE_FIGURES, figures)
    return MaterializeResult(metadata=table_metadata(outcome.predictions, **value_core.metadata(figures)))


@multi_asset(
    name="marts",
    specs=[
        AssetSpec(
            mart_key(t),
            deps=work_tables.writers_of(*reads, *MART_DEPS.get(t, [])),
            group_name="marts",
            description=t.comment,
        )
        for t, reads in MART_SPECS.items()
    ],
    check_specs=MART_CHECKS,
)
def customer_marts(work: WorkArea, run_settings: RunSettings):
    """All customer-360 marts in one step: they share their inputs, read once; measured at the
    run's date (an event dated later, a typo such as 2031, never moves it). An incremental run
    updates the marts last published at the same date for the customers it changed (marts/build.py)."""
    golden, today, changed = work.read(work_tables.GOLDEN), run_settings.today(), changed_customers(work)
    inputs = MartInputs(
        golden,
        _crosswalk_keys(work),
        work.read(work_tables.CANONICAL, columns=sorted({*orders.CANONICAL_COLUMNS, *tickets.CANONICAL_COLUMNS})),
        work.read(work_tables.CROSSWALK, columns=["customer_id", "salesperson", "event_at"]),
        work.read(work_tables.CROSSWALK, columns=["customer_id", *SOURCE_LINEAGE_COLUMNS, "event_at", "consent"]),
        today,
        _value_predictions(work),
        run_settings.tiers_by_prediction(),
    )
    built, built_for = _built(work, changed, inputs)
    for table, data in built.items():
        work.write(work_tables.mart(table), data)
        yield MaterializeResult(asset_key=mart_key(table), metadata=table_metadata(data, table, built_for=built_for))
    for table, data in built.items():
        key = [c.name for c in table.primary_key.columns]
        yield _result(table, "key_unique", audits.key_violations(data, key))
        yield _result(
            table,
            "points_at_golden",
            audits.orphan_customers(data.select(["customer_id"]), golden.select(["customer_id"])),
        )
    for audience in AUDIENCES:
        violations = audience_violations(
            built[audience], golden, built[tables.customer_consent], built[tables.customer_service_tickets]
        )
        yield _result(audience, "audience_respects_consent", violations)


def _kept_predictions(work: WorkArea, changed: pa.Array | None, today: date, current: dict | None) -> pa.Table | None:
    """The value predictions of the run that last published, when they stand for the customers this
    run did not change: made by the current version at this run's date."""
    made, marker = work.read_json(PREDICTIONS_MADE), work.published_marker()
    if changed is None or current is None or made is None or marker is None:
        return None
    same = made == {"run_id": marker["run_id"], "version": current["version"], "as_of": today.isoformat()}
    return work.read(work_tables.VALUE_PREDICTIONS) if same and work.has(work_tables.VALUE_PREDICTIONS) else None


def _built(work: WorkArea, changed: pa.Array | None, inputs: MartInputs) -> tuple[dict, str]:
    """The marts, updated for the changed customers when the kept ones allow it (with the scope of
    each update kept for the publish), else built whole; and for whom they were built."""
    kept = _kept_marts(work, changed, inputs.today)
    update = None if kept is None else _updated(kept, changed, inputs, work.read_published(work_tables.GOLDEN))
    if update is None:
        work.delete(work_tables.MART_SCOPES)
        return build_marts(inputs), "all customers"
    work.write(work_tables.MART_SCOPES, mart_scopes_table(update.scopes))
    return update.marts, f"{len(changed)} changed customers"


def _kept_marts(work: WorkArea, changed: pa.Array | None, today: date) -> dict | None:
    """The marts as last published, when this run may update them: an incremental run, every mart
    kept with the golden table they were built from, and built at this run's date (consent
    standing, recency and birthdays move with it)."""
    kept_tables = [work_tables.GOLDEN, *(work_tables.mart(t) for t in tables.MARTS)]
    if changed is None or not all(work.has_published(t) for t in kept_tables):
        return None
    kept = {t: work.read_published(work_tables.mart(t)) for t in tables.MARTS}
    dates = pc.unique(kept[tables.customer_value].column("as_of")).to_pylist()
    return kept if dates == [today] else None


def _updated(kept: dict, changed: pa.Array, inputs: MartInputs, golden_before: pa.Table) -> MartUpdate | None:
    """update_marts' marts; None when the kept tables are of another shape (a work area left by
    an older version of the project), so the step builds them whole."""
    try:
        return update_marts(kept, changed, inputs, golden_before)
    except (ValueError, pa.ArrowInvalid, duckdb.Error):
        return None


def _crosswalk_keys(work: WorkArea) -> pa.Table:
    """Each record's customer, by lineage key."""
    return work.read(work_tables.CROSSWALK, columns=["customer_id", *LINEAGE_COLUMNS])


def _value_predictions(work: WorkArea) -> pa.Table | None:
    """The value model's predictions; None when the marts run without the value model's step."""
    return work.read(work_tables.VALUE_PREDICTIONS) if work.has(work_tables.VALUE_PREDICTIONS) else None


def _result(table, check: str, violations: dict[str, int]) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=mart_key(table), check_name=check, passed=not any(violations.values()), metadata=violations
    )


MART_ASSETS = [value_model, customer_marts]
