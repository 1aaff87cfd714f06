"""The review page as a reviewer limited to a branch sees it: only pairs whose two customers it
sees, in the queue's order, paged, the progress count over them; bad page numbers a clear 4xx."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from test_search_privacy import ONLINE, PASSWORD, auth, query, scoped  # noqa: F401 (scoped: the fixture)


def log_in(app, username: str, password: str) -> TestClient:
    client = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": password, "csrf": csrf, "next": "/"})
    return client


def test_a_limited_reviewer_pages_through_its_branchs_pairs_only(scoped):  # noqa: F811
    online = {r[0] for r in query(scoped, "select distinct customer_id from customer_source_records where source_system in (?, ?)", ONLINE)}  # fmt: skip
    everyone = scoped.get("/api/review", params={"status": "all", "limit": 500}, headers=auth(scoped, "adam")).json()["pairs"]  # fmt: skip
    inside_rows = [p for p in everyone if {p["left_customer_id"], p["right_customer_id"]} <= online]
    inside = [p["pair_id"] for p in inside_rows]
    decided = sum(p["status"] != "pending" for p in inside_rows)  # other tests may have decided some
    assert inside and len(inside) < len(everyone)
    rob = log_in(scoped.app, "rob", PASSWORD)
    shown = []
    for n in range(1, 2 + len(inside) // 20):
        page = rob.get("/review", params={"status": "all", "same": 1, "page": n})
        assert page.status_code == 200
        assert f"{decided} of {len(inside)} decided" in page.text
        shown += re.findall(r'data-pair="([^"]+)"', page.text)
    assert shown == inside  # the queue's order, every page but the last full
    for bad in ("0", "x", "-3"):
        assert rob.get("/review", params={"page": bad}).status_code == 422
    assert rob.get("/review", params={"page": 9999}).status_code == 200  # past the end: the last page


def test_a_page_of_pairs_is_scored_as_each_pair_alone(app, client, store):  # client: the app started
    """The review page scores its pairs in one call (explain_pairs): the same weights as each pair alone."""
    from search import views

    explainer = app.state.explainer
    page = views.review_page(store, explainer, None, "all", 1, True)
    explained = [p for p in page["pairs"] if p["explanation"]]
    assert len(explained) == len(page["pairs"]) == 20
    for p in explained[:5]:
        alone = explainer.explain([p["left"], p["right"]], store.snapshot.records.table, store.snapshot.run_id)[0]
        got = p["explanation"]
        assert {alone["left"]["source_row"], alone["right"]["source_row"]} == {got["left"]["source_row"], got["right"]["source_row"]}  # fmt: skip
        assert got["match_weight"] == alone["match_weight"] and got["comparisons"] == alone["comparisons"]
