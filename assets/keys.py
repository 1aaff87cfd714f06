"""The asset keys of the customer pipeline, named once for the assets, their checks and the jobs."""

from dagster import AssetKey

STAGED = AssetKey(["staged", "source_records"])
CANONICAL = AssetKey(["standardised", "canonical_records"])
MODEL = AssetKey(["linked", "linkage_model"])
PAIRS = AssetKey(["linked", "scored_pairs"])
CROSSWALK = AssetKey(["golden", "customer_source_records"])
GOLDEN = AssetKey(["golden", "golden_customers"])
VALUE_MODEL = AssetKey(["marts", "value_model"])
