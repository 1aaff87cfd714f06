"""The JSON API and the pages for every role and for no login; audit; logs."""

from __future__ import annotations

import logging
import re

import duckdb
import pytest
from fastapi.testclient import TestClient
from published import bearer, logged_in

from search.sessions import COOKIE

API_GETS = [
    "/api/me",
    "/api/customers?q=x",
    "/api/customers/C00000001",
    "/api/customers/C00000001/why",
    "/api/review",
    "/api/review/abc",
    "/api/audit",
]


def pending_pair(client, published) -> str:
    pairs = client.get("/api/review", headers=bearer(published, "rita")).json()["pairs"]
    assert pairs, "the sample run publishes borderline pairs to review"
    return pairs[0]["pair_id"]


def audit_rows(published, action: str) -> list[tuple]:
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        return con.execute("select username, target, detail from audit_log where action = $1", [action]).fetchall()


def test_health_answers_without_login(client):
    assert client.get("/healthz").json() == {"status": "ok", "published": True}


@pytest.mark.parametrize("path", API_GETS)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dmVyYTp4"}])
def test_no_login_no_data(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == {"detail"}


def test_no_login_cannot_decide(client, published):
    assert client.post(f"/api/review/{pending_pair(client, published)}", json={"decision": "same"}).status_code == 401


@pytest.mark.parametrize(
    "user, allowed",
    [
        ("vera", {"/api/me", "/api/customers", "/api/customer", "/api/why"}),
        ("rita", {"/api/me", "/api/customers", "/api/customer", "/api/why", "/api/review", "/api/pair"}),
        ("adam", {"/api/me", "/api/customers", "/api/customer", "/api/why", "/api/review", "/api/pair", "/api/audit"}),
    ],
)
def test_what_each_role_may_read(client, published, user, allowed):
    pair = pending_pair(client, published)
    paths = {
        "/api/me": "/api/me",
        "/api/customers": "/api/customers?q=王",
        "/api/customer": "/api/customers/C00000001",
        "/api/why": "/api/customers/C00000001/why",
        "/api/review": "/api/review",
        "/api/pair": f"/api/review/{pair}",
        "/api/audit": "/api/audit",
    }
    for name, path in paths.items():
        status = client.get(path, headers=bearer(published, user)).status_code
        assert status == (200 if name in allowed else 403), (user, path, status)


def test_search_api_shape(client, published):
    body = client.get("/api/customers", params={"q": "王", "limit": 3}, headers=bearer(published, "vera")).json()
    assert body["run_id"] and 1 <= len(body["results"]) <= 3
    first = body["results"][0]
    assert {"customer_id", "display_name", "phone", "email", "score", "matched"} <= set(first)
    assert first["matched"][0]["kind"] in {"name", "pinyin", "tokens", "last4", "fuzzy"}


def test_customer_api_has_everything(client, published):
    body = client.get("/api/customers/C00000001", headers=bearer(published, "vera")).json()
    assert body["customer"]["customer_id"] == "C00000001"
    assert len(body["records"]) == body["customer"]["source_record_count"]
    assert all({"source_file", "source_sheet", "source_row"} <= set(r) for r in body["records"])
    phone = next(f for f in body["fields"] if f["field"] == "phone")
    assert phone["sources"] and phone["rule"]
    assert body["orders"] is not None and body["tickets"] is not None and body["salespeople"]
    assert {"marketing_opt_out", "opted_out_in", "audience"} <= set(body["consent"])
    assert body["history"][0]["event"] == "minted"


def test_why_merged_weights_add_up(client, published):
    body = client.get("/api/customers/C00000001/why", headers=bearer(published, "vera")).json()
    assert body["model_available"] and body["links"]
    assert any(link["kind"] == "model" for link in body["links"])
    for link in (link for link in body["links"] if link["kind"] == "model"):  # rules and decisions carry no weights
        total = link["prior_weight"] + sum(c["weight"] for c in link["comparisons"])
        assert total == pytest.approx(link["match_weight"], abs=1e-6)


def test_unknown_customer_is_404(client, published):
    assert client.get("/api/customers/C99999999", headers=bearer(published, "vera")).status_code == 404


def test_viewer_cannot_decide_reviewer_can_and_it_is_state(client, published, store):
    pair = pending_pair(client, published)
    assert (
        client.post(f"/api/review/{pair}", json={"decision": "same"}, headers=bearer(published, "vera")).status_code
        == 403
    )
    assert (
        client.post(f"/api/review/{pair}", json={"decision": "maybe"}, headers=bearer(published, "rita")).status_code
        == 422
    )
    response = client.post(f"/api/review/{pair}", json={"decision": "different"}, headers=bearer(published, "rita"))
    assert response.status_code == 200 and response.json()["decided_by"] == "rita"
    assert client.get(f"/api/review/{pair}", headers=bearer(published, "rita")).json()["pair"]["status"] == "different"
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        assert con.execute(
            "select decision, decided_by from review_decisions where pair_id = $1", [pair]
        ).fetchall() == [("different", "rita")]
    store.flush_audit()
    assert ("rita", pair, "different") in audit_rows(published, "decide_pair")


def test_opening_a_customer_is_audited_without_contact_details(client, published, store):
    customer = client.get("/api/customers/C00000002", headers=bearer(published, "adam")).json()["customer"]
    client.get("/api/customers", params={"q": customer["phone"]}, headers=bearer(published, "adam"))
    store.flush_audit()
    assert ("adam", "C00000002", None) in audit_rows(published, "view_customer")
    entries = client.get("/api/audit", headers=bearer(published, "adam")).json()["entries"]
    text = repr(entries)
    assert customer["phone"] not in text and customer["phone"][3:] not in text and customer["email"] not in text
    assert any(e["action"] == "search" and e["username"] == "adam" for e in entries)


def test_logs_name_paths_never_phone_numbers_or_emails(client, published, caplog):
    customer = client.get("/api/customers/C00000003", headers=bearer(published, "vera")).json()["customer"]
    with caplog.at_level(logging.DEBUG):
        client.get("/api/customers", params={"q": customer["phone"]}, headers=bearer(published, "vera"))
        client.get("/api/customers", params={"q": customer["email"]}, headers=bearer(published, "vera"))
    text = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("httpx")
    )  # httpx is the test's client
    assert "GET /api/customers 200" in text
    assert customer["phone"][3:] not in text and customer["email"] not in text and "q=" not in text


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/customers", "/api/customers/{customer_id}", "/api/review/{pair_id}"} <= set(spec["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/customers" in docs.text and "cdn" not in docs.text.lower()


