"""The match summary of a run as Markdown sections and headline numbers (Dagster metadata:
Markdown shows on the asset's page, numbers are plotted run over run)."""

from __future__ import annotations

from reports.charts import text_bars
from reports.figures import LinkageFigures


def match_summary(linkage: LinkageFigures) -> tuple[dict[str, float], dict[str, str]]:
    """(headline numbers, Markdown sections) of this run's linkage."""
    numbers = {**linkage.headline, **{f"match_rate/{r['source_system']}": round(r["rate"], 4) for r in linkage.rates}}
    sections = {
        "match_rate_by_source": text_bars(
            [(r["source_system"], round(r["rate"], 3)) for r in linkage.rates], "source system", "match rate"
        ),
        "duplicates_by_source_pair": text_bars(
            [(f"{d['source_a']} ↔ {d['source_b']}", d["pairs"]) for d in linkage.duplicates], "sources", "joined pairs"
        ),
        "match_weight_histogram": text_bars(linkage.weights, "match weight", "scored pairs"),
        "cluster_sizes": text_bars(linkage.sizes, "records per customer", "customers"),
        "largest_customers": "\n".join(
            ["| customer_id | records | source systems |", "|---|---:|---|"]
            + [f"| {c['customer_id']} | {c['records']:,} | {c['source_systems']} |" for c in linkage.largest]
        ),
    }
    return numbers, sections
