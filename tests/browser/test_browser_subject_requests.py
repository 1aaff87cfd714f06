"""Data-subject requests on the admin pages, in real headless Chromium: an admin exports a
customer (JSON and HTML downloads) and erases them, after which the search no longer finds them;
a viewer is refused (403). On a warehouse and work area of their own: the erasure is for good."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest
from live_server import serving
from playwright.sync_api import expect
from test_browser_staff_search import log_in

from search.app import create_app
from search.store import Store


def first_row(db, sql: str) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()


@pytest.fixture(scope="module")
def subject_server(published, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("subject_server")
    url = published.copy(tmp)
    shutil.copytree(published.directory / "work", tmp / "work")
    store = Store(url)
    app = create_app(
        store,
        secret="browser-test-secret",
        model_path=published.model_path,
        background_refresh=False,
        work_dir=tmp / "work",
        tombstone_key="browser-tombstone-key",
    )
    with serving(app) as address:
        yield address, tmp / "w.duckdb"


def test_an_admin_exports_and_erases_a_customer_and_the_search_forgets_them(page, subject_server, artifacts):
    server, db = subject_server
    customer_id, phone, records = first_row(
        db,
        "select customer_id, max(phone), count(*) from customer_source_records "
        "group by customer_id having count(*) >= 2 and max(phone) is not null order by customer_id limit 1",
    )
    log_in(page, server, "adam")
    page.goto(f"{server}/?q={phone.removeprefix('+86')}")
    expect(page.locator("tr.result").first).to_contain_text(customer_id)  # found before the erasure
    page.get_by_role("link", name=re.compile("Requests")).click()
    expect(page.locator("h1")).to_contain_text("Data-subject requests")
    page.fill("input[name=customer_id]", customer_id)
    page.get_by_role("button", name=re.compile("Open")).click()
    expect(page.locator("h1")).to_contain_text(customer_id)
    page.screenshot(path=artifacts / "20_subject_request.png", full_page=True)

    with page.expect_download() as download:
        page.click("#export-json")
    document = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert document["customer_id"] == customer_id and len(document["source_records"]) == records
    with page.expect_download() as download:
        page.click("#export-html")
    assert customer_id in download.value.path().read_text(encoding="utf-8")

    page.fill("input[name=confirm]", customer_id)
    page.get_by_role("button", name=re.compile("Erase")).click()
    expect(page.locator(".alert.good")).to_contain_text("Erased")
    receipts = page.locator("tr.receipt")
    expect(receipts.first).to_contain_text("erase")
    expect(receipts.nth(1)).to_contain_text("export")
    page.screenshot(path=artifacts / "21_subject_erased.png", full_page=True)

    page.goto(f"{server}/?q={phone.removeprefix('+86')}")
    expect(page.locator("tr.result")).to_have_count(0)
    assert page.goto(f"{server}/customers/{customer_id}").status == 404
    assert page.goto(f"{server}/admin/subjects/{customer_id}").status == 404
    assert first_row(db, f"select count(*) from customer_source_records where customer_id = '{customer_id}'") == (0,)


def test_a_viewer_may_not_open_the_requests_pages(page, subject_server):
    server, _ = subject_server
    log_in(page, server, "vera")
    expect(page.get_by_role("link", name=re.compile("Requests"))).to_have_count(0)
    assert page.goto(f"{server}/admin/subjects").status == 403
    assert page.goto(f"{server}/admin/subjects/C00000001/export.json").status == 403