# ---------------------------------------------------------------- pages


def test_pages_send_strangers_to_the_login_form(app):
    c = TestClient(app)
    for path in ["/", "/?q=王", "/customers/C00000001", "/review"]:
        response = c.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_login_sets_a_safe_session_cookie(app):
    c = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    response = c.post(
        "/login", data={"username": "vera", "password": "viewer-password-1", "csrf": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert f"{COOKIE}=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_login_needs_the_form_token_and_the_right_password(app):
    c = TestClient(app)
    c.get("/login")
    assert (
        c.post("/login", data={"username": "vera", "password": "viewer-password-1"}).status_code == 403
    )  # no CSRF token
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"username": "vera", "password": "wrong", "csrf": csrf}).status_code == 401
    assert c.post("/login", data={"username": "nobody", "password": "wrong", "csrf": csrf}).status_code == 401
    assert c.get("/", follow_redirects=False).status_code == 303


def test_a_forged_session_cookie_is_refused(app):
    c = TestClient(app)
    c.cookies.set(COOKIE, "eyJ1IjoiYWRhbSIsImNzcmYiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.0000")
    assert c.get("/", follow_redirects=False).status_code == 303


def test_search_page_highlights_the_match(app):
    c = logged_in(app, "vera")
    page = c.get("/", params={"q": "黃桂芝"})
    assert page.status_code == 200 and "<mark>黄桂芝</mark>" in page.text
    assert (
        page.headers["cache-control"] == "no-store"
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )


def test_customer_page_shows_records_tickets_and_history(app):
    c = logged_in(app, "vera")
    page = c.get("/customers/C00000001")
    assert page.status_code == 200
    for text in ("Golden record", "Source records", "Tickets", "Orders", "Salespeople", "Consent", "ID history"):
        assert text in page.text


