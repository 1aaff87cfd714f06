"""The mart builders on small hand-made tables: each rule of marts/ one test at a time."""

from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.sets import outside
from marts.audience import build_audience, update_audience
from marts.birthdays import build_birthdays
from marts.orders import build_orders
from marts.salespeople import build_salespeople
from marts.tickets import build_tickets
from marts.value import build_value
from sources.schema import CANONICAL_SCHEMA
from warehouse import tables

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("display_name", pa.string()),
        ("phone", pa.string()),
        ("email", pa.string()),
        ("wechat", pa.string()),
        ("address", pa.string()),
        ("birth_date", pa.date32()),
        ("marketing_opt_out", pa.bool_()),
        ("last_seen_at", pa.timestamp("us")),
    ]
)


def _canonical(rows: list[dict]) -> pa.Table:
    defaults = {"source_sheet": "", "source_file": "shop/export.csv"}
    return pa.Table.from_pylist([{**defaults, **r} for r in rows], schema=CANONICAL_SCHEMA)


def _crosswalk(canonical: pa.Table, customers: list[str], salespeople: list | None = None) -> pa.Table:
    return pa.table(
        {
            "customer_id": customers,
            "source_file": canonical.column("source_file"),
            "source_sheet": canonical.column("source_sheet"),
            "source_row": canonical.column("source_row"),
            "salesperson": pa.array(salespeople or [None] * len(customers), pa.string()),
            "event_at": canonical.column("event_at"),
        }
    )


def _golden(rows: list[dict]) -> pa.Table:
    defaults = {name: None for name in GOLDEN_SCHEMA.names} | {"marketing_opt_out": False}
    return pa.Table.from_pylist([{**defaults, **r} for r in rows], schema=GOLDEN_SCHEMA)


def _orders(rows: list[tuple]) -> pa.Table:
    """(customer_id, day, amount, successful) per order"""
    return pa.Table.from_pylist(
        [
            {"customer_id": c, "ordered_at": datetime.fromisoformat(d), "amount": a, "is_successful": ok}
            for c, d, a, ok in rows
        ],
        schema=pa.schema(
            [
                ("customer_id", pa.string()),
                ("ordered_at", pa.timestamp("us")),
                ("amount", pa.float64()),
                ("is_successful", pa.bool_()),
            ]
        ),
    )


def _tickets(rows: list[tuple]) -> pa.Table:
    """(customer_id, ticket_type, is_open) per ticket"""
    return pa.Table.from_pylist(
        [{"ticket_id": f"T{i}", "customer_id": c, "ticket_type": t, "is_open": o} for i, (c, t, o) in enumerate(rows)],
        schema=pa.schema(
            [
                ("ticket_id", pa.string()),
                ("customer_id", pa.string()),
                ("ticket_type", pa.string()),
                ("is_open", pa.bool_()),
            ]
        ),
    )


def _by(table: pa.Table, key: str) -> dict:
    return {row[key]: row for row in table.to_pylist()}


def test_marts_are_pure_and_match_their_table_definitions():
    offenders = []
    for path in (ROOT / "marts").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in {"dagster", "assets", "pipelines"}]
    assert offenders == []
    assert set(tables.MARTS) <= set(tables.PUBLISHED)


def test_a_shopify_order_over_several_lines_is_one_order_with_the_first_lines_amount():
    canonical = _canonical(
        [
            {
                "source_system": "shopify",
                "source_row": 1,
                "source_record_key": "#1001",
                "event_at": datetime(2025, 3, 1, 10),
                "order_amount": 328.0,
                "currency": "CNY",
                "order_status": "paid",
                "items": "点读笔 x1",
            },
            {
                "source_system": "shopify",
                "source_row": 2,
                "source_record_key": "#1001",
                "event_at": datetime(2025, 3, 1, 10),
                "order_amount": None,
                "currency": "CNY",
                "order_status": "paid",
                "items": "星火英语四级真题 x1",
            },
            {
                "source_system": "tmall",
                "source_row": 3,
                "source_record_key": "300001",
                "event_at": datetime(2025, 3, 2),
                "order_amount": 39.8,
                "currency": "CNY",
                "order_status": "交易关闭",
                "items": "考研英语阅读",
            },
            {"source_system": "call_center", "source_row": 4, "source_record_key": "GD1"},  # a ticket is not an order
        ]
    )
    orders = _by(build_orders(canonical, _crosswalk(canonical, ["C1", "C1", "C2", "C2"])), "order_id")
    assert set(orders) == {"#1001", "300001"}
    assert orders["#1001"] | {"ordered_at": None} == {
        "order_id": "#1001",
        "customer_id": "C1",
        "source_system": "shopify",
        "ordered_at": None,
        "amount": 328.0,
        "currency": "CNY",
        "status": "paid",
        "is_successful": True,
        "items": "点读笔 x1; 星火英语四级真题 x1",
        "source_file": "shop/export.csv",
    }
    assert orders["300001"]["is_successful"] is False


