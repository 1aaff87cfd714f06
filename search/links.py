"""Why a customer's records are one customer, link by link, beyond the model's weights.

Records are joined by the rules that make them one customer by definition (the kinds of
linkage.pairs.deterministic_pairs: the rows of one shop order, a ticket with the order it names,
the same phone and email), by people (a reviewer's 'same', a manual merge or split: the
warehouse's review_decisions), and otherwise by the model. The rules are found again here from
the published records and tickets; a model link between records a rule or a person already
joined is left out (the model's own score of such a pair says nothing about why they are one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from linkage.identity import ConstrainedForest
from sources.schema import LINEAGE_COLUMNS
from sources.systems import ORDER_SYSTEMS

SAME_ORDER, TICKET_NAMES_ORDER, SAME_PHONE_AND_EMAIL = "same order", "ticket names order", "same phone and email"
RULE_LABELS = {
    SAME_ORDER: "同一订单 same order",
    TICKET_NAMES_ORDER: "工单注明订单 ticket names the order",
    SAME_PHONE_AND_EMAIL: "电话和邮箱相同 same phone and email",
}
LINEAGE_FIELDS = ("source_system", "source_file", "source_sheet", "source_row", "name")


def lineage_key(record: dict) -> tuple:
    return tuple(record[c] for c in LINEAGE_COLUMNS)


def rule_links(records: list[dict], tickets: Iterable[dict], contact: Callable[[str, str], str]) -> list[dict]:
    """The links the deterministic rules make among a customer's records, each record joined to
    the first of its order (or of its phone and email); contact(column, value): the value as the
    viewer may see it (masked or not)."""
    links, orders, contacts = [], {}, {}
    for record in records:
        key = record.get("source_record_key")
        if record["source_system"] in ORDER_SYSTEMS and key:
            first = orders.setdefault(key, record)
            if first is not record:
                links.append(_rule(first, record, SAME_ORDER, f"同一订单号 same order number {key}"))
    named = {t["ticket_id"]: t["related_order_id"] for t in tickets if t.get("related_order_id")}
    for record in records:
        order = named.get(record.get("source_record_key")) if record["source_system"] not in ORDER_SYSTEMS else None
        if order in orders:
            detail = f"工单 ticket {record['source_record_key']} 注明订单 names order {order}"
            links.append(_rule(orders[order], record, TICKET_NAMES_ORDER, detail))
    for record in records:
        if record.get("phone") and record.get("email"):
            first = contacts.setdefault((record["phone"], record["email"]), record)
            if first is not record:
                detail = (
                    f"电话 phone {contact('phone', record['phone'])} · 邮箱 email {contact('email', record['email'])}"
                )
                links.append(_rule(first, record, SAME_PHONE_AND_EMAIL, detail))
    return links


def decision_links(records: list[dict], decisions: Iterable[dict]) -> list[dict]:
    """People's 'same' decisions between two of the records: a reviewer's, or a manual merge or split
    (warehouse.review keeps those as decisions too, their reason saying which), with who and when."""
    by_key = {lineage_key(r): r for r in records}
    links = []
    for d in decisions:
        left, right = (by_key.get(tuple(d[f"{side}_{c}"] for c in LINEAGE_COLUMNS)) for side in ("left", "right"))
        if d["decision"] != "same" or left is None or right is None:
            continue
        reason = d.get("reason") or ""
        how = (
            "manual merge"
            if reason.startswith("manual merge")
            else ("manual split" if reason.startswith("manual split") else "reviewer")
        )
        links.append(
            {
                "kind": "decision",
                "how": how,
                "left": _lineage(left),
                "right": _lineage(right),
                "decided_by": d["decided_by"],
                "decided_at": d["decided_at"],
                "reason": reason or None,
            }
        )
    return links


def every_link(rules: list[dict], decisions: list[dict], model: list[dict]) -> list[dict]:
    """Rules first, then people's decisions, then the model's links between records not yet joined by either."""
    ends = [(_key(link["left"]), _key(link["right"])) for link in (*rules, *decisions, *model)]
    number = {key: n for n, key in enumerate(dict.fromkeys(k for pair in ends for k in pair))}
    joined = ConstrainedForest(number.values())
    for a, b in ends[: len(rules) + len(decisions)]:
        joined.union(number[a], number[b])
    kept = [
        {**link, "kind": "model"}
        for link, (a, b) in zip(model, ends[len(rules) + len(decisions) :])
        if joined.find(number[a]) != joined.find(number[b])
    ]
    return [*rules, *decisions, *kept]


def _rule(first: dict, record: dict, rule: str, detail: str) -> dict:
    return {
        "kind": "rule",
        "rule": rule,
        "label": RULE_LABELS[rule],
        "detail": detail,
        "left": _lineage(first),
        "right": _lineage(record),
    }


def _lineage(record: dict) -> dict:
    return {k: record.get(k) for k in LINEAGE_FIELDS}


def _key(lineage: dict) -> tuple:
    return tuple(lineage[c] for c in LINEAGE_COLUMNS)
