"""Everything the company knows about one customer, from a snapshot: what the customer page shows."""

from __future__ import annotations

from collections.abc import Iterable

from search.branches import Branch, Scope, branches_holding
from search.masking import FIELD_OF_COLUMN, mask_contact, mask_row, mask_text, mask_value, masked_fields
from search.snapshot import Snapshot
from sources.schema import SOURCE_LINEAGE_COLUMNS

# golden field -> (crosswalk column it is chosen from, label)
GOLDEN_FIELDS = {
    "display_name": ("name", "姓名 Name"),
    "name_pinyin": ("name_pinyin", "拼音 Pinyin"),
    "phone": ("phone", "电话 Phone"),
    "email": ("email", "邮箱 Email"),
    "wechat": ("wechat", "微信 WeChat"),
    "birth_date": ("birth_date", "生日 Birth date"),
    "address": ("address", "地址 Address"),
    "province": ("province", "省 Province"),
    "city": ("city", "城市 City"),
    "district": ("district", "区 District"),
}
# the survivorship rules of linkage/survivorship.yaml, in words an agent understands
RULES = {
    "preferred_name": "全名优先 a full Chinese name first, then the most frequent",
    "most_recent": "最近一次 the most recently seen",
    "most_frequent": "最常见 what most records agree on",
    "least_permissive": "逐个渠道：退订后须在同一渠道再次同意 per channel: an opt-out stands until a later opt-in there",
    "source_priority": "来源优先 from the most trusted source",
    "most_complete": "最完整 the most complete record",
    "first_seen": "最早 the first seen",
}
MAX_SOURCES_PER_FIELD = 5


def customer_profile(snapshot: Snapshot, customer_id: str) -> dict | None:
    customer = snapshot.customer(customer_id)
    if customer is None:
        return None
    records = snapshot.records.rows(customer_id)
    lineage = _optional(snapshot, "golden_field_lineage", customer_id)
    return {
        "customer": customer,
        "fields": golden_fields(customer, records, lineage),
        "consent": consent(
            customer,
            records,
            _optional(snapshot, "marketing_audience", customer_id),
            _optional(snapshot, "marketing_suppressions", customer_id),
            channels=_optional(snapshot, "customer_consent", customer_id),
            channel_audience=_optional(snapshot, "marketing_audience_channels", customer_id),
        ),
        "records": records,
        "orders": _newest_first(_optional(snapshot, "customer_orders", customer_id), "ordered_at"),
        "tickets": tickets(_optional(snapshot, "customer_service_tickets", customer_id)),
        "salespeople": _optional(snapshot, "customer_salespeople", customer_id) or salespeople_from_records(records),
        "value": _first(_optional(snapshot, "customer_value", customer_id)),
        "upcoming_birthday": _first(_optional(snapshot, "upcoming_birthdays", customer_id)),
        "history": _optional(snapshot, "customer_id_history", customer_id) or [],
        "merged_from": sorted(old for old, new in snapshot.merged_into.items() if new == customer_id),
        "run_id": snapshot.run_id,
    }


def golden_fields(customer: dict, records: list[dict], lineage: list[dict] | None) -> list[dict]:
    """Each golden value with the record it was taken from (golden_field_lineage) and how many
    records hold it; without published field lineage, the records holding it, most recent first."""
    chosen = {row["field"]: row for row in lineage or []}
    fields = []
    for field, (column, label) in GOLDEN_FIELDS.items():
        value = customer.get(field)
        holders = sorted(
            (r for r in records if value is not None and r.get(column) == value),
            key=lambda r: _sortable(r.get("event_at")),
            reverse=True,
        )
        picked = chosen.get(field)
        rule = picked.get("rule") if picked else None
        fields.append(
            {
                "field": field,
                "label": label,
                "value": value,
                "rule": rule,
                "rule_text": RULES.get(rule, rule),
                "source_count": len(holders),
                "sources": [_lineage(r) for r in ([picked] if picked else holders[:MAX_SOURCES_PER_FIELD])],
            }
        )
    return fields