def test_an_order_in_two_overlapping_exports_is_counted_once():
    line = {
        "source_system": "tmall",
        "source_record_key": "300001",
        "order_amount": 58.0,
        "order_status": "交易成功",
        "items": "雅思听力训练",
    }
    canonical = _canonical(
        [{**line, "source_file": "shop/a.csv", "source_row": 7}, {**line, "source_file": "shop/b.csv", "source_row": 1}]
    )
    orders = build_orders(canonical, _crosswalk(canonical, ["C1", "C1"])).to_pylist()
    assert [(o["order_id"], o["items"], o["source_file"]) for o in orders] == [("300001", "雅思听力训练", "shop/a.csv")]


@pytest.mark.parametrize(
    "status, is_open",
    [
        ("待处理", True),
        ("处理中", True),
        ("已关闭", False),
        ("已解决", False),
        ("open", True),
        ("Pending", True),
        ("new", True),
        ("solved", False),
        ("closed", False),
        (None, False),
    ],
)
def test_ticket_statuses_open_or_closed(status, is_open):
    canonical = _canonical(
        [
            {
                "source_system": "helpdesk",
                "source_file": "service/t.jsonl",
                "source_row": 1,
                "source_record_key": "W-1",
                "ticket_type": "complaint",
                "ticket_status": status,
            }
        ]
    )
    (ticket,) = build_tickets(canonical, _crosswalk(canonical, ["C1"])).to_pylist()
    assert (ticket["ticket_id"], ticket["customer_id"], ticket["is_open"]) == ("W-1", "C1", is_open)


def test_value_counts_successful_orders_only_and_measures_the_purchase_cycle():
    golden = _golden([{"customer_id": c} for c in ("C1", "C2", "C3")])
    orders = _orders(
        [
            ("C1", "2025-01-01", 100.0, True),
            ("C1", "2025-01-31", 50.0, True),
            ("C1", "2025-03-02", 50.0, True),
            ("C1", "2025-03-05", 999.0, False),  # refunded: not value
            ("C2", "2025-04-01", 80.0, True),
            ("C3", "2025-04-01", 500.0, False),
        ]
    )
    value = _by(build_value(golden, orders, date(2025, 5, 1)), "customer_id")
    c1 = value["C1"]
    assert (c1["order_count"], c1["total_spent"], c1["recency_days"], c1["avg_days_between_orders"]) == (
        3,
        200.0,
        60,
        30.0,
    )
    assert c1["next_expected_purchase"] == date(2025, 4, 1) and c1["is_at_risk"] is True  # 60 days > 1.5 cycles of 30
    assert value["C2"]["avg_days_between_orders"] is None and value["C2"]["is_at_risk"] is False
    c3 = value["C3"]  # no successful order: a row, but no value
    assert (c3["order_count"], c3["total_spent"], c3["rfm_score"], c3["value_tier"], c3["is_top_20pct"]) == (
        0,
        0.0,
        None,
        None,
        False,
    )
    assert {v["as_of"] for v in value.values()} == {date(2025, 5, 1)}


def test_value_ignores_orders_after_today():
    value = build_value(
        _golden([{"customer_id": "C1"}]),
        _orders([("C1", "2025-01-01", 10.0, True), ("C1", "2025-06-01", 10.0, True)]),
        date(2025, 3, 1),
    )
    assert value.to_pylist()[0]["order_count"] == 1


