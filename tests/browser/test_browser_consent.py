"""Consent per channel on the customer page, in real headless Chromium: a customer who asked for no
more marketing SMS shows SMS opted out and is in the e-mail audience only."""

from __future__ import annotations

import duckdb
from playwright.sync_api import expect
from test_browser_staff_search import log_in


def test_the_customer_page_shows_consent_and_audiences_per_channel(page, server, published, artifacts):
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        (customer_id,) = con.execute(
            """select customer_id from customer_consent
               where channel = 'sms' and status = 'opted_out' and stated_for = 'sms'
                 and customer_id in (select customer_id from marketing_audience_channels where channel = 'email')
               order by customer_id limit 1"""
        ).fetchone()
    log_in(page, server, "vera")
    page.goto(f"{server}/customers/{customer_id}")
    channels = page.get_by_test_id("consent-channels")
    expect(channels.locator("tr", has_text="sms")).to_contain_text("opted_out")
    audiences = page.get_by_test_id("audience-channels")
    expect(audiences).to_contain_text("email:")
    expect(audiences).not_to_contain_text("sms:")
    page.screenshot(path=artifacts / "09_consent_per_channel.png", full_page=True)
