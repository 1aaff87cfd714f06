"""Audience exports on the published sample warehouse: `unify audience export` and the admin page's
download give the channel's rows of marketing_audience_channels (in the segment), and a suppression
file naming every other customer once with its reason; each export is audited."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from published import logged_in
from sqlalchemy import insert

from pipelines.cli import main
from search.app import create_app
from search.staff import add_staff, limit_to_branches
from search.store import Store
from warehouse import tables
from warehouse.audience_export import CHANNELS, SUPPRESSION_COLUMNS
from warehouse.engine import make_engine

SECRET = "test-secret-key-not-for-production"
SEGMENTS = {
    "top20": "is_top_20pct",
    "at-risk": "is_at_risk",
    "tier=A": "value_tier = 'A'",
}


@pytest.fixture(scope="module")
def warehouse(published, tmp_path_factory):
    """A private copy (exports write audit rows), with one customer's erasure receipt planted."""
    url = published.copy(tmp_path_factory.mktemp("audience"))
    with make_engine(url).begin() as conn:
        conn.execute(
            insert(tables.subject_requests).values(
                request_id="R1", kind="erase", customer_id="C99999999", requested_by="adam",
                requested_at=datetime(2025, 10, 1), result="done", detail="{}",
            )
        )  # fmt: skip
    return url


def _sql(url: str, sql: str, *params) -> list[tuple]:
    with make_engine(url).connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql, params or None)]


def _csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def _export(url: str, tmp_path, channel: str, *extra: str, kind: str = "csv") -> tuple[Path, Path]:
    out = tmp_path / f"{channel}.{kind}"
    assert main(["audience", "export", "--warehouse", url, "--channel", channel, "--format", kind, "--out", str(out), "--by", "mia", *extra]) == 0  # fmt: skip
    return out, out.with_name(f"{channel}.suppressed.{kind}")


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_export_is_the_channels_audience_and_every_other_customer_is_suppressed_with_a_reason(
    warehouse, tmp_path, channel
):
    out, suppressed_file = _export(warehouse, tmp_path, channel)
    rows, suppressed = _csv(out.read_bytes()), _csv(suppressed_file.read_bytes())
    audience = _sql(
        warehouse,
        "select customer_id, display_name, channel, address from marketing_audience_channels where channel = ? order by 1",
        channel,
    )
    assert [tuple(r.values()) for r in rows] == [tuple("" if v is None else v for v in a) for a in audience]
    golden = {c for (c,) in _sql(warehouse, "select customer_id from golden_customers")}
    kept = {r["customer_id"] for r in rows}
    left_out = [s for s in suppressed if s["reason"] != "erased"]
    assert sorted(s["customer_id"] for s in left_out) == sorted(golden - kept)  # each once
    assert [s["customer_id"] for s in suppressed if s["reason"] == "erased"] == ["C99999999"]
    reasons = {s["customer_id"]: s["reason"] for s in left_out}
    refused = _sql(
        warehouse,
        "select customer_id from customer_consent where channel = ? and status = 'opted_out' "
        "union select customer_id from golden_customers where marketing_opt_out",
        channel,
    )
    assert refused and all(reasons[c] == "opted_out" for (c,) in refused)
    for (c,) in _sql(warehouse, "select customer_id from marketing_suppressions"):
        assert c not in kept  # contactable on no channel: on none of them
    assert set(reasons.values()) <= {"opted_out", "no_contact", "open_complaint", "address_opted_out", "shared_address"}
    # no personal data in the suppression file: its columns, and none of the golden contacts or names
    assert list(suppressed[0]) == list(SUPPRESSION_COLUMNS)
    personal = {
        v
        for row in _sql(warehouse, "select display_name, phone, email, wechat, address from golden_customers")
        for v in row
        if v
    }
    assert not personal & {v for s in suppressed for v in s.values()}


@pytest.mark.parametrize("segment", SEGMENTS)
def test_each_segment_narrows_export_and_suppressions_to_its_customers(warehouse, tmp_path, segment):
    out, suppressed_file = _export(warehouse, tmp_path, "email", "--segment", segment)
    members = {c for (c,) in _sql(warehouse, f"select customer_id from customer_value where {SEGMENTS[segment]}")}
    audience = {
        c for (c,) in _sql(warehouse, "select customer_id from marketing_audience_channels where channel = 'email'")
    }
    rows = {r["customer_id"] for r in _csv(out.read_bytes())}
    suppressed = {s["customer_id"] for s in _csv(suppressed_file.read_bytes()) if s["reason"] != "erased"}
    assert members and rows == members & audience and suppressed == members - audience