def test_top_20pct_rfm_and_tiers_by_quintile():
    golden = _golden([{"customer_id": f"C{i:02}"} for i in range(10)])
    orders = _orders(
        [(f"C{i:02}", f"2025-01-{i + 1:02}", 10.0 * (i + 1), True) for i in range(10)]
        + [("C09", "2025-02-01", 5.0, True)]
    )
    value = _by(build_value(golden, orders, date(2025, 3, 1)), "customer_id")
    assert [c for c, v in value.items() if v["is_top_20pct"]] == ["C08", "C09"]
    assert [value[c]["value_tier"] for c in sorted(value)] == ["C"] * 5 + ["B"] * 3 + ["A"] * 2
    assert value["C09"]["rfm_score"] == "555" and value["C00"]["rfm_score"] == "111"
    assert value["C04"]["f_score"] == value["C05"]["f_score"] == 1  # equal order counts, equal score


def test_customers_who_spent_the_same_share_a_tier():
    golden = _golden([{"customer_id": f"C{i}"} for i in range(5)])
    value = build_value(golden, _orders([(f"C{i}", "2025-01-01", 10.0, True) for i in range(5)]), date(2025, 2, 1))
    assert {(v["value_tier"], v["is_top_20pct"], v["rfm_score"]) for v in value.to_pylist()} == {("C", False, "111")}


def _consent(rows: list[tuple]) -> pa.Table:
    """(customer_id, channel, status) per customer_consent row"""
    return pa.Table.from_pylist(
        [{"customer_id": c, "channel": ch, "purpose": "marketing", "status": st} for c, ch, st in rows],
        schema=pa.schema([(n, pa.string()) for n in ("customer_id", "channel", "purpose", "status")]),
    )


NO_CONSENT = _consent([])
EVERY_CHANNEL = ("email", "sms", "phone", "wechat", "mail")


def test_audience_one_address_per_contactable_customer_and_every_other_customer_suppressed_with_reasons():
    golden = _golden(
        [
            {"customer_id": "C1", "email": "a@x.cn", "phone": "+8613800000001"},
            {"customer_id": "C2", "phone": "+8613800000002"},
            {"customer_id": "C3", "email": "c@x.cn", "marketing_opt_out": True},
            {"customer_id": "C4", "email": "d@x.cn"},  # open complaint
            {"customer_id": "C5", "email": "e@x.cn"},  # closed complaint, open inquiry: still contactable
            {"customer_id": "C6"},
            {"customer_id": "C7", "email": "shared@x.cn", "last_seen_at": datetime(2025, 1, 1)},
            {"customer_id": "C8", "email": "shared@x.cn", "last_seen_at": datetime(2025, 6, 1)},
            {"customer_id": "C9", "email": "family@x.cn", "marketing_opt_out": True},
            {"customer_id": "CA", "email": "FAMILY@x.cn"},  # same address as an opted-out customer
            {"customer_id": "CB", "email": "b@x.cn", "wechat": "wx_b"},  # opted out of e-mail only
        ]
    )
    consent = _consent(
        [(c, ch, "opted_out") for c in ("C3", "C9") for ch in EVERY_CHANNEL] + [("CB", "email", "opted_out")]
    )
    tickets = _tickets(
        [("C4", "complaint", True), ("C5", "complaint", False), ("C5", "inquiry", True), ("C3", "complaint", True)]
    )
    _, audience, suppressions = build_audience(golden, consent, tickets)
    assert audience.to_pylist() == [
        {"customer_id": "C1", "display_name": None, "channel": "email", "address": "a@x.cn"},
        {"customer_id": "C2", "display_name": None, "channel": "phone", "address": "+8613800000002"},
        {"customer_id": "C5", "display_name": None, "channel": "email", "address": "e@x.cn"},
        {"customer_id": "C8", "display_name": None, "channel": "email", "address": "shared@x.cn"},  # seen most recently
        {"customer_id": "CB", "display_name": None, "channel": "wechat", "address": "wx_b"},
    ]
    assert [(s["customer_id"], s["reason"]) for s in suppressions.to_pylist()] == [
        ("C3", "open_complaint"),
        ("C3", "opted_out"),
        ("C4", "open_complaint"),
        ("C6", "no_contact"),
        ("C7", "shared_address"),
        ("C9", "opted_out"),
        ("CA", "address_opted_out"),
    ]
    detail = {(s["customer_id"], s["reason"]): s["detail"] for s in suppressions.to_pylist()}
    assert detail[("C7", "shared_address")].endswith("C8") and detail[("C9", "opted_out")] == "opted out of email"
    # every golden customer is in exactly one of the two tables
    assert {*audience["customer_id"].to_pylist(), *suppressions["customer_id"].to_pylist()} == set(
        golden["customer_id"].to_pylist()
    )
    assert not {*audience["customer_id"].to_pylist()} & {*suppressions["customer_id"].to_pylist()}


