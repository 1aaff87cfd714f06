"""Chromium opens the Customer 360 dashboard in a real Superset over a warehouse the pipeline built.

Needs the BI environment (.venv-bi, `make test-bi` installs it and runs this file); skipped
without it, so `make test` stays what it was on a machine that never ran `make bi`.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from demo.generate import generate_sources
from pipelines.cli import main

ROOT = Path(__file__).resolve().parents[2]
BI_PYTHON = ROOT / ".venv-bi" / "bin" / "python"
BUNDLE = ROOT / "bi" / "bundle"
CHARTS = sorted(yaml.safe_load(p.read_text(encoding="utf-8"))["slice_name"] for p in (BUNDLE / "charts").glob("*.yaml"))
PASSWORD = "bi-test-admin-password"
# a chart's own drawing (every chart here is ECharts, which paints a canvas; the loading spinner
# and the header's icons are svg), and Superset's error box in its place
DRAWN = ".chart-container canvas"
FAILED = ".dashboard-chart [role=alert], .dashboard-chart .ant-alert-error"

pytestmark = pytest.mark.skipif(
    not BI_PYTHON.exists(), reason="the Superset dashboard test needs .venv-bi: run `make test-bi`"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> str:
    """A warehouse published by `unify run` on generated demo sources."""
    tmp = tmp_path_factory.mktemp("bi_warehouse")
    generate_sources(tmp / "sources", customers=300, seed=5)
    url = f"duckdb:///{tmp / 'warehouse.duckdb'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)  # the work area lands in the temporary folder
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL"):
            mp.delenv(name, raising=False)
        assert main(["run", "--sources", str(tmp / "sources"), "--warehouse", url, "--as-of", "2025-11-01"]) == 0
    return url


@pytest.fixture(scope="module")
def bi_env(warehouse, tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("bi_home")
    return {
        **os.environ,
        "UNIFY_WAREHOUSE": warehouse,
        "UNIFY_BI_HOME": str(home),
        "UNIFY_BI_ADMIN_PASSWORD": PASSWORD,
    }


def provision(env: dict[str, str], *args: str, **popen) -> subprocess.Popen:
    command = [str(BI_PYTHON), "-m", "bi.provision", *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


@pytest.fixture(scope="module")
def superset(bi_env):
    """Provisioned once, then provisioned again and served by `bi.provision --serve` (what `make bi` runs)."""
    first = provision(bi_env)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-3000:]
    port = free_port()
    server = provision(bi_env, "--serve", "--port", str(port), start_new_session=True)
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, server.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "Superset did not start"
            try:
                with urllib.request.urlopen(f"{address}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(1)
        yield address, out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)


def test_provisioning_says_where_to_log_in_and_twice_duplicates_nothing(superset, bi_env):
    address, out = superset
    home = Path(bi_env["UNIFY_BI_HOME"])
    assert "/superset/dashboard/customer-360/" in out
    assert "Log in as admin, with the password in UNIFY_BI_ADMIN_PASSWORD" in out
    assert PASSWORD not in out
    assert (home / "secret_key").stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(home / "superset.db") as db:
        counts = {
            t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in ("dbs", "tables", "slices", "dashboards")
        }
        (uri,) = db.execute("select sqlalchemy_uri from dbs").fetchone()
    assert counts == {
        "dbs": 1,
        "tables": len(list((BUNDLE / "datasets").glob("*.yaml"))),
        "slices": len(CHARTS),
        "dashboards": 1,
    }
    assert uri == bi_env["UNIFY_WAREHOUSE"]


def test_the_dashboard_draws_every_chart(superset, page, artifacts):
    address, _ = superset
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(f"{address}/login/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
    page.goto(f"{address}/superset/dashboard/customer-360/")
    holders = page.locator(".dashboard-component-chart-holder")
    holders.first.wait_for(timeout=120_000)
    # every chart has drawn (ECharts paints a canvas) or shown its error: then look which
    page.wait_for_function(
        """([n, done]) => { const hs = [...document.querySelectorAll('.dashboard-component-chart-holder')];
                            return hs.length === n && hs.every(h => h.querySelector(done)); }""",
        arg=[len(CHARTS), f"{DRAWN}, {FAILED}"],
        timeout=180_000,
    )
    page.wait_for_timeout(3000)  # the animation's last frames, for the screenshot
    page.screenshot(path=artifacts / "bi_customer_360.png", full_page=True)
    shown = page.evaluate(
        """([drawn, failed]) => [...document.querySelectorAll('.dashboard-component-chart-holder')].map(h => ({
              title: h.querySelector('.editable-title')?.innerText.trim(),
              drawn: !!h.querySelector(drawn),
              error: h.querySelector(failed)?.innerText ?? null}))""",
        [DRAWN, FAILED],
    )
    assert sorted(s["title"] for s in shown) == CHARTS
    assert [s for s in shown if not s["drawn"] or s["error"]] == []
