"""The numbers behind the reports and the drift checks, computed from the work tables.

Each function takes Arrow tables and returns plain rows, so checks, Markdown metadata and the
HTML page all read the same figures.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.compute as pc

from common.arrow_sql import query

# cluster sizes are shown in buckets: exact while small, then widening; (low, high), None = no upper end
SIZE_BUCKETS = ((1, 1), (2, 2), (3, 3), (4, 5), (6, 10), (11, 20), (21, 50), (51, 200), (201, None))
WEIGHT_BIN = 2.0
# the columns the figures read, so callers can read no more
CROSSWALK_COLUMNS = ["record_id", "customer_id", "source_system"]
PAIRS_COLUMNS = [
    "record_id_l",
    "record_id_r",
    "kind",
    "match_weight",
]  # match-weight histogram bin width (a weight of 2 doubles the odds twice)

MATCH_RATES_SQL = """
with sizes as (select customer_id, count(*) as n from crosswalk group by customer_id)
select source_system, count(*) as records, count(*) filter (where n > 1) as matched,
       count(*) filter (where n > 1) / count(*) as rate
from crosswalk join sizes using (customer_id)
group by source_system order by source_system
"""


def match_rates(crosswalk: pa.Table) -> list[dict]:
    """Per source system: its records, how many joined another record, and that share."""
    return query(MATCH_RATES_SQL, crosswalk=crosswalk.select(["customer_id", "source_system"])).to_pylist()


def rate_changes(before: list[dict], now: list[dict]) -> list[dict]:
    """Each source's match rate now beside the last run's; a source new this run has no change."""
    previous = {r["source_system"]: r["rate"] for r in before}
    return [
        {
            "source_system": r["source_system"],
            "before": previous.get(r["source_system"]),
            "now": r["rate"],
            "change": None if r["source_system"] not in previous else r["rate"] - previous[r["source_system"]],
        }
        for r in now
    ]


def records_by_source(table: pa.Table) -> dict[str, int]:
    rows = query("select source_system, count(*) as n from t group by 1", t=table.select(["source_system"])).to_pylist()
    return {r["source_system"]: r["n"] for r in rows}


def shrinkage(before: dict[str, int], now: dict[str, int]) -> list[dict]:
    """Each source of the last run with its record count then and now, and the share it lost."""
    return [
        {"source_system": s, "before": n, "now": now.get(s, 0), "lost": (n - now.get(s, 0)) / n if n else 0.0}
        for s, n in sorted(before.items())
    ]


def weight_histogram(pairs: pa.Table, width: float = WEIGHT_BIN) -> list[tuple[str, int]]:
    """Model-scored pairs by match weight; pairs joined by definition (same order) have no weight."""
    rows = query(
        "select floor(match_weight / $w) * $w as low, count(*) as n from pairs where kind = 'model' group by 1 order by 1",
        {"w": width},
        pairs=pairs.select(["match_weight", "kind"]),
    ).to_pylist()
    return [(f"{r['low']:g} to {r['low'] + width:g}", r["n"]) for r in rows]


def cluster_sizes(crosswalk: pa.Table) -> list[tuple[str, int]]:
    """Customers by how many source records they hold, in SIZE_BUCKETS (empty buckets left out)."""
    sizes = query(
        "select n, count(*) as customers from (select count(*) as n from crosswalk group by customer_id) group by n",
        crosswalk=crosswalk.select(["customer_id"]),
    ).to_pylist()
    counts = Counter()
    for size in sizes:  # one row per distinct size: few
        counts[_bucket(size["n"])] += size["customers"]
    return [(label, counts[label]) for label in map(_bucket_label, SIZE_BUCKETS) if counts[label]]


def _bucket_label(bucket: tuple[int, int | None]) -> str:
    low, high = bucket
    return str(low) if low == high else f"{low}+" if high is None else f"{low}-{high}"


def _bucket(n: int) -> str:
    return next(_bucket_label(b) for b in SIZE_BUCKETS if n >= b[0] and (b[1] is None or n <= b[1]))


def largest_customers(crosswalk: pa.Table, top: int = 5) -> list[dict]:
    """The customers of the most records, with their source systems (named for the few only: the
    systems of every customer took 0.5 s at a million records)."""
    return query(
        """with largest as (select customer_id, count(*) as records from crosswalk group by customer_id
                            order by records desc, customer_id limit $top)
           select customer_id, records, string_agg(distinct source_system, ', ' order by source_system) as source_systems
           from largest join crosswalk using (customer_id)
           group by customer_id, records order by records desc, customer_id""",
        {"top": top},
        crosswalk=crosswalk.select(["customer_id", "source_system"]),
    ).to_pylist()


def duplicates_by_source_pair(pairs: pa.Table, crosswalk: pa.Table) -> list[dict]:
    """Model-scored pairs whose records ended in one customer, by the two records' source systems."""
    return query(
        """select least(l.source_system, r.source_system) as source_a, greatest(l.source_system, r.source_system) as source_b, count(*) as pairs
           from pairs p
           join crosswalk l on l.record_id = p.record_id_l
           join crosswalk r on r.record_id = p.record_id_r
           where p.kind = 'model' and l.customer_id = r.customer_id
           group by all order by pairs desc, source_a, source_b""",
        pairs=pairs.select(["record_id_l", "record_id_r", "kind"]),
        crosswalk=crosswalk.select(["record_id", "customer_id", "source_system"]),
    ).to_pylist()