def test_no_sms_keeps_email_and_calls_and_no_email_keeps_sms():
    golden = _golden(
        [
            {"customer_id": "C1", "email": "a@x.cn", "phone": "+8613800000001"},  # said no SMS
            {"customer_id": "C2", "email": "b@x.cn", "phone": "+8613800000002"},  # said no e-mail
            {"customer_id": "C3", "phone": "+8613800000003", "address": "上海市浦东新区碧波路690号"},  # no calls
        ]
    )
    consent = _consent([("C1", "sms", "opted_out"), ("C2", "email", "opted_out"), ("C3", "phone", "opted_out")])
    by_channel, audience, suppressions = build_audience(golden, consent, _tickets([]))
    assert {(r["customer_id"], r["channel"]) for r in by_channel.to_pylist()} == {
        ("C1", "email"),
        ("C1", "phone"),
        ("C2", "phone"),
        ("C2", "sms"),
        ("C3", "sms"),
        ("C3", "mail"),
    }
    assert {(r["customer_id"], r["channel"]) for r in audience.to_pylist()} == {
        ("C1", "email"),
        ("C2", "phone"),
        ("C3", "sms"),
    }
    assert suppressions.num_rows == 0


def test_an_opted_in_channel_is_in_its_audience_and_an_address_reaches_one_customer_on_every_channel():
    golden = _golden(
        [
            {"customer_id": "C1", "phone": "+8613800000001", "last_seen_at": datetime(2025, 6, 1)},  # said no SMS
            {"customer_id": "C2", "phone": "+8613800000001", "last_seen_at": datetime(2025, 1, 1)},  # opted in to SMS
        ]
    )
    consent = _consent([("C1", "sms", "opted_out"), ("C2", "sms", "opted_in")])
    by_channel, _, suppressions = build_audience(golden, consent, _tickets([]))
    # C1 holds the number: called on it; C2 would be texted on a number whose holder said no SMS
    assert {(r["customer_id"], r["channel"]) for r in by_channel.to_pylist()} == {("C1", "phone")}
    assert {(s["customer_id"], s["reason"]) for s in suppressions.to_pylist()} == {
        ("C2", "address_opted_out"),
        ("C2", "shared_address"),
    }


def test_a_shared_address_goes_to_the_lowest_id_when_both_were_seen_at_once():
    golden = _golden([{"customer_id": c, "phone": "+8613800000001"} for c in ("C2", "C1")])
    _, audience, _ = build_audience(golden, NO_CONSENT, _tickets([]))
    assert audience.column("customer_id").to_pylist() == ["C1"]


# a customer's audience inputs, from few values, so that addresses are often shared
_CUSTOMER = st.fixed_dictionaries(
    {
        "display_name": st.sampled_from([None, "A", "B"]),
        "email": st.sampled_from([None, "a@x.cn", "A@x.cn", "b@x.cn"]),
        "phone": st.sampled_from([None, "+8613800000001", "+8613800000002"]),
        "wechat": st.sampled_from([None, "wx_a", "+8613800000001"]),
        "address": st.sampled_from([None, "上海市浦东新区碧波路690号"]),
        "marketing_opt_out": st.booleans(),
        "last_seen_at": st.sampled_from([None, datetime(2025, 1, 1), datetime(2025, 6, 1)]),
        "opted_out": st.sets(st.sampled_from(EVERY_CHANNEL), max_size=2),
        "tickets": st.lists(st.tuples(st.sampled_from(["complaint", "inquiry"]), st.booleans()), max_size=2),
    }
)
_IDS = st.sampled_from([f"C{i}" for i in range(8)])


def _audience_inputs(customers: dict) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(golden, consent, tickets) of customers by ID; a customer's tickets keep their IDs from run to run."""
    golden = _golden(
        [
            {"customer_id": c, **{k: v for k, v in r.items() if k not in ("opted_out", "tickets")}}
            for c, r in customers.items()
        ]
    )
    consent = _consent([(c, ch, "opted_out") for c, r in customers.items() for ch in sorted(r["opted_out"])])
    tickets = _tickets([(c, t, o) for c, r in customers.items() for t, o in r["tickets"]])
    ids = [f"{c}-{i}" for c, r in customers.items() for i in range(len(r["tickets"]))]
    return golden, consent, tickets.set_column(0, "ticket_id", pa.array(ids, pa.string()))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_IDS, _CUSTOMER, max_size=8), st.dictionaries(_IDS, st.one_of(st.none(), _CUSTOMER), max_size=3))
