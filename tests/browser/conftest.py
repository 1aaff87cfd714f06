from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "search"))  # the shared warehouse fixture

from live_server import serving  # noqa: E402
from published import Published, published_warehouse  # noqa: E402

from search.app import create_app  # noqa: E402
from search.store import Store  # noqa: E402

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
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Published:
    return published_warehouse(tmp_path_factory.mktemp("search_warehouse"))


@pytest.fixture(scope="session")
def server(published, tmp_path_factory):
    """The web application on a free local port, served by uvicorn in a thread, on its own copy of
    the warehouse (the browser decides review pairs)."""
    url = published.copy(tmp_path_factory.mktemp("browser_warehouse"))
    app = create_app(
        Store(url), secret="browser-test-secret", model_path=published.model_path, background_refresh=False
    )
    with serving(app) as address:
        yield address


@pytest.fixture(
    scope="module"
)  # closed after the browser tests: its event loop would block other sync Playwright users
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
