"""The match summary of a run as Markdown sections and headline numbers (Dagster metadata:
Markdown shows on the asset's page, numbers are plotted run over run)."""

from __future__ import annotations

import pyarrow as pa

from reports import figures
from reports.charts import text_bars


def match_summary(crosswalk: pa.Table, pairs: pa.Table) -> tuple[dict[str, float], dict[str, str]]:
    """(headline numbers, Markdown sections) of this run's linkage."""
    head = figures.headline(crosswalk, pairs)
    rates = figures.match_rates(crosswalk)
    numbers = {**head, **{f"match_rate/{r['source_system']}": round(r["rate"], 4) for r in rates}}
    sections = {
        "match_rate_by_source": text_bars([(r["source_system"], round(r["rate"], 3)) for r in rates], "source system", "match rate"),
        "duplicates_by_source_pair": text_bars(
            [(f"{d['source_a']} ↔ {d['source_b']}", d["pairs"]) for d in figures.duplicates_by_source_pair(pairs, crosswalk)], "sources", "joined pairs"
        ),
        "match_weight_histogram": text_bars(figures.weight_histogram(pairs), "match weight", "scored pairs"),
        "cluster_sizes": text_bars(figures.cluster_sizes(crosswalk), "records per customer", "customers"),
        "largest_customers": "\n".join(
            ["| customer_id | records | source systems |", "|---|---:|---|"]
            + [f"| {c['customer_id']} | {c['records']:,} | {c['source_systems']} |" for c in figures.largest_customers(crosswalk)]
        ),
    }
    return numbers, sections
