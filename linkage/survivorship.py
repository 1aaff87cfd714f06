"""The golden record: one row per customer, each field chosen from its source records by a rule.

The rules live in survivorship.yaml (defaults, and why, are explained there); every chosen value
keeps its lineage: golden_field_lineage says which source record each golden field came from.
Consent is not configurable: least permissive always wins, per channel (linkage/consent.py).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from common.arrow_sql import Queries, connection, memory_budget, results
from common.sets import outside, within
from linkage import consent
from sources.schema import SOURCE_LINEAGE

# crosswalk column -> the canonical column it is (the published names, as in the warehouse)
CROSSWALK_COLUMNS = {
    **{c: c for c in ("source_system", "source_file", "source_sheet", "source_row", "source_record_key")},
    **{c: c for c in ("salesperson", "event_at", "record_id")},
    "name": "name_std",
    **{c: c for c in ("name_pinyin", "name_is_partial")},
    "phone": "phone_e164",
    "phone_display": "phone_display",
    "email": "email_std",
    "wechat": "wechat_std",
    "external_id": "external_id",
    "birth_date": "birth_date_std",
    **{c: f"{c}_std" for c in ("province", "city", "district", "address", "postcode")},
    **{c: c for c in ("company", "marketing_opt_out", "consent")},
}
LINEAGE_ORDER = [("source_file", "ascending"), ("source_sheet", "ascending"), ("source_row", "ascending")]

# the best probability linking each record to another record of its own customer
RECORD_MATCH_SQL = """
with edges as (
    select record_id_l as record_id, record_id_r as other, match_probability from pairs
    union all
    select record_id_r, record_id_l, match_probability from pairs
)
select e.record_id, max(e.match_probability) as match_probability
from edges e
join assignment a1 on a1.record_id = e.record_id
join assignment a2 on a2.record_id = e.other and a2.customer_id = a1.customer_id
group by e.record_id
"""

FUTURE_EVENT_FLAG = "event_in_future"  # quality flag of a record dated after the run's date
RULES = ("preferred_name", "most_recent", "most_frequent", "source_priority", "most_complete", "first_seen")
CONFIG_PATH = Path(__file__).with_name("survivorship.yaml")
# ties fall to the more recent record, then the preferred system, then the lineage key
TIE_BREAK = f"event_at desc nulls last, source_rank, {SOURCE_LINEAGE}"


@dataclass(frozen=True)
class FieldRule:
    field: str  # golden column
    rule: str
    column: str  # crosswalk column it comes from
    also: tuple[str, ...] = ()  # golden columns taken from the same record


@dataclass(frozen=True)
class SurvivorshipConfig:
    source_priority: tuple[str, ...]
    fields: tuple[FieldRule, ...]


def load_config(path: Path = CONFIG_PATH) -> SurvivorshipConfig:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    fields = []
    for name, spec in raw["fields"].items():
        if spec["rule"] not in RULES:
            raise ValueError(f"{path}: field {name}: unknown rule {spec['rule']!r} (use one of {', '.join(RULES)})")
        fields.append(FieldRule(name, spec["rule"], spec.get("column", name), tuple(spec.get("also", ()))))
    return SurvivorshipConfig(tuple(raw.get("source_priority", ())), tuple(fields))


def config_digest(path: Path = CONFIG_PATH) -> str:
    """Fingerprint of the rules: golden rows built under other rules are not reused."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _order(rule: FieldRule) -> str:
    complete = " + ".join(f"({c} is not null)::int" for c in (rule.column, *rule.also))
    return {
        "preferred_name": f"name_rank desc, value_count desc, {TIE_BREAK}",
        "most_recent": TIE_BREAK,
        "most_frequent": f"value_count desc, {TIE_BREAK}",
        "source_priority": f"source_rank, event_at desc nulls last, {SOURCE_LINEAGE}",
        "most_complete": f"{complete} desc, {TIE_BREAK}",
        "first_seen": f"event_at asc nulls last, source_rank, {SOURCE_LINEAGE}",
    }[rule.rule]


