"""Masking by role and branch scoping in real headless Chromium: a viewer sees masked contact details
and unmasks one (audited), an admin sees everything, an account limited to a branch finds and opens
only its branch's customers, an admin defines a branch on the page. Screenshots in tests/artifacts/."""

from __future__ import annotations

import re
from types import SimpleNamespace

import duckdb
import pytest
from conftest import serving
from playwright.sync_api import expect
from test_browser_staff_search import log_in

from search.app import create_app, format_phone
from search.staff import add_staff, limit_to_branches
from search.store import Store
from warehouse.engine import make_engine

BRANCHES_YAML = "branches:\n  east:\n    salespeople: [李强, 王芳]\n"
EAST = ("李强", "王芳")
SAM_PASSWORD = "scoped-password-1"


@pytest.fixture(scope="module")
def site(published, tmp_path_factory):
    """The app on a private copy: sam is a viewer limited to 'east' (the branches file's)."""
    directory = tmp_path_factory.mktemp("privacy_browser")
    url = published.copy(directory)
    (directory / "branches.yaml").write_text(BRANCHES_YAML, encoding="utf-8")
    engine = make_engine(url)
    add_staff(engine, "sam", "viewer", SAM_PASSWORD)
    limit_to_branches(engine, "sam", ["east"])
    engine.dispose()
    store = Store(url, branches_file=directory / "branches.yaml")
    app = create_app(store, secret="browser-test-secret", model_path=published.model_path, background_refresh=False)
    with serving(app) as address:
        yield SimpleNamespace(url=address, store=store, db=directory / "w.duckdb")


def query(site, sql: str, params=()) -> list[tuple]:
    site.store.flush_audit()
    with site.store.io_lock, duckdb.connect(str(site.db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def a_customer_with_phone_and_email(site) -> tuple[str, str, str]:
    return query(
        site,
        "select customer_id, phone, email from golden_customers where phone like '+86%' and email is not null"
        " order by customer_id limit 1",
    )[0]


def test_a_viewer_sees_masked_details_and_unmasks_one_audited(page, site, artifacts):
    cid, phone, email = a_customer_with_phone_and_email(site)
    log_in(page, site.url, "vera")
    page.goto(f"{site.url}/customers/{cid}")
    golden = page.locator("section", has_text="客户档案 Golden record")
    phone_row = golden.locator("tr", has_text="电话 Phone").first
    expect(phone_row).to_contain_text(re.compile(r"\d{3}\*{4}\d{4}"))
    assert format_phone(phone) not in page.content() and email not in page.content()
    page.screenshot(path=artifacts / "30_customer_masked.png", full_page=True)

    page.locator("button.unmask-phone").click()
    expect(page.locator(".alert.unmasked")).to_contain_text("this is logged")
    expect(page.locator("section", has_text="客户档案 Golden record")).to_contain_text(format_phone(phone))
    assert email not in page.content()  # only the field asked for
    page.screenshot(path=artifacts / "31_customer_unmasked_phone.png", full_page=True)
    assert ("vera", cid, "phone") in query(
        site, "select username, target, detail from audit_log where action = 'unmask'"
    )


def test_an_admin_sees_everything(page, site):
    cid, phone, email = a_customer_with_phone_and_email(site)
    log_in(page, site.url, "adam")
    page.goto(f"{site.url}/customers/{cid}")
    golden = page.locator("section", has_text="客户档案 Golden record")
    expect(golden).to_contain_text(format_phone(phone))
    expect(golden).to_contain_text(email)
    expect(page.locator("form.unmask")).to_have_count(0)


def log_in_sam(page, site) -> None:
    page.goto(f"{site.url}/login")
    page.fill("#username", "sam")
    page.fill("#password", SAM_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_contain_text("east")


def test_a_limited_account_finds_and_opens_only_its_branch(page, site, artifacts):
    outside, phone = query(
        site,
        "select customer_id, phone from golden_customers where phone is not null and customer_id not in "
        "(select customer_id from customer_source_records where salesperson in (?, ?)) order by 1 limit 1",
        EAST,
    )[0]
    shared, name = query(
        site,
        "select g.customer_id, g.display_name from golden_customers g join customer_service_tickets t using (customer_id)"
        " join customer_source_records r using (customer_id) where r.salesperson in (?, ?) group by all order by 1 limit 1",
        EAST,
    )[0]
    log_in_sam(page, site)
    page.fill("main input[type=search]", phone)
    page.keyboard.press("Enter")
    expect(page.locator(".count")).to_contain_text("0 个结果")
    page.screenshot(path=artifacts / "32_branch_search_outside.png", full_page=True)
    assert page.goto(f"{site.url}/customers/{outside}").status == 404
    assert page.goto(f"{site.url}/customers/C99999999").status == 404

    page.goto(f"{site.url}/customers/{shared}")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".alert.other-branches")).to_contain_text("Other branches know this customer too")
    expect(page.locator("section", has_text="工单 Tickets").first).to_contain_text("没有工单 no tickets")
    page.screenshot(path=artifacts / "33_branch_cross_branch_customer.png", full_page=True)


def test_an_admin_defines_a_branch_and_limits_an_account(page, site, artifacts):
    log_in(page, site.url, "adam")
    page.get_by_role("link", name=re.compile("Branches")).click()
    expect(page.locator("h1")).to_contain_text("Branches")
    expect(page.locator("tr.branch", has_text="east")).to_contain_text("文件 file")
    page.fill("#branch-name", "north")
    page.fill("#branch-salespeople", "刘洋\nzhao_min")
    page.locator("form.branch-form button[type=submit]").click()
    expect(page.locator("tr.branch", has_text="north")).to_contain_text("刘洋")
    row = page.locator("tr.account", has_text="rita")
    row.locator("input[name=branches]").fill("north")
    row.get_by_role("button").click()
    expect(page.locator("tr.account", has_text="rita")).to_contain_text("north")
    page.screenshot(path=artifacts / "34_admin_branches.png", full_page=True)
    assert query(site, "select branches from staff_accounts where username = 'rita'") == [("north",)]
