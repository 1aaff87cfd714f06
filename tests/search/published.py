"""A real published warehouse for the search tests: the pipeline run once on the sample sources,
plus a viewer, a reviewer and an admin with API tokens.

Shared by tests/search and tests/browser (both conftests import this module), so the pipeline
runs once per test session.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from search import staff
from search.staff import add_staff, issue_token
from warehouse.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SOURCES = ROOT / "tests" / "fixtures" / "samples" / "sources"
PASSWORDS = {"vera": "viewer-password-1", "rita": "reviewer-password-1", "adam": "admin-password-1"}
ROLES = {"vera": "viewer", "rita": "reviewer", "adam": "admin"}
_built: dict[str, Published] = {}


@dataclass(frozen=True)
class Published:
    directory: Path
    url: str
    model_path: Path | None  # None: the search explains with the warehouse's own model
    tokens: dict[str, str]  # username -> API token

    def copy(self, target: Path) -> str:
        """A private copy of the warehouse (for tests that publish into it); its URL."""
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.directory / "w.duckdb", target / "w.duckdb")
        return f"duckdb:///{target / 'w.duckdb'}"


def published_warehouse(base: Path) -> Published:
    if "sample" not in _built:
        _built["sample"] = _build(base)
    return _built["sample"]


def _build(tmp: Path) -> Published:
    from dagster import materialize

    from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
    from pipelines.definitions import ALL_ASSETS

    url = f"duckdb:///{tmp / 'w.duckdb'}"
    resources = {
        "sources": SourcesFolder(path=str(SAMPLE_SOURCES)),
        "warehouse": Warehouse(url=url),
        "work": WorkArea(path=str(tmp / "work")),
        "linkage": LinkageSettings(),
        "monitoring": Monitoring(),
        "run_settings": RunSettings(as_of="2025-10-31"),  # a fixed run date: reruns agree
    }
    assert materialize(ALL_ASSETS, resources=resources, raise_on_error=False).success
    # cheap argon2 parameters for the test accounts: a login then takes milliseconds, not half a
    # second (verification reads the parameters from the stored hash)
    staff._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    engine = make_engine(url)
    for name, role in ROLES.items():
        add_staff(engine, name, role, PASSWORDS[name])
    tokens = {name: issue_token(engine, name) for name in ROLES}
    return Published(tmp, url, None, tokens)


def bearer(published: Published, username: str) -> dict:
    return {"Authorization": f"Bearer {published.tokens[username]}"}


def logged_in(app, username: str) -> TestClient:
    """A browser-like client with a session for username (its CSRF token in .csrf)."""
    c = TestClient(app)
    form = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = c.post("/login", data={"username": username, "password": PASSWORDS[username], "csrf": csrf, "next": "/"})
    assert response.status_code == 200, response.text
    c.csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
    return c