def _pick_sql(rule: FieldRule) -> str:
    """The one record each customer's field comes from."""
    also = "".join(f", {c} as {c}" for c in rule.also)
    return f"""pick_{rule.field} as (
        select customer_id, {rule.column} as {rule.field}{also}, {SOURCE_LINEAGE}
        from (select *, row_number() over (partition by customer_id order by {_order(rule)}) as rn
              from (select *, count(*) over (partition by customer_id, {rule.column}) as value_count
                    from base where {rule.column} is not null))
        where rn = 1)"""


def _latest_sql(column: str) -> str:
    """Fallback for an `also` field the chosen record lacks: its own most recent value."""
    return f"""latest_{column} as (
        select customer_id, {column} from (select *, row_number() over (partition by customer_id order by {TIE_BREAK}) rn
              from base where {column} is not null) where rn = 1)"""


# Consent is least permissive per channel (linkage/consent.py): the golden record is opted out when
# every channel is, with the statement that completed it (the table `everywhere` build_golden registers).
CONSENT_SQL = f"""pick_marketing_opt_out as (
        select customer_id, true as marketing_opt_out, marketing_opt_out_at, marketing_opt_out_source, {SOURCE_LINEAGE}
        from everywhere)"""


def _ctes(config: SurvivorshipConfig) -> str:
    """The shared WITH clause: one pick per field, the consent standing, per-customer facts."""
    priority = " ".join(f"when '{s}' then {i}" for i, s in enumerate(config.source_priority))
    also = {c for r in config.fields for c in r.also}
    ctes = [
        f"""base as (select *, case source_system {priority} else {len(config.source_priority)} end as source_rank,
            case when name is null then 0
                 when not name_is_partial and regexp_matches(name, '[\u4e00-\u9fff]') then 3
                 when not name_is_partial then 2 else 1 end as name_rank
            from crosswalk)""",
        *(_pick_sql(r) for r in config.fields),
        *(_latest_sql(c) for c in sorted(also)),
        CONSENT_SQL,
        """customers as (
        select customer_id, min(event_at) as first_seen_at, max(event_at) as last_seen_at, count(*)::bigint as source_record_count,
               string_agg(distinct source_system, ',' order by source_system) as source_systems,
               string_agg(distinct salesperson, ',' order by salesperson) as salespeople
        from base group by customer_id)""",
    ]
    return "with " + ", ".join(ctes)


def golden_sql(config: SurvivorshipConfig) -> str:
    also = {c for r in config.fields for c in r.also}
    columns = []
    for r in config.fields:
        columns.append(f"pick_{r.field}.{r.field}")
        columns += [f"coalesce(pick_{r.field}.{c}, latest_{c}.{c}) as {c}" for c in r.also]
    joins = [f"left join pick_{r.field} using (customer_id)" for r in config.fields]
    joins += [f"left join latest_{c} using (customer_id)" for c in sorted(also)]
    return f"""{_ctes(config)}
    select customers.customer_id, {", ".join(columns)},
           coalesce(pick_marketing_opt_out.marketing_opt_out, false) as marketing_opt_out,
           pick_marketing_opt_out.marketing_opt_out_at, pick_marketing_opt_out.marketing_opt_out_source,
           first_seen_at, last_seen_at, source_record_count, source_systems, salespeople
    from customers {" ".join(joins)} left join pick_marketing_opt_out using (customer_id)
    order by customers.customer_id"""


def field_lineage_sql(config: SurvivorshipConfig) -> str:
    """For each golden field of each customer: the source record it came from, and the rule."""
    parts = []
    for r in config.fields:
        for name in (r.field, *r.also):
            parts.append(
                f"select customer_id, '{name}' as field, cast({name} as varchar) as value, '{r.rule}' as rule, {SOURCE_LINEAGE} "
                f"from pick_{r.field} where {name} is not null"
            )
    parts.append(
        f"select customer_id, 'marketing_opt_out', 'true', 'least_permissive', {SOURCE_LINEAGE} from pick_marketing_opt_out"
    )
    return f"{_ctes(config)}\n    {' union all '.join(parts)} order by customer_id, field"