def test_review_page_forms_need_csrf_and_the_reviewer_role(app, client, published):
    pair = pending_pair(client, published)
    viewer = logged_in(app, "vera")
    assert viewer.get("/review").status_code == 403
    assert viewer.post(f"/review/{pair}", data={"decision": "same", "csrf": viewer.csrf}).status_code == 403
    reviewer = logged_in(app, "rita")
    assert reviewer.post(f"/review/{pair}", data={"decision": "same"}).status_code == 403  # no CSRF token
    assert reviewer.post(f"/review/{pair}", data={"decision": "same", "csrf": "forged"}).status_code == 403
    decided = reviewer.post(f"/review/{pair}", data={"decision": "same", "csrf": reviewer.csrf}, follow_redirects=False)
    assert decided.status_code == 303
    assert client.get(f"/api/review/{pair}", headers=bearer(published, "rita")).json()["pair"]["status"] == "same"


def test_logout_needs_csrf_and_ends_the_session(app):
    c = logged_in(app, "vera")
    assert c.post("/logout", data={}).status_code == 403
    assert c.post("/logout", data={"csrf": c.csrf}, follow_redirects=False).status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_repeated_wrong_passwords_lock_the_name_for_a_while(app):
    c = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    statuses = [
        c.post("/login", data={"username": "adam", "password": "guess", "csrf": csrf}).status_code for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert c.post("/login", data={"username": "adam", "password": "admin-password-1", "csrf": csrf}).status_code == 429
    app.state.throttle.succeeded("adam")  # the other tests log in as adam


def test_the_api_shows_consent_and_audiences_per_channel(app, client, published):
    # a sample customer who asked for no more marketing SMS in a call-centre ticket, and may still be e-mailed
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        found = con.execute(
            """select customer_id from customer_consent c
               where channel = 'sms' and status = 'opted_out' and stated_for = 'sms'
                 and customer_id in (select customer_id from marketing_audience_channels where channel = 'email')
               order by customer_id limit 1"""
        ).fetchall()
    assert found, "the sample sources hold a ticket asking for no marketing SMS from a customer with an e-mail"
    customer_id = found[0][0]
    body = client.get(f"/api/customers/{customer_id}", headers=bearer(published, "vera")).json()["consent"]
    assert body["marketing_opt_out"] is False
    assert {c["channel"]: c["status"] for c in body["channels"]}["sms"] == "opted_out"
    sms = next(c for c in body["channels"] if c["channel"] == "sms")
    assert sms["source_file"] == "service/call_center_tickets.csv" and sms["kind"] == "opt_out"
    audiences = {a["channel"] for a in body["audience_channels"]}
    assert "email" in audiences and "sms" not in audiences
    page = logged_in(app, "vera").get(f"/customers/{customer_id}")
    assert 'data-testid="consent-channels"' in page.text and 'data-testid="audience-channels"' in page.text


def test_review_api_pages_through_the_whole_queue(client, published):
    token = bearer(published, "rita")
    whole = client.get("/api/review", params={"status": "all", "limit": 500}, headers=token).json()
    assert whole["total"] == len(whole["pairs"]) > 2 and whole["next_offset"] is None
    paged, offset = [], 0
    while offset is not None:
        page = client.get("/api/review", params={"status": "all", "limit": 2, "offset": offset}, headers=token).json()
        assert page["total"] == whole["total"] and len(page["pairs"]) <= 2
        paged += page["pairs"]
        offset = page["next_offset"]
    assert [p["pair_id"] for p in paged] == [p["pair_id"] for p in whole["pairs"]]


def test_review_api_can_leave_out_pairs_already_in_one_customer(client, published):
    token = bearer(published, "rita")
    every = client.get("/api/review", params={"status": "all", "limit": 500}, headers=token).json()["pairs"]
    apart = client.get("/api/review", params={"status": "all", "limit": 500, "show_same": False}, headers=token)
    kept = apart.json()["pairs"]
    assert [p for p in every if p["left_customer_id"] != p["right_customer_id"]] == kept
    assert len(kept) < len(every), "the sample run queues pairs other links already joined"
