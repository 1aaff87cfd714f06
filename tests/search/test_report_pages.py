"""/reports/RUN: a run's report to logged-in staff, a login first for anyone else, and nothing but a run id looked up."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from published import logged_in

from reports.run_report import report_path

RUN = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"


@pytest.fixture
def reports(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    monkeypatch.setenv("UNIFY_REPORTS_DIR", str(folder))
    path = report_path(folder, RUN, datetime(2026, 12, 2, 3, 4, 5))
    path.parent.mkdir()
    path.write_text(f"<!doctype html><style>b{{color:red}}</style><b>report of {RUN}</b>", encoding="utf-8")
    (tmp_path / "secret.html").write_text("not a report", encoding="utf-8")  # beside the folder: out of reach
    return folder


def test_staff_read_a_run_s_report(app, client, reports):  # client: the app started
    response = logged_in(app, "vera").get(f"/reports/{RUN}")
    assert response.status_code == 200 and f"report of {RUN}" in response.text
    assert response.headers["content-type"].startswith("text/html")
    # its own inline styles may apply; still no script, no framing
    policy = response.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"


def test_without_a_login_the_report_asks_for_one(app, client, reports):
    response = TestClient(app).get(f"/reports/{RUN}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/reports/{RUN}"


@pytest.mark.parametrize(
    "run_id",
    [
        "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f8",  # a run id without a report
        "0f1e2d3c",  # the file's short id alone
        "..%2Fsecret",  # a path out of the folder
        "%2E%2E%2Fsecret.html",
        "*",
        RUN.upper(),
    ],
)
def test_anything_but_the_id_of_a_reported_run_is_not_found(app, client, reports, run_id):
    response = logged_in(app, "vera").get(f"/reports/{run_id}", follow_redirects=False)
    assert response.status_code == 404 and "not a report" not in response.text