def build_crosswalk(canonical: pa.Table, assignment: pa.Table, pairs: pa.Table, today: date) -> pa.Table:
    """The crosswalk rows of the assigned records (assignment: record_id, customer_id), in lineage
    order; records dated after `today` (the run's date) are flagged FUTURE_EVENT_FLAG.

    Built of the canonical table's own columns, not a copy of them: at ten million records a
    joined copy (and the database's sorted one before it) held 10 GB on top of the run."""
    best = connection(assignment=assignment, pairs=pairs).sql(RECORD_MATCH_SQL).to_arrow_table()
    at = pc.index_in(canonical.column("record_id"), value_set=assignment.column("record_id"))
    if at.null_count:  # records of no customer here are not the crosswalk's
        canonical, at = canonical.filter(pc.is_valid(at)), at.drop_null()
    order = pc.sort_indices(canonical, sort_keys=LINEAGE_ORDER)
    if not pc.all(pc.equal(order, pa.array(range(len(order)), order.type))).as_py():
        canonical, at = canonical.take(order), at.take(order)
    matched = pc.index_in(canonical.column("record_id"), value_set=best.column("record_id"))
    columns = {
        "customer_id": assignment.column("customer_id").take(at),
        **{name: canonical.column(column) for name, column in CROSSWALK_COLUMNS.items()},
        "quality_flags": _with_future_flag(canonical.column("quality_flags"), canonical.column("event_at"), today),
        "match_probability": best.column("match_probability").take(matched),
    }
    return pa.table(columns)


def _with_future_flag(flags: pa.ChunkedArray, event_at: pa.ChunkedArray, today: date) -> pa.ChunkedArray:
    """The quality flags, FUTURE_EVENT_FLAG added to those of events after `today` (a typo or a
    clock gone wrong: flagged, and never 'today'); null where none is left."""
    tomorrow = pa.scalar(datetime.combine(today + timedelta(days=1), time()), event_at.type)
    future = pc.fill_null(pc.greater_equal(event_at, tomorrow), False)
    flagged = pc.coalesce(pc.binary_join_element_wise(flags, FUTURE_EVENT_FLAG, ";"), FUTURE_EVENT_FLAG)
    joined = pc.if_else(future, flagged, flags)
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def build_golden(
    crosswalk: pa.Table, config: SurvivorshipConfig | None = None, *, today: date, queries: Queries = results
) -> tuple[pa.Table, pa.Table]:
    """(golden customers, field lineage) from the crosswalk; consent as it stands on `today` (the
    run's date). queries: where the SQL runs (DuckDB by default; Spark runs the same SQL)."""
    config = config or load_config()
    tables = {"crosswalk": crosswalk, "everywhere": consent.everywhere(consent.customer_consent(crosswalk, today))}
    golden, lineage = queries(tables, [golden_sql(config), field_lineage_sql(config)])
    return golden, lineage


# Corrections by a data-subject request (warehouse/subjects.py) win over every rule and every source:
# the person said what is right. Their lineage names the request instead of a source row.
CORRECTED_RULE = "corrected by request"
CORRECTION_SYSTEM = "subject_request"


