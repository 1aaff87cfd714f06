"""The customer-360 marts as Dagster assets, and the audits that gate their publication.

Each asset reads the audited golden tables and the canonical records from the work area, calls
its pure builder in marts/, and writes one work table named like its warehouse table;
`warehouse/published` swaps them in with the golden tables. Their checks are blocking: a mart
that fails one stops the whole publish, and the previous tables stay live. Every mart depends on
the golden customers, which its audit checks it against.
"""

from datetime import date

from dagster import AssetCheckResult, AssetCheckSpec, AssetKey, AssetSpec, Config, MaterializeResult, asset, asset_check, multi_asset, multi_asset_check

from assets.customers import CANONICAL, CROSSWALK, GOLDEN
from assets.metadata import table_metadata
from assets.resources import WorkArea
from marts import audits, orders, tickets
from marts.audience import build_audience
from marts.birthdays import build_birthdays
from marts.orders import build_orders
from marts.salespeople import build_salespeople
from marts.tickets import build_tickets
from marts.value import as_of, build_value
from sources.schema import LINEAGE_COLUMNS
from warehouse import tables


def mart_key(table) -> AssetKey:
    return AssetKey(["marts", table.name])


ORDERS = mart_key(tables.customer_orders)
TICKETS = mart_key(tables.customer_service_tickets)
VALUE = mart_key(tables.customer_value)
AUDIENCE = mart_key(tables.marketing_audience)
SUPPRESSIONS = mart_key(tables.marketing_suppressions)
SALESPEOPLE = mart_key(tables.customer_salespeople)
BIRTHDAYS = mart_key(tables.upcoming_birthdays)
MART_ASSET_KEYS = [mart_key(t) for t in tables.MARTS]


class AsOf(Config):
    today: str | None = None  # ISO date the marts are measured at; default: the latest event in the data


def _today(config: AsOf, work: WorkArea) -> date:
    return as_of(work.read("canonical", columns=["event_at"]), date.fromisoformat(config.today) if config.today else None)


def _crosswalk_keys(work: WorkArea):
    """Each record's customer, by lineage key."""
    return work.read("crosswalk", columns=["customer_id", *LINEAGE_COLUMNS])


def _write(work: WorkArea, table, data) -> MaterializeResult:
    work.write(table.name, data)
    return MaterializeResult(asset_key=mart_key(table), metadata=table_metadata(data))


@asset(key=ORDERS, deps=[CANONICAL, CROSSWALK, GOLDEN], group_name="marts", description="One row per shop order, with its golden customer.")
def customer_orders(work: WorkArea) -> MaterializeResult:
    return _write(work, tables.customer_orders, build_orders(work.read("canonical", columns=orders.CANONICAL_COLUMNS), _crosswalk_keys(work)))


@asset(key=TICKETS, deps=[CANONICAL, CROSSWALK, GOLDEN], group_name="marts", description="One row per service ticket, with its golden customer and whether it is open.")
def customer_service_tickets(work: WorkArea) -> MaterializeResult:
    return _write(work, tables.customer_service_tickets, build_tickets(work.read("canonical", columns=tickets.CANONICAL_COLUMNS), _crosswalk_keys(work)))


@asset(key=VALUE, deps=[ORDERS, GOLDEN, CANONICAL], group_name="marts", description="Orders, spend, purchase cycle, RFM and value tier per customer, as of a date.")
def customer_value(config: AsOf, work: WorkArea) -> MaterializeResult:
    value = build_value(work.read("golden"), work.read(tables.customer_orders.name), _today(config, work))
    return _write(work, tables.customer_value, value)


@multi_asset(
    specs=[
        AssetSpec(AUDIENCE, deps=[GOLDEN, TICKETS], group_name="marts", description="Customers marketing may contact, each at one address."),
        AssetSpec(SUPPRESSIONS, deps=[GOLDEN, TICKETS], group_name="marts", description="Customers left out of the audience, with the reasons."),
    ]
)
def marketing_audience(work: WorkArea):
    audience, suppressions = build_audience(work.read("golden"), work.read(tables.customer_service_tickets.name))
    yield _write(work, tables.marketing_audience, audience)
    yield _write(work, tables.marketing_suppressions, suppressions)


@asset(key=SALESPEOPLE, deps=[CROSSWALK, GOLDEN], group_name="marts", description="Every salesperson who has the customer in a sheet; one is primary.")
def customer_salespeople(work: WorkArea) -> MaterializeResult:
    return _write(work, tables.customer_salespeople, build_salespeople(work.read("crosswalk", columns=["customer_id", "salesperson", "event_at"])))


@asset(key=BIRTHDAYS, deps=[GOLDEN, SALESPEOPLE, CANONICAL], group_name="marts", description="Customers whose birthday falls in the next 30 days, for customer care.")
def upcoming_birthdays(config: AsOf, work: WorkArea) -> MaterializeResult:
    birthdays = build_birthdays(work.read("golden"), work.read(tables.customer_salespeople.name), _today(config, work))
    return _write(work, tables.upcoming_birthdays, birthdays)


MART_ASSETS = [customer_orders, customer_service_tickets, customer_value, marketing_audience, customer_salespeople, upcoming_birthdays]


# --- audits: blocking, so a bad mart never reaches the warehouse ---


def _audits(*marts):
    """One step checking the marts one asset writes: key unique and not null, customers exist."""
    specs = [
        spec
        for t in marts
        for spec in (
            AssetCheckSpec("key_unique", asset=mart_key(t), blocking=True, description="The key is unique and never null."),
            AssetCheckSpec("points_at_golden", asset=mart_key(t), blocking=True, description="Every row's customer_id is a golden customer."),
        )
    ]

    @multi_asset_check(specs=specs, name=f"audit_{marts[0].name}")
    def audit(work: WorkArea):
        golden = work.read("golden")
        for table in marts:
            data = work.read(table.name)
            yield _result(table, "key_unique", audits.key_violations(data, [c.name for c in table.primary_key.columns]))
            yield _result(table, "points_at_golden", audits.orphan_customers(data, golden))

    return audit


def _result(table, check: str, violations: dict[str, int]) -> AssetCheckResult:
    return AssetCheckResult(asset_key=mart_key(table), check_name=check, passed=not any(violations.values()), metadata=violations)


@asset_check(asset=AUDIENCE, blocking=True, description="No opted-out customer, no open complaint, no address twice, none without an address.")
def audience_respects_consent(work: WorkArea) -> AssetCheckResult:
    audience, tickets = work.read(tables.marketing_audience.name), work.read(tables.customer_service_tickets.name)
    return _result(tables.marketing_audience, "audience_respects_consent", audits.audience_violations(audience, work.read("golden"), tickets))


MART_CHECKS = [
    _audits(tables.customer_orders),
    _audits(tables.customer_service_tickets),
    _audits(tables.customer_value),
    _audits(tables.marketing_audience, tables.marketing_suppressions),
    _audits(tables.customer_salespeople),
    _audits(tables.upcoming_birthdays),
    audience_respects_consent,
]