def source_overlap(crosswalk: pa.Table) -> dict[tuple[str, str], int]:
    """Customers known to both systems, for every pair of systems (a system with itself: all its customers)."""
    rows = query(
        """with s as (select distinct customer_id, source_system from crosswalk)
           select a.source_system as a, b.source_system as b, count(*) as n from s a join s b using (customer_id) group by all""",
        crosswalk=crosswalk.select(["customer_id", "source_system"]),
    ).to_pylist()
    return {(r["a"], r["b"]): r["n"] for r in rows}


@dataclass(frozen=True)
class LinkageFigures:
    """Every figure of the linked layer: the match summary and the run report both show them."""

    headline: dict
    rates: list[dict]
    overlap: dict[tuple[str, str], int]
    duplicates: list[dict]
    largest: list[dict]
    weights: list[tuple[str, int]]
    sizes: list[tuple[str, int]]

    def to_json(self) -> dict:
        return {**asdict(self), "overlap": [[a, b, n] for (a, b), n in self.overlap.items()]}

    @classmethod
    def from_json(cls, data: dict) -> LinkageFigures:
        pairs = {k: [tuple(v) for v in data[k]] for k in ("weights", "sizes")}
        return cls(**{**data, **pairs, "overlap": {(a, b): n for a, b, n in data["overlap"]}})


def linkage(crosswalk: pa.Table, pairs: pa.Table) -> LinkageFigures:
    """The figures of this run's linkage, each computed once."""
    rates, largest = match_rates(crosswalk), largest_customers(crosswalk)
    return LinkageFigures(
        headline=headline(crosswalk, pairs, rates, largest),
        rates=rates,
        overlap=source_overlap(crosswalk),
        duplicates=duplicates_by_source_pair(pairs, crosswalk),
        largest=largest,
        weights=weight_histogram(pairs),
        sizes=cluster_sizes(crosswalk),
    )


def headline(crosswalk: pa.Table, pairs: pa.Table, rates: list[dict], largest: list[dict]) -> dict:
    """The match summary: records, customers, duplicates merged, how many records joined another."""
    records = sum(r["records"] for r in rates)
    customers = pc.count_distinct(crosswalk.column("customer_id")).as_py()
    matched = sum(r["matched"] for r in rates)
    kinds = Counter({c["values"]: c["counts"] for c in pc.value_counts(pairs.column("kind")).to_pylist()})
    return {
        "records": records,
        "customers": customers,
        "duplicates_merged": records - customers,
        "match_rate": matched / records if records else 0.0,
        "scored_pairs": kinds.pop("model", 0),
        "pairs_by_definition": sum(kinds.values()),
        "largest_cluster": largest[0]["records"] if largest else 0,
    }


# A reader's reason (sources/) may quote what it found: a header, a cell, an exception's text, and
# a headerless export's "header" is its first customer. Only the reasons opening as below leave the
# warehouse (reports, run metadata, the terminal), each as its fixed text; any other as
# OTHER_REASON. The full reasons stay in quarantined_records and pipeline_runs.per_source.
PUBLIC_REASONS = tuple(
    (re.compile(opening), shown)
    for opening, shown in (
        (r"no name, phone, email, WeChat or id", "no name, phone, email, WeChat or id to identify a person"),
        (r"row holds a NUL or undecodable byte", "row holds a NUL or undecodable byte"),
        (r"row has \d+ fields, header has \d+", "row has # fields, header has #"),
        (r"not valid JSON \(", "not valid JSON"),
        (r"JSON line is not an object|not a JSON ticket object", "not a JSON object"),
        (r"empty file", "empty file"),
        (r"binary content where", "binary content where text was expected"),
        (r"not a text file in any known encoding", "not a text file in any known encoding"),
        (r"malformed CSV", "malformed CSV"),
        (r"not a readable \.xlsx? workbook", "not a readable workbook (corrupt, truncated or password-protected)"),
        (r"not a readable zip archive|member |a zip archive inside", "an archive or a member that cannot be read"),
        (r"unsupported (data )?file type", "unsupported file type"),
        (r"unrecognised ", "unrecognised header: no known layout"),
        (r"no recognisable header row", "no recognisable header row"),
        (r"sheet .*: no recognisable header row", "a sheet without a recognisable header row"),
        (r"sheet .*: no known name column", "a sheet whose name columns no synonym maps"),
        (r"mapping |'records: ", "the mapping cannot be used"),
        (r"could not be read: ", "could not be read (a reader error)"),
        (r"erased at the data subject's request", "erased at the data subject's request"),
        (
            r"not read: a file in no kind folder",
            "not read: a file in no kind folder (shop/, sales/, service/, mapped/)",
        ),
    )
)
OTHER_REASON = "another problem (the full reason is in quarantined_records)"


def public_reason(reason: str | None) -> str:
    """A reason as it may be shown outside the warehouse: the fixed text of its kind, no values."""
    return next((shown for opening, shown in PUBLIC_REASONS if opening.match(reason or "")), OTHER_REASON)


def quarantine_reasons(quarantined: pa.Table) -> list[tuple[str, int]]:
    return Counter(map(public_reason, quarantined.column("reason").to_pylist())).most_common()


def value_tiers(value: pa.Table) -> list[dict]:
    """Customers and their spend per value tier (marts/value.py); customers who never bought last."""
    return query(
        """select coalesce(value_tier, 'no purchase') as tier, count(*) as customers, coalesce(sum(total_spent), 0)::double as total_spent
           from value group by 1 order by tier = 'no purchase', tier""",
        value=value.select(["value_tier", "total_spent"]),
    ).to_pylist()
