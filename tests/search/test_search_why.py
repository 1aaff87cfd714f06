"""Why merged covers every link: the rules that make records one customer (one order's rows, a
ticket naming the order, the same phone and email), people's decisions and manual merges with who
and when, and the model's weights only for the rest."""

from __future__ import annotations

import duckdb
from published import bearer, logged_in

from search.links import decision_links, every_link, rule_links
from search.masking import mask_value
from warehouse.review import store_link


def record(row: int, system: str = "tmall", key: str | None = None, **fields) -> dict:
    return {"source_system": system, "source_file": f"{system}.csv", "source_sheet": "", "source_row": row,
            "name": "张伟", "source_record_key": key, "phone": None, "email": None, **fields}  # fmt: skip


def lineage(r: dict) -> dict:
    return {k: r[k] for k in ("source_system", "source_file", "source_sheet", "source_row", "name")}


def test_rules_found_again_from_the_published_records():
    order_rows = [record(1, key="3000123"), record(2, key="3000123"), record(3, key="3000999")]
    ticket = record(1, "call_center", "GD1")
    contacts = [record(1, "crm", phone="+8613800001111", email="a@b.cn"), record(2, "crm", phone="+8613800001111", email="a@b.cn")]  # fmt: skip
    links = rule_links(
        [*order_rows, ticket, *contacts],
        [{"ticket_id": "GD1", "related_order_id": "3000999"}, {"ticket_id": "GD2", "related_order_id": "3000123"}],
        lambda column, value: mask_value(column, value),
    )
    assert [(link["rule"], link["left"]["source_row"], link["right"]["source_row"]) for link in links] == [
        ("same order", 1, 2),
        ("ticket names order", 3, 1),
        ("same phone and email", 1, 2),
    ]
    assert "3000123" in links[0]["detail"] and "GD1" in links[1]["detail"] and "3000999" in links[1]["detail"]
    assert "13800001111" not in links[2]["detail"] and "a@b.cn" not in links[2]["detail"]  # masked for this viewer


def test_decisions_and_what_the_model_is_left_to_explain():
    a, b, c = record(1), record(2), record(3)
    decided = {
        "decision": "same",
        "decided_by": "rita",
        "decided_at": "2026-01-02",
        "reason": "manual merge of C1 and C2",
    }
    sides = {f"{side}_{k}": r[k] for side, r in (("left", a), ("right", b)) for k in ("source_file", "source_sheet", "source_row")}  # fmt: skip
    people = decision_links([a, b, c], [{**decided, **sides}, {**decided, **sides, "decision": "different"}])
    assert [(p["how"], p["decided_by"]) for p in people] == [("manual merge", "rita")]
    model = [{"left": lineage(a), "right": lineage(b), "match_probability": 0.0009}, {"left": lineage(b), "right": lineage(c), "match_probability": 0.97}]  # fmt: skip
    links = every_link([], people, model)
    assert [link["kind"] for link in links] == ["decision", "model"]  # the model's 0.0009 for a, b is not shown
    assert links[1]["match_probability"] == 0.97


def _one(published, sql: str) -> tuple:
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchone()


def test_api_shows_the_ticket_and_contact_rules_masked_for_a_viewer(client, published):
    customer, ticket, order = _one(
        published,
        """select t.customer_id, t.ticket_id, t.related_order_id from customer_service_tickets t
           join customer_source_records o on o.source_record_key = t.related_order_id and o.customer_id = t.customer_id
           order by 1 limit 1""",
    )
    links = client.get(f"/api/customers/{customer}/why", headers=bearer(published, "vera")).json()["links"]
    rules = [link for link in links if link["kind"] == "rule"]
    assert any(
        link["rule"] == "ticket names order" and ticket in link["detail"] and order in link["detail"] for link in rules
    )
    joined = {frozenset((tuple(link["left"].values()), tuple(link["right"].values()))) for link in rules}
    models = [frozenset((tuple(link["left"].values()), tuple(link["right"].values()))) for link in links if link["kind"] == "model"]  # fmt: skip
    assert not joined & set(models)  # no model score of two records a rule joined

    customer, phone = _one(
        published,
        """select customer_id, phone from customer_source_records where phone is not null and email is not null
           group by customer_id, phone, email having count(*) > 1 order by 1 limit 1""",
    )
    for who, shown in (("vera", False), ("adam", True)):
        links = client.get(f"/api/customers/{customer}/why", headers=bearer(published, who)).json()["links"]
        contact = [link for link in links if link.get("rule") == "same phone and email"]
        assert contact and all((phone in link["detail"]) == shown for link in contact)
        assert all(link["kind"] != "model" or "comparisons" in link for link in links)


def test_a_reviewers_decision_says_who_and_when(app, client, published, store):
    """A 'same' decision between two of a customer's records (as the review page keeps it) is shown as
    that person's link with its time, on the API and the page; the model no longer explains that pair."""
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        customer, keys = con.execute(
            """select customer_id, list((source_file, source_sheet, source_row) order by source_file, source_row)
               from customer_source_records group by 1 having count(*) = 2 order by 1 limit 1"""
        ).fetchone()
    first, second = (tuple(k) for k in keys)
    store_link(store.engine, first, second, "same", "rita", None)
    links = client.get(f"/api/customers/{customer}/why", headers=bearer(published, "vera")).json()["links"]
    assert [(link["kind"], link["how"], link["decided_by"]) for link in links] == [("decision", "reviewer", "rita")]
    assert links[0]["decided_at"]
    page = logged_in(app, "vera").get(f"/customers/{customer}/why")
    assert page.status_code == 200 and "Reviewer decision" in page.text and "rita" in page.text
