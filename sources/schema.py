"""The one definition of the record shapes that flow through the pipeline.

* STAGED: what a reader produces from one input row: lineage, raw person fields as strings,
  and the order/ticket facts the marts need. Readers fill what their format has; the rest is null.
* CANONICAL: a staged record after standardisation, the input of linkage. Column names used by
  linkage, survivorship and publication are written here and nowhere else.
* QUARANTINE: a row (or a whole file, row 0) that could not be staged, with the reason.
"""

from __future__ import annotations

import pyarrow as pa

# Lineage: the key that traces any record back to one row of one file.
LINEAGE_COLUMNS = ("source_file", "source_sheet", "source_row")
LineageKey = tuple[str, str, int]  # one record's values of LINEAGE_COLUMNS
# the lineage key with the system the row came from: the order survivorship breaks ties in, and
# where a profile says a value came from
SOURCE_LINEAGE_COLUMNS = ("source_system", *LINEAGE_COLUMNS)

# The person fields a source can provide (the canonical fields of a mapped/ YAML source).
PERSON_FIELDS = (
    "full_name",
    "given_name",
    "family_name",
    "phone",
    "email",
    "wechat",
    "birth_date",
    "gender",
    "company",
    "address_line",
    "district",
    "city",
    "province",
    "postcode",
    "country",
    "national_id",
    "external_id",
    "marketing_opt_out",
    "notes",
)

STAGED_SCHEMA = pa.schema(
    [
        ("source_system", pa.string()),  # tmall, shopify, sales, call_center, helpdesk, or a mapped label
        ("source_file", pa.string()),
        ("source_sheet", pa.string()),
        ("source_row", pa.int64()),
        ("source_record_key", pa.string()),  # order number, ticket number, or null
        ("salesperson", pa.string()),
        ("event_at", pa.timestamp("us")),  # when the source saw the person (order, ticket, contact)
        *[(f, pa.string()) for f in PERSON_FIELDS if f != "marketing_opt_out"],
        ("marketing_opt_out", pa.bool_()),  # the row refuses marketing on some channel (consent.summary)
        # its consent statements, ';'-joined "channel:kind[@date][~expiry]" (sources/standardise/consent.py)
        ("consent", pa.string()),
        # facts kept for the customer-360 marts
        ("order_amount", pa.float64()),
        ("currency", pa.string()),
        ("order_status", pa.string()),
        ("items", pa.string()),
        ("related_order_id", pa.string()),
        ("ticket_type", pa.string()),
        ("ticket_status", pa.string()),
        ("channel", pa.string()),
        ("satisfaction", pa.string()),
        ("ticket_text", pa.string()),
        ("quality_flags", pa.string()),  # ';'-joined data-quality flags (e.g. birth_date_unparsed)
    ]
)
STAGED_COLUMNS = tuple(STAGED_SCHEMA.names)

# Standardised fields added to a staged record; linkage compares these.
STANDARDISED_FIELDS = pa.schema(
    [
        ("record_id", pa.int64()),  # dense id for this run's linkage, ordered by lineage key
        ("name_std", pa.string()),  # simplified characters / cleaned Latin name, honorifics removed
        ("surname", pa.string()),  # simplified characters for Chinese names, lower-case pinyin otherwise
        ("name_pinyin", pa.string()),  # lower-case tokens: surname first for Chinese names, as written for Latin ones
        ("name_tokens", pa.string()),  # the same tokens sorted: order-insensitive comparisons
        ("name_is_partial", pa.bool_()),  # surname only (王总, 张先生): weak evidence
        ("phone_e164", pa.string()),  # first usable phone
        ("phones", pa.list_(pa.string())),  # every usable phone, E.164
        ("phone_display", pa.string()),  # what staff may see (masked numbers stay masked)
        ("email_std", pa.string()),
        ("wechat_std", pa.string()),
        ("birth_date_std", pa.date32()),
        ("province_std", pa.string()),
        ("city_std", pa.string()),
        ("district_std", pa.string()),
        ("address_std", pa.string()),
        ("postcode_std", pa.string()),
    ]
)
CANONICAL_SCHEMA = pa.schema(list(STAGED_SCHEMA) + list(STANDARDISED_FIELDS))
CANONICAL_COLUMNS = tuple(CANONICAL_SCHEMA.names)

# the lineage key as a SQL column list, and as a schema of its own; the source lineage as a SQL column list
LINEAGE = ", ".join(LINEAGE_COLUMNS)
SOURCE_LINEAGE = ", ".join(SOURCE_LINEAGE_COLUMNS)
LINEAGE_SCHEMA = pa.schema([STAGED_SCHEMA.field(c) for c in LINEAGE_COLUMNS])

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_sheet", pa.string()),
        ("source_row", pa.int64()),  # 0 = the whole file
        ("reason", pa.string()),
        ("raw", pa.string()),  # the raw row as JSON (or the file-level error)
    ]
)
QUARANTINE_COLUMNS = tuple(QUARANTINE_SCHEMA.names)
