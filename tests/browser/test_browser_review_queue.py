"""The review queue worked through in headless Chromium: pages of 20 in the queue's order, pairs
already in one customer hidden until asked for, decisions by keyboard (s, d, k) moving the progress
count, and kept in the warehouse for the next run."""

from __future__ import annotations

import re

import pytest
from conftest import serving
from playwright.sync_api import expect
from sqlalchemy import text
from test_browser_staff_search import log_in

from search.app import create_app
from search.store import Store
from warehouse.engine import make_engine


@pytest.fixture(scope="module")
def queue_server(published, tmp_path_factory):
    """The app on its own copy of the warehouse (this module decides pairs), and that copy's URL."""
    url = published.copy(tmp_path_factory.mktemp("review_queue_warehouse"))
    app = create_app(
        Store(url), secret="browser-test-secret", model_path=published.model_path, background_refresh=False
    )
    with serving(app) as address:
        yield address, url


def queue_rows(url: str, where: str) -> list[dict]:
    with make_engine(url).connect() as conn:
        return [dict(r) for r in conn.execute(text(f"select * from match_review_queue where {where}")).mappings()]


def progress(page) -> tuple[int, int]:
    decided, total = re.search(r"(\d+) of (\d+) decided", page.locator("#progress").inner_text()).groups()
    return int(decided), int(total)


def test_reviewer_pages_and_decides_by_keyboard(page, queue_server, artifacts):
    server, url = queue_server
    one_customer = queue_rows(url, "left_customer_id = right_customer_id")
    others = queue_rows(url, "left_customer_id is distinct from right_customer_id")
    assert one_customer and others, "the sample queue has pairs of both kinds"
    hidden = one_customer[0]["pair_id"]
    # the shared sample warehouse may hold decisions other tests made before this copy was taken
    before = sum(r["status"] != "pending" for r in others)
    before_all = before + sum(r["status"] != "pending" for r in one_customer)
    log_in(page, server, "rita")

    # by default: only pairs of two customers, a progress count over them, no same-customer pair
    page.goto(f"{server}/review?status=all")
    assert progress(page) == (before, len(others))
    assert page.locator(f"#pair-{hidden}").count() == 0
    assert page.locator(".review-card .one-customer").count() == 0
    page.screenshot(path=artifacts / "10_review_queue_page.png", full_page=True)

    # the toggle shows them too, 20 to a page, in the queue's order
    page.locator("#toggle-same").click()
    expect(page).to_have_url(re.compile(r"same=1"))
    assert progress(page) == (before_all, len(others) + len(one_customer))
    expect(page.locator(".review-card")).to_have_count(20)
    page.locator("nav.pages").get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".review-card h2").first).to_contain_text("#21 ")
    ranked = [r["pair_id"] for r in sorted(others + one_customer, key=lambda r: (r["review_rank"], r["pair_id"]))]
    assert page.locator(".review-card").first.get_attribute("data-pair") == ranked[20]
    found = [page.locator(f"#pair-{hidden}").count()]
    for n in range(1, 1 + -(-len(ranked) // 20)):
        page.goto(f"{server}/review?status=all&same=1&page={n}")
        found.append(page.locator(f"#pair-{hidden}").count())
    assert sum(found) == 1, "a same-customer pair is on one page when shown"

    # keyboard: s = same, k = skip, d = different; the count moves without a reload
    page.goto(f"{server}/review?status=pending")
    cards = page.locator(".review-card")
    first, second, third = (cards.nth(i).get_attribute("data-pair") for i in range(3))
    expect(cards.nth(0)).to_have_class(re.compile("current"))
    page.keyboard.press("s")
    expect(page.locator("#progress")).to_contain_text(f"{before + 1} of {len(others)} decided")
    expect(cards.nth(0).locator(".badge.status")).to_have_text("same")
    expect(cards.nth(1)).to_have_class(re.compile("current"))
    page.keyboard.press("k")
    expect(cards.nth(2)).to_have_class(re.compile("current"))
    page.keyboard.press("d")
    expect(page.locator("#progress")).to_contain_text(f"{before + 2} of {len(others)} decided")
    page.screenshot(path=artifacts / "11_review_queue_decided.png", full_page=True)

    # kept: the next run applies them; a reload counts them and lists the skipped pair first
    with make_engine(url).connect() as conn:
        decisions = dict(conn.execute(text("select pair_id, decision from review_decisions")).all())
    assert {first: "same", third: "different"}.items() <= decisions.items() and second not in decisions
    page.reload()
    assert progress(page) == (before + 2, len(others))
    assert page.locator(".review-card").first.get_attribute("data-pair") == second
