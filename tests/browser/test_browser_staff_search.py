"""The staff search in real headless Chromium: log in, search a Chinese name, open the customer,
decide a review pair. A screenshot of every page is kept in tests/artifacts/ (gitignored)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from published import PASSWORDS


def log_in(page, server: str, username: str) -> None:
    page.goto(f"{server}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_contain_text(username)


def test_agent_finds_a_customer_by_chinese_name_and_opens_the_page(page, server, artifacts):
    page.goto(f"{server}/")
    page.screenshot(path=artifacts / "01_login.png", full_page=True)
    log_in(page, server, "vera")

    page.fill("main input[type=search]", "黃桂芝")  # traditional characters find the simplified name
    page.keyboard.press("Enter")
    first = page.locator("tr.result").first
    expect(first).to_contain_text("黄桂芝")
    expect(first.locator("mark").first).to_be_visible()  # what matched is highlighted
    page.screenshot(path=artifacts / "02_search_results.png", full_page=True)

    first.locator("a").first.click()
    expect(page.locator("h1")).to_have_text("黄桂芝")
    expect(page.get_by_text("客户档案 Golden record")).to_be_visible()
    expect(page.locator("section", has_text="来源记录 Source records").locator("tbody tr, tr").nth(1)).to_be_visible()
    page.screenshot(path=artifacts / "03_customer.png", full_page=True)

    page.get_by_role("link", name=re.compile("Why merged")).first.click()
    expect(page.locator("h1")).to_contain_text("Why merged")
    expect(page.locator(".links .card.link-rule").first).to_contain_text("ticket names the order")
    expect(page.locator(".links .card.link-model").first).to_contain_text("Match weight")
    page.screenshot(path=artifacts / "04_why_merged.png", full_page=True)

    page.get_by_role("link", name="API").click()
    expect(page.locator("h1")).to_contain_text("API")
    page.screenshot(path=artifacts / "08_api_docs.png", full_page=True)


def test_reviewer_decides_a_pair(page, server, artifacts):
    log_in(page, server, "rita")
    page.get_by_role("link", name=re.compile("Review")).first.click()
    expect(page.locator("h1")).to_contain_text("Review queue")
    page.screenshot(path=artifacts / "05_review_queue.png", full_page=True)

    page.locator(".review-card h2 a").first.click()
    expect(page.locator("h1")).to_contain_text("Same customer?")
    pair_id = page.url.rsplit("/", 1)[-1]
    page.screenshot(path=artifacts / "06_review_pair.png", full_page=True)

    page.get_by_role("button", name=re.compile("Same customer")).click()
    expect(page.locator(".alert.good")).to_be_visible()
    page.goto(f"{server}/review/{pair_id}")
    expect(page.locator(".badge").first).to_have_text("same")
    page.screenshot(path=artifacts / "07_review_decided.png", full_page=True)


def test_viewer_cannot_reach_the_review_page(page, server):
    log_in(page, server, "vera")
    response = page.goto(f"{server}/review")
    assert response.status == 403