def apply_corrections(golden: pa.Table, lineage: pa.Table, corrections: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(golden, field lineage) with each correction (customer_id, field, value, request_id) in place
    of the chosen value, for the customers present; the others as they were."""
    live = corrections.filter(pc.is_in(corrections.column("customer_id"), golden.column("customer_id")))
    live = live.filter(pc.is_in(live.column("field"), pa.array(golden.column_names, pa.string())))
    if live.num_rows == 0:
        return golden, lineage
    for field in sorted(set(live.column("field").to_pylist())):
        mine = live.filter(pc.equal(live.column("field"), field))
        at = pc.index_in(golden.column("customer_id"), value_set=mine.column("customer_id"))
        kind = golden.schema.field(field).type
        corrected = pc.if_else(pc.is_valid(at), pc.take(mine.column("value").cast(kind), at), golden.column(field))
        golden = golden.set_column(golden.schema.get_field_index(field), field, corrected)
    pairs = pc.binary_join_element_wise(lineage.column("customer_id"), lineage.column("field"), "\x1f")
    corrected_pairs = pc.binary_join_element_wise(live.column("customer_id"), live.column("field"), "\x1f")
    kept = lineage.filter(pc.invert(pc.is_in(pairs, corrected_pairs)))
    rows = pa.table(
        {
            "customer_id": live.column("customer_id"),
            "field": live.column("field"),
            "value": live.column("value"),
            "rule": pa.array([CORRECTED_RULE] * live.num_rows, pa.string()),
            "source_system": pa.array([CORRECTION_SYSTEM] * live.num_rows, pa.string()),
            "source_file": pc.binary_join_element_wise("subject_requests", live.column("request_id"), "/"),
            "source_sheet": pa.array([""] * live.num_rows, pa.string()),
            "source_row": pa.array([0] * live.num_rows, pa.int64()),
        }
    )
    return golden, pa.concat_tables([kept, rows.select(lineage.column_names).cast(lineage.schema)])


def golden_parts(
    crosswalk: pa.Table,
    changed: pa.Array | None,
    published_golden: pa.Table | None,
    published_lineage: pa.Table | None,
    corrections: pa.Table,
    *,
    today: date,
    records_per_pass: int | None = None,
    queries: Queries = results,
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """(golden customers, field lineage) of a run, in parts to write one after another: with
    `changed` (the customers an incremental run changed), theirs built again from the crosswalk and
    every other customer's kept as last published; with None, every customer's built, in passes of
    whole customers in customer order (golden_passes). Corrections by request (apply_corrections)
    win over both, on kept and rebuilt customers alike. queries: where the golden SQL runs."""
    if changed is None:
        passes = golden_passes(crosswalk, records_per_pass or golden_pass_records(memory_budget()))
        for part in passes:
            yield apply_corrections(*build_golden(part, today=today, queries=queries), corrections)
        return
    fresh, fresh_lineage = build_golden(within(crosswalk, "customer_id", changed), today=today, queries=queries)
    kept, kept_lineage = (outside(t, "customer_id", changed) for t in (published_golden, published_lineage))
    golden = pa.concat_tables([kept, fresh.cast(kept.schema)])
    yield apply_corrections(
        golden, pa.concat_tables([kept_lineage, fresh_lineage.cast(kept_lineage.schema)]), corrections
    )


# Crosswalk records one pass of the golden SQL takes per byte of the memory limit: its windows sort
# each field's values per customer, and the query's results come on top (a million records took
# about 1 GB); 8 GB then builds ten million records in three passes.
BYTES_PER_GOLDEN_RECORD = 2048
MIN_GOLDEN_PASS_RECORDS = 100_000


def golden_pass_records(memory_bytes: int | None) -> int:
    """How many crosswalk records one pass of the golden SQL takes: all of them without a limit."""
    if memory_bytes is None:
        return sys.maxsize
    return max(MIN_GOLDEN_PASS_RECORDS, memory_bytes // BYTES_PER_GOLDEN_RECORD)


def golden_passes(crosswalk: pa.Table, records_per_pass: int) -> Iterator[pa.Table]:
    """The crosswalk in slices of whole customers, in customer_id order, of about records_per_pass
    records each; the crosswalk itself when it fits one pass."""
    if crosswalk.num_rows <= records_per_pass:
        yield crosswalk
        return
    counted = pc.value_counts(crosswalk.column("customer_id"))
    order = pc.sort_indices(counted.field("values"))
    ids = counted.field("values").take(order)
    records_so_far = np.cumsum(counted.field("counts").take(order).to_numpy())
    # the last customer of each pass: where the running count reaches the next multiple
    marks = np.arange(records_per_pass, records_so_far[-1], records_per_pass)
    lasts = np.unique(np.append(np.searchsorted(records_so_far, marks), len(ids) - 1))
    customer_id = crosswalk.column("customer_id")
    for first, last in zip(np.concatenate([[0], lasts[:-1] + 1]), lasts):
        in_pass = pc.and_(pc.greater_equal(customer_id, ids[int(first)]), pc.less_equal(customer_id, ids[int(last)]))
        yield crosswalk.filter(in_pass)