def consent(
    customer: dict,
    records: list[dict],
    audience: list[dict] | None,
    suppressions: list[dict] | None,
    channels: list[dict] | None = None,
    channel_audience: list[dict] | None = None,
) -> dict:
    """Marketing consent per channel (customer_consent, with the statement that decides each), the
    records that refused or allowed something, and the audiences the customer is in."""
    return {
        "marketing_opt_out": bool(customer.get("marketing_opt_out")),  # opted out of every channel
        "rule_text": RULES["least_permissive"],
        "channels": channels,  # None: customer_consent is not published; [] no statement (every channel allowed)
        "opted_out_in": [_lineage(r) for r in records if r.get("marketing_opt_out") is True],
        "allowed_in": [_lineage(r) for r in records if r.get("marketing_opt_out") is False],
        "audience": audience,  # None: the marketing_audience table is not published
        "audience_channels": channel_audience,  # every channel's audience the customer is in
        "suppressions": suppressions,  # why marketing leaves this customer out
    }


def tickets(rows: list[dict] | None) -> list[dict] | None:
    """Tickets newest first, open complaints on top and marked: the agent must see them first."""
    if rows is None:
        return None
    for row in rows:
        row["open_complaint"] = bool(row.get("is_open")) and row.get("ticket_type") == "complaint"
    return sorted(_newest_first(rows, "created_at"), key=lambda r: not r["open_complaint"])


def salespeople_from_records(records: list[dict]) -> list[dict]:
    """Who has this customer in a sheet, when the customer_salespeople mart is not published."""
    found: dict[str, dict] = {}
    for r in records:
        if r.get("salesperson"):
            entry = found.setdefault(
                r["salesperson"], {"salesperson": r["salesperson"], "record_count": 0, "is_primary": None}
            )
            entry["record_count"] += 1
    return sorted(found.values(), key=lambda e: -e["record_count"])


def _lineage(row: dict) -> dict:
    return {k: row.get(k) for k in SOURCE_LINEAGE_COLUMNS}


def _optional(snapshot: Snapshot, table: str, customer_id: str) -> list[dict] | None:
    grouped = snapshot.optional.get(table)
    return grouped.rows(customer_id) if grouped is not None else None


def _first(rows: list[dict] | None) -> dict | None:
    return rows[0] if rows else None


def _newest_first(rows: list[dict] | None, column: str) -> list[dict] | None:
    if rows is None:
        return None
    return sorted(rows, key=lambda r: _sortable(r.get(column)), reverse=True)


def _sortable(value) -> str:
    """Dates, timestamps (with or without zone) and missing values in one order: ISO text, missing first."""
    return value.isoformat() if value is not None else ""


# ---------------------------------------------------------------- what a role and a branch may see


def masked_profile(profile: dict, unmasked: Iterable[str] = ()) -> dict:
    """The profile with contact details masked (search/masking.py) but for the unmasked fields; each
    golden field says whether it is masked, and the profile which fields it hid."""
    shown = set(unmasked)
    customer = profile["customer"]
    fields = [
        {**f, "value": mask_value(f["field"], f["value"], customer, shown), "masked": _is_masked(f, shown)}
        for f in profile["fields"]
    ]
    consent = dict(profile["consent"])
    if consent["audience"] is not None:
        consent["audience"] = [
            a if a.get("channel") in shown else {**a, "address": mask_contact(a.get("channel"), a.get("address"))}
            for a in consent["audience"]
        ]
    return {
        **profile,
        "customer": mask_row(customer, shown),
        "fields": fields,
        "consent": consent,
        "records": [mask_row(r, shown) for r in profile["records"]],
        "tickets": None
        if profile["tickets"] is None
        else [{**t, "summary": mask_text(t.get("summary"))} for t in profile["tickets"]],
        "masked": masked_fields(shown),
    }


def _is_masked(field: dict, shown: set[str]) -> bool:
    group = FIELD_OF_COLUMN.get(field["field"])
    return group is not None and group not in shown and field["value"] is not None


def scoped_profile(profile: dict, scope: Scope, branches: dict[str, Branch]) -> dict:
    """The profile as an account limited to branches sees it: the golden record (the shared fields),
    salespeople, value and history whole; of the records, orders and tickets only its branches'
    (another branch's notes stay there); and which other branches know the customer too."""
    mine = [r for r in profile["records"] if scope.holds(r)]
    others = [r for r in profile["records"] if not scope.holds(r)]

    def own(rows: list[dict] | None) -> list[dict] | None:
        return None if rows is None else [r for r in rows if scope.holds_system(r.get("source_system"))]

    return {
        **profile,
        "records": mine,
        "orders": own(profile["orders"]),
        "tickets": own(profile["tickets"]),
        "other_branches": {
            "record_count": len(others),
            "branches": [b for b in branches_holding(others, branches) if b not in scope.branches],
        },
    }
