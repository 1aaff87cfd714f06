"""Hostile input changes nothing and leaks nothing; a fuzz of the API finds no server error."""

from __future__ import annotations

import re
from urllib.parse import quote

import duckdb
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from published import PASSWORDS, bearer, logged_in

INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE golden_customers; --",
    "1; delete from staff_accounts",
    '" OR ""="',
    "C00000001' --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "${7*7}",
    "%27%20OR%201=1",
    "../../etc/passwd",
    "王\x00芳",
    "＜script＞",
]


def counts(published) -> tuple:
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        return tuple(
            con.execute(f"select count(*) from {t}").fetchall()[0][0]
            for t in ("golden_customers", "customer_source_records", "staff_accounts", "api_tokens", "review_decisions")
        )


@pytest.fixture(scope="module")
def before(published) -> tuple:
    return counts(published)


@pytest.fixture(scope="module")
def admin_page(app):
    return logged_in(app, "adam")


def assert_harmless(response) -> None:
    assert response.status_code < 500, response.text[:300]
    if response.headers.get("content-type", "").startswith("text/html"):
        assert "<script>alert" not in response.text and "<img src=x" not in response.text


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_in_every_api_parameter(client, published, before, evil):
    token = bearer(published, "adam")
    responses = [
        client.get("/api/customers", params={"q": evil}, headers=token),
        client.get("/api/customers", params={"q": "王", "limit": evil}, headers=token),
        client.get(f"/api/customers/{quote(evil, safe='')}", headers=token),
        client.get(f"/api/customers/{quote(evil, safe='')}/why", headers=token),
        client.get("/api/review", params={"status": evil}, headers=token),
        client.get(f"/api/review/{quote(evil, safe='')}", headers=token),
        client.post(f"/api/review/{quote(evil, safe='')}", json={"decision": "same"}, headers=token),
        client.post("/api/review/x", json={"decision": evil}, headers=token),
        client.get("/api/audit", params={"limit": evil}, headers=token),
        client.get("/api/me", headers={"Authorization": b"Bearer " + evil.encode("utf-8")}),
    ]
    for response in responses:
        assert_harmless(response)
        assert (
            "Traceback" not in response.text
            and "duckdb" not in response.text.lower()
            and "select " not in response.text.lower()
        )
    search = responses[0].json()["results"]
    assert all(r["matched"] for r in search)  # whatever came back matched a key; nothing was dumped


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_in_every_page_parameter(app, admin_page, evil):
    page = admin_page
    responses = [
        page.get("/", params={"q": evil}),
        page.get(f"/customers/{quote(evil, safe='')}"),
        page.get(f"/customers/{quote(evil, safe='')}/why"),
        page.get("/review", params={"status": evil}),
        page.get(f"/review/{quote(evil, safe='')}"),
        page.post("/review/x", data={"decision": evil, "csrf": page.csrf}),
        page.get("/login", params={"next": evil}),
    ]
    for response in responses:
        assert_harmless(response)
    stranger = TestClient(app)
    stranger.get("/login")
    assert_harmless(stranger.post("/login", data={"username": evil, "password": evil, "csrf": evil, "next": evil}))


def test_hostile_input_changed_nothing(published, before):
    assert counts(published) == before


def test_templates_escape_and_never_evaluate_what_staff_type(app):
    page = logged_in(app, "vera").get("/", params={"q": "<b>{{ 7*7 }}</b>"})
    assert 'value="&lt;b&gt;{{ 7*7 }}&lt;/b&gt;"' in page.text


def test_login_redirects_only_within_the_site(app):
    for target, expected in [
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/customers/C00000001", "/customers/C00000001"),
    ]:
        c = TestClient(app)
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        response = c.post(
            "/login",
            data={"username": "vera", "password": PASSWORDS["vera"], "csrf": csrf, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(FUZZ, max_examples=100)
@given(
    q=st.text(max_size=60),
    limit=st.one_of(st.integers(-5, 500), st.text(max_size=5)),
    customer_id=st.text(min_size=1, max_size=30),
)
def test_fuzzing_search_and_customers_finds_no_server_error(client, published, q, limit, customer_id):
    token = bearer(published, "rita")
    for response in (
        client.get("/api/customers", params={"q": q, "limit": limit}, headers=token),
        client.get(f"/api/customers/{quote(customer_id, safe='')}", headers=token),
    ):
        assert response.status_code < 500, (response.status_code, response.text[:200])


# the review endpoints read the warehouse itself (tens of milliseconds a call): fewer examples
@settings(FUZZ, max_examples=15)
@given(
    status=st.text(max_size=12),
    limit=st.one_of(st.integers(-5, 600), st.text(max_size=5)),
    pair_id=st.text(min_size=1, max_size=20),
    decision=st.text(max_size=12),
    reason=st.one_of(st.none(), st.text(max_size=40)),
)
def test_fuzzing_the_review_api_finds_no_server_error(client, published, status, limit, pair_id, decision, reason):
    token = bearer(published, "rita")
    path = f"/api/review/{quote(pair_id, safe='')}"
    for response in (
        client.get("/api/review", params={"status": status, "limit": limit}, headers=token),
        client.get(path, headers=token),
        client.post(path, json={"decision": decision, "reason": reason}, headers=token),
    ):
        assert response.status_code < 500, (response.status_code, response.text[:200])
