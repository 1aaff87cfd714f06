"""The published tables (contracts/WAREHOUSE.md) and the state tables, defined once.

Published tables are replaced atomically on every run; state tables are only ever appended to
or updated in place, never dropped (identity registry, ID history, review decisions, runs).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Double, MetaData, Numeric, String, Table, Text

metadata = MetaData()


def _lineage() -> list[Column]:
    return [
        Column("source_file", String, nullable=False, comment="file path relative to the sources folder"),
        Column("source_sheet", String, nullable=False, comment="worksheet name; empty for non-spreadsheets"),
        Column("source_row", BigInteger, nullable=False, comment="1-based data row after the header (0 = whole file)"),
    ]


golden_customers = Table(
    "golden_customers",
    metadata,
    Column("customer_id", String, primary_key=True, comment="stable customer ID, minted once and kept"),
    Column("display_name", String, comment="best full name: Chinese full name over honorific or romanised forms"),
    Column("name_pinyin", String, comment="pinyin of the display name, surname first"),
    Column("phone", String, comment="most recently seen usable phone, E.164"),
    Column("email", String, comment="most frequent valid email"),
    Column("wechat", String, comment="WeChat ID"),
    Column("birth_date", Date, comment="date of birth"),
    Column("province", String, comment="province of the address (standardised, simplified Chinese)"),
    Column("city", String, comment="city of the address"),
    Column("district", String, comment="district or county of the address"),
    Column("address", String, comment="most recent address"),
    Column(
        "marketing_opt_out",
        Boolean,
        nullable=False,
        comment="true when opted out of every channel (customer_consent: each one opted_out); "
        "a customer who refused one channel only is false here and opted_out in that channel",
    ),
    Column("marketing_opt_out_at", DateTime, comment="when the statement that completed the opt-out was given"),
    Column("marketing_opt_out_source", String, comment="system:file:sheet:row of that statement"),
    Column("first_seen_at", DateTime, comment="earliest event of any of its source records"),
    Column("last_seen_at", DateTime, comment="latest event of any of its source records"),
    Column("source_record_count", BigInteger, nullable=False, comment="source records unified into this customer"),
    Column("source_systems", String, comment="comma-separated source systems holding this customer"),
    Column("salespeople", String, comment="comma-separated salespeople who have this customer in a sheet"),
    comment="One row per unified customer.",
)

customer_source_records = Table(
    "customer_source_records",
    metadata,
    Column("customer_id", String, nullable=False, comment="golden customer this record belongs to"),
    Column(
        "source_system",
        String,
        nullable=False,
        comment="the system the record came from (tmall, shopify, sales, call_center, ...)",
    ),
    *_lineage(),
    Column("source_record_key", String, comment="order or ticket number"),
    Column("salesperson", String, comment="the salesperson whose sheet holds the record"),
    Column("event_at", DateTime, comment="when the source saw the customer"),
    Column("record_id", BigInteger, comment="this run's linkage id (not stable)"),
    Column("name", String, comment="the name, standardised (simplified Chinese, honorifics split off)"),
    Column("name_pinyin", String, comment="pinyin of the name, surname first"),
    Column("name_is_partial", Boolean, comment="surname only (王总, 张先生)"),
    Column("phone", String, comment="first usable phone, E.164"),
    Column("phone_display", String, comment="the phone as the source wrote it (masked stays masked)"),
    Column("email", String, comment="email, lower-cased and validated"),
    Column("wechat", String, comment="WeChat ID"),
    Column(
        "external_id",
        String,
        comment="the record's account on its platform, platform:account (tmall:<buyer nickname>, jd:<account>, zendesk:<id>)",
    ),
    Column("birth_date", Date, comment="date of birth"),
    Column("province", String, comment="province of the address"),
    Column("city", String, comment="city of the address"),
    Column("district", String, comment="district or county of the address"),
    Column("address", String, comment="the address as standardised"),
    Column("postcode", String, comment="postal code"),
    Column("company", String, comment="the company the record names"),
    Column("marketing_opt_out", Boolean, comment="the record refuses marketing on some channel"),
    Column(
        "consent",
        Text,
        comment="the record's consent statements, ';'-joined channel:kind[@date][~expiry] (channel 'all': every one)",
    ),
    Column("quality_flags", String, comment="';'-joined data-quality flags"),
    Column(
        "match_probability",
        Double,
        comment="best match probability to another record of its customer; null for singletons",
    ),
    comment="The crosswalk: one row per staged source record, with its lineage and customer.",
)

golden_field_lineage = Table(
    "golden_field_lineage",
    metadata,
    Column("customer_id", String, nullable=False, comment="golden customer the field belongs to"),
    Column("field", String, nullable=False, comment="golden_customers column"),
    Column("value", String, comment="the chosen value, as text"),
    Column("rule", String, comment="the survivorship rule that chose it (linkage/survivorship.yaml)"),
    Column("source_system", String, comment="system of the source record the value came from"),
    *_lineage(),
    comment="Field-level lineage: which source record each golden field came from.",
)

quarantined_records = Table(
    "quarantined_records",
    metadata,
    *_lineage(),
    Column("reason", Text, nullable=False, comment="why it could not be staged"),
    Column("raw", Text, comment="the row as read, for a person to fix at the source; null for an erased row"),
    comment="Rows (or whole files, source_row 0) that could not be staged, with the reason.",
)


def _pair_sides() -> list[Column]:
    return [
        Column(f"{side}_{name}", type_, nullable=False, comment=f"the {side} record's {name}")
        for side in ("left", "right")
        for name, type_ in (("source_file", String), ("source_sheet", String), ("source_row", BigInteger))
    ]


match_review_queue = Table(
    "match_review_queue",
    metadata,
    Column("pair_id", String, primary_key=True, comment="stable: derived from both records' lineage keys"),
    *_pair_sides(),
    Column("left_customer_id", String, comment="the left record's customer in this run"),
    Column("right_customer_id", String, comment="the right record's customer in this run"),
    Column("match_probability", Double, nullable=False, comment="the model's probability that both are one person"),
    Column("match_weight", Double, comment="the model's match weight (log2 Bayes factor)"),
    Column("status", String, nullable=False, comment="pending, same or different"),
    Column("decided_by", String, comment="the reviewer who decided it"),
    Column("decided_at", DateTime, comment="when it was decided"),
    Column(
        "review_rank",
        BigInteger,
        comment="the order to review in, 1 first: pending pairs the model is least sure about, spread over "
        "match-weight bands (linkage/review.py)",
    ),
    comment="Borderline pairs for a person to decide; decisions are kept in review_decisions.",
)

# --- customer-360 marts (built in marts/): what BI tools, marketing and customer care read ---

customer_orders = Table(
    "customer_orders",
    metadata,
    Column("order_id", String, primary_key=True, comment="the shop's order number"),
    Column("customer_id", String, nullable=False, comment="golden customer who placed the order"),
    Column("source_system", String, nullable=False, comment="tmall or shopify"),
    Column("ordered_at", DateTime, comment="payment time, else creation time"),
    Column("amount", Numeric(14, 2), comment="amount paid for the whole order"),
    Column("currency", String, comment="ISO currency code of amount"),
    Column("status", String, comment="the shop's own order status (交易成功, 交易关闭, paid, refunded, ...)"),
    Column(
        "is_successful",
        Boolean,
        nullable=False,
        comment="completed and paid (交易成功, paid): counts toward customer value",
    ),
    Column("items", Text, comment="the order's line items, '; '-joined"),
    Column("source_file", String, nullable=False, comment="the export the order was read from"),
    comment="One row per shop order, with the golden customer who placed it.",
)

customer_service_tickets = Table(
    "customer_service_tickets",
    metadata,
    Column("ticket_id", String, primary_key=True, comment="the service desk's ticket number"),
    Column("customer_id", String, nullable=False, comment="golden customer the ticket is about"),
    Column("source_system", String, nullable=False, comment="call_center or helpdesk"),
    Column("created_at", DateTime, comment="when the ticket was opened"),
    Column("channel", String, comment="how the customer reached us (电话, 微信, web, email, ...)"),
    Column("ticket_type", String, comment="repair, complaint, inquiry or return"),
    Column("status", String, comment="the service desk's own status (待处理, 已关闭, open, solved, ...)"),
    Column("satisfaction", String, comment="the customer's rating as the desk records it (1-5, good/bad)"),
    Column("is_open", Boolean, nullable=False, comment="not yet closed or solved"),
    Column("related_order_id", String, comment="the order the ticket names, if any"),
    Column("summary", Text, comment="the ticket's subject or problem description"),
    Column("source_file", String, nullable=False, comment="the export the ticket was read from"),
    comment="One row per customer-service ticket, with the golden customer it is about.",
)

customer_value = Table(
    "customer_value",
    metadata,
    Column("customer_id", String, primary_key=True, comment="golden customer"),
    Column("order_count", BigInteger, nullable=False, comment="successful orders only"),
    Column("total_spent", Numeric(14, 2), nullable=False, comment="sum of successful orders' amounts"),
    Column("first_order_at", DateTime, comment="first successful order"),
    Column("last_order_at", DateTime, comment="last successful order up to as_of"),
    Column("recency_days", BigInteger, comment="days from the last order to as_of"),
    Column("avg_days_between_orders", Double, comment="the purchase cycle; null below two orders"),
    Column("next_expected_purchase", Date, comment="one purchase cycle after the last order"),
    Column("r_score", BigInteger, comment="recency quintile among buyers, 5 = most recent"),
    Column("f_score", BigInteger, comment="frequency quintile among buyers, 5 = most orders"),
    Column("m_score", BigInteger, comment="monetary quintile among buyers, 5 = most spent"),
    Column("rfm_score", String, comment="r, f and m scores joined, e.g. '545'"),
    Column(
        "value_tier",
        String,
        comment="A = top 20% by the value basis (UNIFY_VALUE_BASIS: spend, or predicted_value_12m), B = next 30%, "
        "C = other buyers; null without orders",
    ),
    Column("is_top_20pct", Boolean, nullable=False, comment="among the top 20% of buyers by the value basis"),
    Column("is_at_risk", Boolean, nullable=False, comment="more than 1.5 purchase cycles since the last order"),
    Column(
        "expected_purchases_90d",
        Double,
        comment="BG/NBD: purchases (days with an order) expected in the 90 days after as_of; null: no order, "
        "or no value model (the run report says why)",
    ),
    Column(
        "probability_alive",
        Double,
        comment="BG/NBD: probability the customer still buys, 0-1 (churn risk is 1 minus it); null as above",
    ),
    Column(
        "predicted_value_12m",
        Numeric(14, 2),
        comment="BG/NBD + Gamma-Gamma: spend expected in the 12 months after as_of, discounted; null as above",
    ),
    Column("as_of", Date, nullable=False, comment="the 'today' these figures are measured at"),
    comment="One row per golden customer: orders, spend, purchase cycle, RFM, value tier and predicted value.",
)

customer_consent = Table(
    "customer_consent",
    metadata,
    Column("customer_id", String, primary_key=True, comment="golden customer"),
    Column("channel", String, primary_key=True, comment="email, sms, phone, wechat or mail"),
    Column("purpose", String, primary_key=True, comment="what the consent is for: marketing"),
    Column(
        "status",
        String,
        nullable=False,
        comment="opted_out (a refusal stands: no later opt-in in this channel lifted it) or opted_in",
    ),
    Column("since", DateTime, comment="when the deciding statement was given; null: undated (an opt-out stands)"),
    Column("expires", DateTime, comment="when the deciding statement stops counting, where the source says"),
    Column("kind", String, nullable=False, comment="the deciding statement: opt_in, opt_out or withdrawal"),
    Column("stated_for", String, nullable=False, comment="the channel it named, or 'all' (it named none)"),
    Column("source_system", String, nullable=False, comment="system of the deciding statement"),
    *_lineage(),
    comment="One row per customer and channel they made a consent statement about (linkage/consent.py); "
    "no row: no statement, the channel may be used.",
)

marketing_audience = Table(
    "marketing_audience",
    metadata,
    Column("customer_id", String, primary_key=True, comment="golden customer"),
    Column("display_name", String, comment="the golden display name, for the greeting"),
    Column(
        "channel",
        String,
        nullable=False,
        comment="the first channel the customer may be contacted on: email, phone, sms, wechat, then mail",
    ),
    Column("address", String, nullable=False, comment="the one address to use; never used for two customers"),
    comment="Customers marketing may contact on some channel, each once: no open complaints, no address twice.",
)

marketing_audience_channels = Table(
    "marketing_audience_channels",
    metadata,
    Column("customer_id", String, primary_key=True, comment="golden customer"),
    Column("channel", String, primary_key=True, comment="email, sms, phone, wechat or mail"),
    Column("display_name", String, comment="the golden display name, for the greeting"),
    Column(
        "address",
        String,
        nullable=False,
        comment="the email, phone (sms and phone), WeChat ID or postal address; never another customer's",
    ),
    comment="The audience per channel: one row per customer and channel they may be contacted on "
    "(not opted out of it in customer_consent, no open complaint).",
)

marketing_suppressions = Table(
    "marketing_suppressions",
    metadata,
    Column("customer_id", String, primary_key=True, comment="golden customer left out"),
    Column(
        "reason",
        String,
        primary_key=True,
        comment="opted_out (of every channel it has an address on), open_complaint, no_contact, "
        "address_opted_out or shared_address",
    ),
    Column("detail", Text, comment="the channels a reason held on, or what it is"),
    comment="Customers left out of marketing_audience (contactable on no channel), once per reason.",
)

customer_salespeople = Table(
    "customer_salespeople",
    metadata,
    Column("customer_id", String, primary_key=True, comment="golden customer"),
    Column("salesperson", String, primary_key=True, comment="the salesperson (the sheet's file name)"),
    Column("first_contact_at", DateTime, comment="earliest contact in their sheets"),
    Column("last_contact_at", DateTime, comment="latest contact in their sheets"),
    Column("record_count", BigInteger, nullable=False, comment="rows about this customer in the salesperson's sheets"),
    Column(
        "is_primary",
        Boolean,
        nullable=False,
        comment="most recent contact (ties: most records, then name); one per customer",
    ),
    comment="Every salesperson who has the customer in a sheet.",
)

upcoming_birthdays = Table(
    "upcoming_birthdays",
    metadata,
    Column("customer_id", String, primary_key=True, comment="golden customer"),
    Column("display_name", String, comment="the golden display name"),
    Column("birth_date", Date, nullable=False, comment="date of birth"),
    Column("next_birthday", Date, nullable=False, comment="the next birthday on or after as_of"),
    Column("days_until", BigInteger, nullable=False, comment="days from as_of to next_birthday"),
    Column("turning", BigInteger, nullable=False, comment="age on the next birthday"),
    Column("primary_salesperson", String, comment="customer_salespeople's primary salesperson"),
    Column("marketing_opt_out", Boolean, nullable=False, comment="a greeting with an offer is marketing"),
    Column("as_of", Date, nullable=False, comment="the 'today' the 30 days count from"),
    comment="Customers whose birthday falls in the 30 days from as_of, for customer care.",
)

MARTS = (
    customer_orders,
    customer_service_tickets,
    customer_value,
    customer_consent,
    marketing_audience,
    marketing_audience_channels,
    marketing_suppressions,
    customer_salespeople,
    upcoming_birthdays,
)

# --- state: never dropped by a publish ---

review_decisions = Table(
    "review_decisions",
    metadata,
    Column("pair_id", String, primary_key=True),
    *_pair_sides(),
    Column("decision", String, nullable=False, comment="same (must-link) or different (cannot-link)"),
    Column("decided_by", String, nullable=False),
    Column("decided_at", DateTime, nullable=False),
    Column("reason", Text),
    comment="State: reviewers' and manual decisions, applied as must-link / cannot-link on every run.",
)

identity_registry = Table(
    "identity_registry",
    metadata,
    *_lineage(),
    Column("customer_id", String, nullable=False),
    Column("first_run_id", String),
    Column("last_run_id", String),
    comment="State: which customer each source record belongs to; keeps customer IDs stable.",
)

customer_id_history = Table(
    "customer_id_history",
    metadata,
    Column("customer_id", String, nullable=False),
    Column("event", String, nullable=False, comment="minted/kept/merged/split/retired/arrival_reassigned"),
    Column("related_customer_id", String),
    Column("record_count", BigInteger),
    Column("run_id", String, nullable=False),
    Column("at", DateTime, nullable=False, quote=True),  # "at" is a DuckDB keyword
    comment="State: one row per identity event.",
)

arriving_records = Table(
    "arriving_records",
    metadata,
    Column("source_system", String, primary_key=True, comment="the system the record came from (tmall, crm, ...)"),
    Column("source_record_key", String, primary_key=True, comment="its key in that system: one filing per key"),
    Column("customer_id", String, nullable=False, comment="the customer it was filed to, joined or newly minted"),
    Column("filed", String, nullable=False, comment="joined (an existing customer) or minted (a new ID)"),
    Column("decision", String, nullable=False, comment="match, review or new: the resolve answer it was filed on"),
    Column("match_probability", Double, comment="the best customer's probability in that answer"),
    Column("review_customer_id", String, comment="for review: the likely customer a person should compare it with"),
    Column("record", Text, nullable=False, comment="JSON: the fields as sent (the resolver standardises them again)"),
    Column("run_id", String, comment="the published run that answered"),
    Column("committed_by", String, nullable=False, comment="the staff account (or service) that committed it"),
    Column("committed_at", DateTime, nullable=False),
    comment="State: records filed on arrival (POST /api/resolve with commit); a run that stages the same "
    "source_system + source_record_key keeps the customer unless its evidence says otherwise.",
)

customer_id_sequence = Table(
    "customer_id_sequence",
    metadata,
    Column("name", String, primary_key=True, comment="customer_id: the one sequence"),
    Column("last_number", BigInteger, nullable=False, comment="the highest customer ID number handed out"),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String, comment="the run or staff account that last took numbers"),
    comment="State: customer ID numbers handed out by runs and by filings on arrival, so that the two never mint "
    "the same ID (a run takes its numbers before it publishes: a failed run leaves a gap, never a duplicate).",
)

pipeline_runs = Table(
    "pipeline_runs",
    metadata,
    Column("run_id", String, primary_key=True),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
    Column("status", String),
    Column("rows_read", BigInteger),
    Column("staged", BigInteger),
    Column("quarantined", BigInteger),
    Column("golden_customers", BigInteger),
    Column("per_source", Text, comment="JSON: per file rows read, staged, quarantined, fingerprint"),
    Column("model_version", String, comment="the linkage_models version that scored the run's pairs"),
    Column("match_threshold", Double, comment="pairs at or above this joined one customer in this run"),
    Column("review_floor", Double, comment="pairs from here up to match_threshold went to the review queue"),
    comment="State: one row per pipeline run.",
)

linkage_models = Table(
    "linkage_models",
    metadata,
    Column("version", String, primary_key=True, comment="when it was trained, UTC (20250101T120000000000Z)"),
    Column("saved_at", DateTime, nullable=False, comment="when it entered this warehouse; the latest is current"),
    Column("trained_at", DateTime, comment="when it was trained (earlier than saved_at for an imported file)"),
    Column("design", String, nullable=False, comment="digest of the comparisons, blocking and training it follows"),
    Column("data_profile", Text, comment="JSON: record count and populated link fields of its training records"),
    Column("trained_on_records", BigInteger),
    Column("model", Text, nullable=False, comment="Splink's model JSON"),
    Column("saved_by", String, comment="the run that trained or imported it"),
    Column("reason", Text, comment="why it was trained or imported"),
    Column(
        "labels",
        Text,
        comment="JSON: reviewers' labelled pairs it was trained with (counts, pairs m was estimated from) and the "
        "thresholds placed on them, which runs scoring with it use; null: none",
    ),
    comment="State: every trained linkage model of this warehouse; the latest saved scores the runs.",
)

value_models = Table(
    "value_models",
    metadata,
    Column("version", String, primary_key=True, comment="when it was fitted, UTC (20250101T120000000000Z)"),
    Column("saved_at", DateTime, nullable=False, comment="when it entered this warehouse; the latest is current"),
    Column("as_of", Date, nullable=False, comment="the run date its orders were summarised at"),
    Column("fitted_on_customers", BigInteger, nullable=False, comment="buying customers the BG/NBD model saw"),
    Column("params", Text, nullable=False, comment="JSON: BG/NBD (a, b, alpha, r) and Gamma-Gamma (p, q, v)"),
    Column("library", String, comment="the pymc-marketing version that fitted it"),
    Column("saved_by", String, comment="the run that fitted it"),
    Column("reason", Text, comment="why it was fitted"),
    comment="State: every fitted value model (marts/value_model.py) of this warehouse; the latest saved predicts.",
)

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("username", String, primary_key=True),
    Column("role", String, nullable=False, comment="viewer, resolver, reviewer or admin"),
    Column("password_hash", String, nullable=False, comment="a standard slow hash (argon2/scrypt), never the password"),
    Column("created_at", DateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("branches", String, comment="comma-separated branches the account is limited to; null: every customer"),
    comment="State: staff who may use the search.",
)

staff_branches = Table(
    "staff_branches",
    metadata,
    Column("name", String, primary_key=True),
    Column("salespeople", Text, comment="JSON list: the salespeople whose records are the branch's"),
    Column("source_systems", Text, comment="JSON list: the source systems whose records are the branch's"),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String, nullable=False, comment="the admin who defined it"),
    comment="State: branches defined on the search's admin page (the branches file defines others).",
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String, primary_key=True, comment="SHA-256 of the token; the token itself is shown once"),
    Column("username", String, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    comment="State: API bearer tokens.",
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("at", DateTime, nullable=False, quote=True),
    Column("username", String, nullable=False),
    Column("action", String, nullable=False, comment="search, view_customer, decide_pair, login, ..."),
    Column("target", String, comment="customer_id or pair_id; never a phone number or email"),
    Column("detail", Text),
    comment="State: who looked at which customer and who decided which pair, when.",
)

# --- data-subject requests (warehouse/subjects.py): state, so no rebuild undoes a request ---

subject_requests = Table(
    "subject_requests",
    metadata,
    Column("request_id", String, primary_key=True),
    Column("kind", String, nullable=False, comment="export, erase or rectify"),
    Column(
        "customer_id",
        String,
        nullable=False,
        comment="the customer the request named; after an erasure it leads to nobody",
    ),
    Column("requested_by", String, nullable=False, comment="the staff account or operator who made the request"),
    Column("requested_at", DateTime, nullable=False),
    Column("result", String, nullable=False, comment="done, or refused with the reason in detail"),
    Column("detail", Text, comment="JSON figures (rows per table, the field corrected); never the person's data"),
    comment="State: one receipt per data-subject request (who, when, what, result).",
)

subject_tombstones = Table(
    "subject_tombstones",
    metadata,
    Column("key_hash", String, primary_key=True, comment="keyed SHA-256 of the kind and value (sources/erasure.py)"),
    Column("kind", String, nullable=False, comment="lineage, phone, email, wechat or national_id"),
    Column("key_id", String, nullable=False, comment="fingerprint of UNIFY_TOMBSTONE_KEY the hash was made with"),
    Column("request_id", String, nullable=False, comment="the erasure's receipt in subject_requests"),
    Column("erased_at", DateTime, nullable=False),
    Column("erased_by", String, nullable=False),
    comment="State: what erased people's rows and identifiers hash to; runs quarantine source rows that match.",
)

subject_corrections = Table(
    "subject_corrections",
    metadata,
    Column("customer_id", String, primary_key=True),
    Column("field", String, primary_key=True, comment="the golden_customers column corrected"),
    Column("value", String, nullable=False, comment="the corrected value, standardised, as text"),
    Column("request_id", String, nullable=False, comment="the rectification's receipt in subject_requests"),
    Column("corrected_by", String, nullable=False),
    Column("corrected_at", DateTime, nullable=False),
    comment="State: corrections by request; survivorship prefers them over every source (lineage 'corrected by request').",
)

PUBLISHED = (
    golden_customers,
    customer_source_records,
    golden_field_lineage,
    quarantined_records,
    match_review_queue,
    *MARTS,
)
STATE = (
    identity_registry,
    customer_id_history,
    arriving_records,
    customer_id_sequence,
    pipeline_runs,
    linkage_models,
    value_models,
    review_decisions,
    staff_accounts,
    staff_branches,
    api_tokens,
    audit_log,
    subject_requests,
    subject_tombstones,
    subject_corrections,
)

# The columns staff and BI tools look customers up by: indexed on every backend at each publish.
LOOKUP_INDEXES = {
    golden_customers: ("phone", "email"),
    customer_source_records: ("customer_id", "phone", "email"),
    customer_orders: ("customer_id",),
    customer_service_tickets: ("customer_id",),
}
