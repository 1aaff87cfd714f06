"""The search's "new customer?" form (issue #18) in real headless Chromium: an existing customer's
details resolve to "match" with a link to that customer, a made-up person is "new", the page and
POST /api/resolve give the same decision and top candidate, a viewer sees the candidates' contacts
masked (an admin in full), bad input is a one-line reason on the page. Screenshots in tests/artifacts/."""

from __future__ import annotations

import re

import duckdb
import httpx
import pytest
from playwright.sync_api import expect
from published import bearer
from test_browser_staff_search import log_in

from search.app import format_phone

STRANGER = {"name": "Zyxwv Qorplash", "phone": "+1 202 555 0143", "email": "zyxwv.qorplash@nowhere.invalid"}


@pytest.fixture(scope="module")
def known(published) -> dict:
    """A published customer with a name, a mainland mobile and an email, read from the test warehouse."""
    db = published.directory / "w.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        cid, name, phone, email = con.execute(
            "select customer_id, display_name, phone, email from golden_customers"
            " where display_name is not null and phone like '+86%' and email is not null order by customer_id limit 1"
        ).fetchone()
    return {"customer_id": cid, "record": {"name": name, "phone": phone, "email": email}}


def fill_and_resolve(page, server: str, record: dict) -> None:
    page.goto(f"{server}/resolve")
    for field, value in record.items():
        page.fill(f"#resolve-{field}", value)
    page.get_by_role("button", name=re.compile("Resolve")).click()


def test_an_existing_customer_is_a_match_and_a_made_up_person_is_new(page, server, known, artifacts):
    log_in(page, server, "vera")
    page.get_by_role("link", name=re.compile("New customer")).first.click()  # from the nav
    expect(page).to_have_url(re.compile(r"/resolve$"))

    fill_and_resolve(page, server, known["record"])
    expect(page.locator(".decision")).to_contain_text("match")
    link = page.locator("a.resolved-customer")
    expect(link).to_have_text(known["customer_id"])
    expect(page.locator("tr.candidate").first).to_contain_text(known["customer_id"])
    page.screenshot(path=artifacts / "60_resolve_match.png", full_page=True)
    link.click()
    expect(page).to_have_url(re.compile(rf"/customers/{known['customer_id']}$"))

    fill_and_resolve(page, server, STRANGER)
    expect(page.locator(".decision")).to_contain_text("new")
    expect(page.locator("a.resolved-customer")).to_have_count(0)
    page.screenshot(path=artifacts / "61_resolve_new.png", full_page=True)


def test_the_page_and_the_api_give_the_same_answer(page, server, published, known):
    log_in(page, server, "adam")
    for record in (known["record"], STRANGER, {"name": known["record"]["name"]}):
        api = httpx.post(f"{server}/api/resolve", json=record, headers=bearer(published, "adam"), timeout=30).json()
        fill_and_resolve(page, server, record)
        expect(page.locator(".decision")).to_contain_text(api["decision"])
        rows = page.locator("tr.candidate")
        expect(rows).to_have_count(len(api["candidates"]))
        if api["candidates"]:
            top = api["candidates"][0]
            expect(rows.first).to_contain_text(top["customer_id"])
            expect(rows.first).to_contain_text(f"{top['match_probability']:.4f}")


def test_a_viewer_sees_candidate_contacts_masked_and_an_admin_in_full(page, server, known, artifacts):
    phone, email = known["record"]["phone"], known["record"]["email"]
    log_in(page, server, "vera")
    fill_and_resolve(page, server, known["record"])
    top = page.locator("tr.candidate").first
    expect(top).to_contain_text(re.compile(r"\d{3}\*{4}\d{4}"))
    results = page.locator(".resolve-answer").inner_text()
    assert format_phone(phone) not in results and email not in results
    page.screenshot(path=artifacts / "62_resolve_masked.png", full_page=True)

    page.context.clear_cookies()
    log_in(page, server, "adam")
    fill_and_resolve(page, server, known["record"])
    expect(page.locator("tr.candidate").first).to_contain_text(email)
    expect(page.locator("tr.candidate").first).to_contain_text(format_phone(phone))


@pytest.mark.parametrize(
    "record, reason",
    [({}, "no identifying field"), ({"birth_date": "99/99/99999"}, "nothing in the record could be used")],
)
def test_bad_input_is_a_one_line_reason_on_the_page(page, server, record, reason):
    log_in(page, server, "vera")
    page.goto(f"{server}/resolve")
    for field, value in record.items():
        page.fill(f"#resolve-{field}", value)
    with page.expect_response(lambda r: r.url.endswith("/resolve") and r.request.method == "POST") as response:
        page.get_by_role("button", name=re.compile("Resolve")).click()
    assert response.value.status == 422
    expect(page.locator(".resolve-error")).to_contain_text(reason)
    expect(page.locator(".resolve-answer")).to_have_count(0)


def test_the_form_needs_a_login_and_its_csrf_token(page, server):
    assert httpx.get(f"{server}/resolve", follow_redirects=False).status_code == 303  # to the login form
    log_in(page, server, "vera")
    forged = page.request.post(f"{server}/resolve", form={"csrf": "not-the-token", **STRANGER})
    assert forged.status == 403
    assert "Zyxwv" not in forged.text()