def test_updating_the_audience_gives_what_building_it_whole_gives(before: dict, changes: dict):
    """Some customers changed, came or left (None), the others kept: the updated audience is the
    one built whole, down to who holds a shared address."""
    after = {c: r for c, r in {**before, **changes}.items() if r is not None}
    inputs_before, inputs_after = _audience_inputs(before), _audience_inputs(after)
    kept = build_audience(*inputs_before)
    updated, reached = update_audience(kept, inputs_before, inputs_after)
    keys = (["customer_id", "channel"], ["customer_id"], ["customer_id", "reason"])
    for got, whole, old, key in zip(updated, build_audience(*inputs_after), kept, keys):
        order = [(k, "ascending") for k in key]
        assert got.cast(whole.schema).sort_by(order).to_pylist() == whole.to_pylist()
        # no row of a customer outside `reached` differs from the kept ones (the publish compares only theirs)
        unreached = (outside(t, "customer_id", reached).sort_by(order).to_pylist() for t in (got, old))
        assert next(unreached) == next(unreached)


def test_primary_salesperson_is_the_most_recent_contact_then_most_records_then_name():
    canonical = _canonical(
        [
            {"source_row": 1, "event_at": datetime(2025, 1, 1)},
            {"source_row": 2, "event_at": datetime(2025, 5, 1)},  # C1: 王芳 earlier, 李强 later
            {"source_row": 3, "event_at": datetime(2025, 2, 1)},
            {"source_row": 4, "event_at": datetime(2025, 2, 1)},  # C2: tie on date
            {"source_row": 5, "event_at": datetime(2025, 1, 1)},
            {"source_row": 6, "event_at": None},
            {"source_row": 7, "event_at": None},  # C3: no dates at all
        ]
    )
    crosswalk = _crosswalk(
        canonical, ["C1", "C1", "C2", "C2", "C2", "C3", "C3"], ["王芳", "李强", "zhao", "wu", "zhao", "b", "a"]
    )
    rows = build_salespeople(crosswalk).to_pylist()
    assert {(r["customer_id"], r["salesperson"]) for r in rows if r["is_primary"]} == {
        ("C1", "李强"),
        ("C2", "zhao"),
        ("C3", "a"),
    }
    zhao = next(r for r in rows if r["salesperson"] == "zhao")
    assert (zhao["first_contact_at"], zhao["last_contact_at"], zhao["record_count"]) == (
        datetime(2025, 1, 1),
        datetime(2025, 2, 1),
        2,
    )


def test_birthdays_in_the_next_30_days_across_new_year_and_29_february():
    golden = _golden(
        [
            {"customer_id": "C1", "birth_date": date(1990, 1, 10)},  # 16 days after 2024-12-25, next year
            {"customer_id": "C2", "birth_date": date(1985, 12, 25)},  # today
            {"customer_id": "C3", "birth_date": date(1980, 12, 24)},  # yesterday: a year away
            {"customer_id": "C4", "birth_date": date(1990, 1, 25)},  # 31 days: outside
        ]
    )
    salespeople = pa.table({"customer_id": ["C1", "C1"], "salesperson": ["a", "b"], "is_primary": [False, True]})
    rows = build_birthdays(golden, salespeople, date(2024, 12, 25)).to_pylist()
    assert [
        (r["customer_id"], r["next_birthday"], r["days_until"], r["turning"], r["primary_salesperson"]) for r in rows
    ] == [
        ("C2", date(2024, 12, 25), 0, 39, None),
        ("C1", date(2025, 1, 10), 16, 35, "b"),
    ]
    leap = build_birthdays(
        _golden([{"customer_id": "C5", "birth_date": date(2000, 2, 29)}]), salespeople.slice(0, 0), date(2025, 2, 20)
    )
    assert [(r["next_birthday"], r["turning"]) for r in leap.to_pylist()] == [(date(2025, 2, 28), 25)]
