"""Smoke test of the Dagster UI as `make ui` serves it: the webserver loads the code location of
workspace.yaml without errors, lists the assets by layer, and draws the asset graph (a screenshot
is kept in tests/artifacts/)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 120  # seconds: the code location imports Splink and DuckDB before the server answers

LOCATIONS = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } ... on RepositoryLocation { repositories { name } } } } } } }"""
ASSETS = "{ assetNodes { assetKey { path } groupName description } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"dagster-webserver did not answer within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    """The server and its code-location process share the session started for them."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_ui_home")
    shutil.copy(ROOT / ".dagster" / "dagster.yaml", home)  # the shipped settings: telemetry off
    log = home / "webserver.log"
    url = f"http://127.0.0.1:{_free_port()}"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster-webserver"),
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                url.rsplit(":", 1)[1],
            ],
            cwd=ROOT,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(url, server, log)
            yield url
        finally:
            _stop(server)


def _graphql(url: str, query: str) -> dict:
    response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_the_code_location_loads_without_errors(webserver):
    (entry,) = _graphql(webserver, LOCATIONS)["workspaceOrError"]["locationEntries"]
    assert (entry["name"], entry["loadStatus"]) == ("pipelines.definitions", "LOADED")
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry["locationOrLoadError"]


def test_the_assets_are_listed_by_layer(webserver):
    nodes = _graphql(webserver, ASSETS)["assetNodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert {
        "staged/source_records",
        "linked/scored_pairs",
        "golden/golden_customers",
        "marts/customer_value",
        "warehouse/published",
        "reports/run_report",
    } <= keys
    assert {"staged", "linked", "golden", "marts"} <= {n["groupName"] for n in nodes}
    assert all(n["description"] for n in nodes)


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} to draw the asset graph with")
def test_the_asset_graph_is_drawn(webserver):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dagster_asset_graph.png"
    # Playwright's sync API refuses a thread whose event loop is running (another Playwright
    # session still open in this test process has one), so the browser gets a thread of its own
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(_draw_asset_graph, webserver, shot).result()
    assert shot.stat().st_size > 10_000


def _draw_asset_graph(webserver: str, shot) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.goto(f"{webserver}/asset-groups")
            page.get_by_text("standardised", exact=True).first.wait_for(timeout=60_000)
            skip = page.get_by_role("button", name="Skip")  # a new instance's first visit asks to join the community
            try:
                skip.click(timeout=5_000)
            except Exception:
                pass  # not asked
            for layer in ("staged", "linked", "golden", "marts", "published"):
                assert page.get_by_text(layer, exact=True).count() >= 2, (
                    layer
                )  # in the sidebar and as a node of the graph
            page.screenshot(path=str(shot))
        finally:
            browser.close()
