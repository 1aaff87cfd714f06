"""The asset graph as a snapshot: every asset key and the keys it depends on. The dependencies are
derived from the work tables each asset reads (assets/work_tables.py), so a change here is a
decision about the data flow, not an accident of a list kept by hand."""

from pipelines.definitions import defs

MARTS = [
    "marts/customer_consent",
    "marts/customer_orders",
    "marts/customer_salespeople",
    "marts/customer_service_tickets",
    "marts/customer_value",
    "marts/marketing_audience",
    "marts/marketing_audience_channels",
    "marts/marketing_suppressions",
    "marts/upcoming_birthdays",
]
GRAPH = {
    "staged/source_records": [],
    "standardised/canonical_records": ["staged/source_records"],
    "linked/linkage_model": ["standardised/canonical_records"],
    "linked/scored_pairs": ["linked/linkage_model", "standardised/canonical_records"],
    "golden/customer_source_records": ["linked/scored_pairs"],
    "golden/golden_customers": ["golden/customer_source_records"],
    "marts/customer_orders": [
        "golden/customer_source_records",
        "golden/golden_customers",
        "standardised/canonical_records",
    ],
    "marts/customer_salespeople": ["golden/customer_source_records", "golden/golden_customers"],
    "marts/customer_service_tickets": [
        "golden/customer_source_records",
        "golden/golden_customers",
        "standardised/canonical_records",
    ],
    "marts/customer_value": [
        "golden/golden_customers",
        "marts/customer_orders",
        "marts/value_model",
        "standardised/canonical_records",
    ],
    # fitted on the orders, which it builds from the records and their customers as the marts do
    "marts/value_model": ["golden/customer_source_records", "standardised/canonical_records"],
    "marts/customer_consent": ["golden/customer_source_records"],  # consent per channel, from every record
    "marts/marketing_audience": ["golden/golden_customers", "marts/customer_consent", "marts/customer_service_tickets"],
    "marts/marketing_audience_channels": [
        "golden/golden_customers",
        "marts/customer_consent",
        "marts/customer_service_tickets",
    ],
    "marts/marketing_suppressions": [
        "golden/golden_customers",
        "marts/customer_consent",
        "marts/customer_service_tickets",
    ],
    "marts/upcoming_birthdays": [
        "golden/golden_customers",
        "marts/customer_salespeople",
        "standardised/canonical_records",
    ],
    "warehouse/published": sorted(
        ["golden/customer_source_records", "golden/golden_customers", "staged/source_records", *MARTS]
    ),
    "reports/match_summary": ["golden/customer_source_records", "linked/scored_pairs"],
    "reports/run_report": ["marts/value_model", "reports/match_summary", "warehouse/published"],
}


def test_every_asset_and_its_upstream_assets_are_as_snapshotted():
    graph = defs.resolve_asset_graph()
    found = {
        key.to_user_string(): sorted(parent.to_user_string() for parent in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
    }
    assert found == GRAPH
