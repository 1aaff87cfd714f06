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

from sources.arrow_sql import query

# cluster sizes are shown in buckets: exact while small, then widening; (low, high), None = no upper end
SIZE_BUCKETS = ((1, 1), (2, 2), (3, 3), (4, 5), (6, 10), (11, 20), (21, 50), (51, 200), (201, None))
WEIGHT_BIN = 2.0
# the columns the figures read, so callers can read no more
CROSSWALK_COLUMNS = ["record_id", "customer_id", "source_system"]
PAIRS_COLUMNS = ["record_id_l", "record_id_r", "kind", "match_weight"]  # match-weight histogram bin width (a weight of 2 doubles the odds twice)

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
        {"source_system": r["source_system"], "before": previous.get(r["source_system"]), "now": r["rate"],
         "change": None if r["source_system"] not in previous else r["rate"] - previous[r["source_system"]]}
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
        "select n, count(*) as customers from (select count(*) as n from crosswalk group by customer_id) group by n", crosswalk=crosswalk.select(["customer_id"])
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
    return query(
        """select customer_id, count(*) as records, string_agg(distinct source_system, ', ' order by source_system) as source_systems
           from crosswalk group by customer_id order by records desc, customer_id limit $top""",
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
    def from_json(cls, data: dict) -> "LinkageFigures":
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


_DIGITS = re.compile(r"\d+")
_EMAIL = re.compile(r"\S+@\S+")


def reason_kind(reason: str | None, limit: int = 100) -> str:
    """A quarantine reason without the values that vary from row to row (and may be personal):
    numbers become '#', anything like an email '…@…'."""
    text = _DIGITS.sub("#", _EMAIL.sub("…@…", reason or "(no reason)"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quarantine_reasons(quarantined: pa.Table) -> list[tuple[str, int]]:
    return Counter(map(reason_kind, quarantined.column("reason").to_pylist())).most_common()


def value_tiers(value: pa.Table) -> list[dict]:
    """Customers and their spend per value tier (marts/value.py); customers who never bought last."""
    return query(
        """select coalesce(value_tier, 'no purchase') as tier, count(*) as customers, coalesce(sum(total_spent), 0)::double as total_spent
           from value group by 1 order by tier = 'no purchase', tier""",
        value=value.select(["value_tier", "total_spent"]),
    ).to_pylist()
