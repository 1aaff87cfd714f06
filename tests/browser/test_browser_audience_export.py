"""The audience export page in real headless Chromium: an admin picks a channel, a segment and a
format and downloads a zip of the channel's audience and its suppression file, which matches the
warehouse and is audited; a viewer sees no link and is refused (403)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import duckdb
import pytest
from live_server import serving
from openpyxl import load_workbook
from playwright.sync_api import expect
from test_browser_staff_search import log_in

from search.app import create_app
from search.store import Store


def _rows(db, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def audience_server(published, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audience_server")
    url = published.copy(tmp)  # the downloads write audit rows
    store = Store(url)
    app = create_app(store, secret="browser-test-secret", model_path=published.model_path, background_refresh=False)
    with serving(app) as address:
        yield address, tmp / "w.duckdb", store


def test_an_admin_downloads_a_segment_of_a_channel_as_xlsx(page, audience_server, artifacts):
    server, db, store = audience_server
    log_in(page, server, "adam")
    page.get_by_role("link", name=re.compile("Audience")).click()
    expect(page.locator("h1")).to_contain_text("Audience export")
    page.select_option("#channel", "sms")
    page.select_option("#segment", "tier=A")
    page.select_option("#format", "xlsx")
    page.screenshot(path=artifacts / "25_audience_export.png", full_page=True)
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "audience-sms-tier-A.zip"
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    sheet = load_workbook(io.BytesIO(archive.read("audience-sms-tier-A.xlsx")), read_only=True).active
    header, *cells = list(sheet.iter_rows(values_only=True))
    expected = _rows(
        db,
        "select customer_id from marketing_audience_channels join customer_value using (customer_id) "
        "where channel = 'sms' and value_tier = 'A' order by 1",
    )
    assert header == ("customer_id", "display_name", "channel", "address") and expected
    assert [(row[0],) for row in cells] == expected
    suppressed = load_workbook(io.BytesIO(archive.read("audience-sms-tier-A.suppressed.xlsx")), read_only=True).active
    left_out = {row[0] for row in list(suppressed.iter_rows(values_only=True))[1:]}
    tier_a = {c for (c,) in _rows(db, "select customer_id from customer_value where value_tier = 'A'")}
    assert left_out == tier_a - {c for (c,) in expected}
    store.flush_audit()
    (detail,) = _rows(db, "select detail from audit_log where action = 'audience_export' and username = 'adam'")[-1]
    assert json.loads(detail) | {"suppressed": None} == {
        "channel": "sms", "segment": "tier=A", "format": "xlsx", "via": "web", "rows": len(expected), "suppressed": None,
    }  # fmt: skip


def test_a_csv_download_of_every_customer_of_a_channel(page, audience_server):
    server, db, _ = audience_server
    log_in(page, server, "adam")
    page.goto(f"{server}/admin/audience")
    page.select_option("#channel", "email")
    with page.expect_download() as download:
        page.click("#download")
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    rows = list(csv.DictReader(io.StringIO(archive.read("audience-email-all.csv").decode("utf-8"))))
    expected = _rows(db, "select customer_id from marketing_audience_channels where channel = 'email' order by 1")
    assert [(r["customer_id"],) for r in rows] == expected


def test_a_viewer_has_no_audience_export(page, audience_server):
    server, _, _ = audience_server
    log_in(page, server, "vera")
    expect(page.get_by_role("link", name=re.compile("Audience"))).to_have_count(0)
    assert page.goto(f"{server}/admin/audience").status == 403
    assert page.goto(f"{server}/admin/audience/export?channel=email").status == 403
