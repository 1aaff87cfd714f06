"""A phone's last four digits with a name ('张伟 6394', 'Wei Zhang 6394'), the same four digits alone
(a hint, not everyone who has them), and WeChat IDs, on the published sample warehouse."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from published import bearer, logged_in

from search.keys import bare_tail_hint, query_keys

HAN_FULL = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def test_a_full_name_with_the_tail_is_a_key_of_its_own():
    assert {("name4", "zhangwei:6394"), ("last4", "zhang:6394"), ("last4", "wei:6394")} <= set(query_keys("张伟 6394"))
    assert ("name4", "weizhang:6394") in query_keys("Wei Zhang 6394")  # the index holds both orders
    assert all(kind != "name4" for kind, _ in query_keys("张 6394"))  # a surname alone stays last4
    assert bare_tail_hint(" 6394 ") and bare_tail_hint("６３９４")  # full-width digits too
    assert bare_tail_hint("张伟 6394") is None and bare_tail_hint("63945") is None


@pytest.fixture(scope="module")
def named(store) -> dict:
    """A record with a full Chinese name shared by no other customer's record with the same phone tail,
    and another customer with the same surname."""
    records = store.snapshot.records.table.to_pylist()
    tails = Counter((r["name"], r["phone"][-4:]) for r in records if r["name"] and r["phone"])
    for r in records:
        if r["name"] and HAN_FULL.match(r["name"]) and r["phone"] and tails[(r["name"], r["phone"][-4:])] == 1:
            return r
    pytest.skip("the sample has a full Chinese name with a phone")


def test_name_and_tail_find_the_customer_first(client, published, named):
    for query in (f"{named['name']} {named['phone'][-4:]}", f"{named['phone'][-4:]}{named['name']}"):
        body = client.get("/api/customers", params={"q": query}, headers=bearer(published, "vera")).json()
        first = body["results"][0]
        assert first["customer_id"] == named["customer_id"] and body["hint"] is None
        assert "name4" in {m["kind"] for m in first["matched"]}


def test_a_bare_tail_lists_nobody_by_phone_and_says_to_add_a_name(app, client, published, named):
    tail = named["phone"][-4:]
    body = client.get("/api/customers", params={"q": tail}, headers=bearer(published, "vera")).json()
    assert "name" in body["hint"]
    assert all(m["kind"] not in {"last4", "name4", "tail"} for r in body["results"] for m in r["matched"])
    page = logged_in(app, "vera").get("/", params={"q": tail})
    assert page.status_code == 200 and "Add a name to a phone" in page.text


def test_a_wechat_id_finds_its_customer(client, published, store):
    record = next(r for r in store.snapshot.records.table.to_pylist() if r["wechat"] and not r["wechat"].isdigit())
    body = client.get(
        "/api/customers", params={"q": record["wechat"].upper()}, headers=bearer(published, "vera")
    ).json()
    assert body["results"][0]["customer_id"] == record["customer_id"]
    assert "wechat" in {m["kind"] for m in body["results"][0]["matched"]}


def test_a_tmall_buyer_nickname_finds_its_customer_masked_for_a_viewer(client, published, store):
    """The crosswalk publishes each record's platform account (external_id, tmall:<买家会员名>)."""
    record = next(r for r in store.snapshot.records.table.to_pylist() if (r["external_id"] or "").startswith("tmall:"))
    nickname = record["external_id"].split(":", 1)[1]
    body = client.get("/api/customers", params={"q": nickname.upper()}, headers=bearer(published, "vera")).json()
    assert body["results"][0]["customer_id"] == record["customer_id"]
    assert "nick" in {m["kind"] for m in body["results"][0]["matched"]}
    for who, shown in (("vera", False), ("adam", True)):
        customer = client.get(f"/api/customers/{record['customer_id']}", headers=bearer(published, who)).json()
        accounts = [r["external_id"] for r in customer["records"] if (r.get("external_id") or "").startswith("tmall:")]
        assert accounts and (record["external_id"] in accounts) == shown
    assert query_keys("!!!") == [] or all(kind != "nick" for kind, _ in query_keys("!!!"))