def test_xlsx_holds_the_same_rows_as_csv(warehouse, tmp_path):
    csv_out, _ = _export(warehouse, tmp_path, "sms")
    xlsx_out, xlsx_suppressed = _export(warehouse, tmp_path, "sms", kind="xlsx")
    sheet = load_workbook(xlsx_out, read_only=True).active
    header, *cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert [dict(zip(header, row)) for row in cells] == _csv(csv_out.read_bytes())
    assert (
        next(load_workbook(xlsx_suppressed, read_only=True).active.iter_rows(values_only=True)) == SUPPRESSION_COLUMNS
    )


def _audits(url: str) -> list[tuple]:
    return _sql(url, "select username, target, detail from audit_log where action = 'audience_export' order by \"at\"")


def test_a_command_line_export_is_audited_with_figures(warehouse, tmp_path):
    out, _ = _export(warehouse, tmp_path, "wechat", "--segment", "tier=a")
    username, target, detail = _audits(warehouse)[-1]
    assert (username, target) == ("mia", None)
    assert json.loads(detail) == {
        "channel": "wechat", "segment": "tier=A", "format": "csv", "via": "cli",
        "rows": len(_csv(out.read_bytes())), "suppressed": json.loads(detail)["suppressed"],
    }  # fmt: skip


@pytest.mark.parametrize(
    "args, message",
    [
        (["--channel", "fax"], "unknown channel 'fax'"),
        (["--channel", "email", "--segment", "tier=Z"], "unknown segment 'tier=Z'"),
        (["--channel", "email", "--format", "pdf"], "unknown format 'pdf'"),
    ],
)
def test_bad_options_are_one_line_errors(warehouse, tmp_path, capsys, args, message):
    assert main(["audience", "export", "--warehouse", warehouse, "--out", str(tmp_path / "x.csv"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "x.csv").exists()


def test_an_unpublished_warehouse_is_a_one_line_error(tmp_path, capsys):
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    assert main(["audience", "export", "--warehouse", url, "--channel", "email", "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "nothing is published" in err and err.count("\n") == 1


# ---------------------------------------------------------------- the admin page


@pytest.fixture(scope="module")
def app(warehouse):
    with TestClient(create_app(Store(warehouse), secret=SECRET, background_refresh=False)) as client:
        yield client.app


def test_an_admin_downloads_the_export_and_its_suppression_file_and_it_is_audited(app, warehouse):
    client = logged_in(app, "adam")
    assert 'href="/admin/audience"' in client.get("/").text
    page = client.get("/admin/audience")
    assert page.status_code == 200 and 'action="/admin/audience/export"' in page.text
    response = client.get("/admin/audience/export", params={"channel": "email", "segment": "top20", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert 'filename="audience-email-top20.zip"' in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["audience-email-top20.csv", "audience-email-top20.suppressed.csv"]
    rows = _csv(archive.read("audience-email-top20.csv"))
    expected = _sql(
        warehouse,
        "select a.customer_id from marketing_audience_channels a join customer_value v using (customer_id) "
        "where a.channel = 'email' and v.is_top_20pct order by 1",
    )
    assert [r["customer_id"] for r in rows] == [c for (c,) in expected]
    app.state.store.flush_audit()
    username, _, detail = _audits(warehouse)[-1]
    assert username == "adam" and json.loads(detail)["via"] == "web" and json.loads(detail)["rows"] == len(rows)


@pytest.mark.parametrize("username", ["vera", "rita"])
def test_only_admins_may_export(app, username):
    client = logged_in(app, username)
    assert 'href="/admin/audience"' not in client.get("/").text
    assert client.get("/admin/audience").status_code == 403
    assert client.get("/admin/audience/export", params={"channel": "email"}).status_code == 403


@pytest.mark.parametrize(
    "params", [{"channel": "fax"}, {"channel": "email", "segment": "vip"}, {"channel": "email", "format": "pdf"}]
)
def test_a_bad_download_request_is_a_422_page(app, params):
    response = logged_in(app, "adam").get("/admin/audience/export", params=params)
    assert response.status_code == 422 and "unknown" in response.text and "Traceback" not in response.text


def test_an_admin_limited_to_branches_may_not_export_every_customer(app, warehouse):
    engine = make_engine(warehouse)
    add_staff(engine, "bea", "admin", "branch-admin-password-1")
    limit_to_branches(engine, "bea", ["east"])
    app.state.store.reload_control()
    client = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    login = {"username": "bea", "password": "branch-admin-password-1", "csrf": csrf, "next": "/"}
    assert client.post("/login", data=login).status_code == 200
    assert client.get("/admin/audience").status_code == 403
    response = client.get("/admin/audience/export", params={"channel": "email"})
    assert response.status_code == 403 and "spans every customer" in response.text
