from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from published import Published, published_warehouse

from search.app import create_app
from search.store import Store

SECRET = "test-secret-key-not-for-production"


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Published:
    return published_warehouse(tmp_path_factory.mktemp("search_warehouse"))


@pytest.fixture(scope="session")
def store(published) -> Store:
    return Store(published.url)


@pytest.fixture(scope="session")
def app(store, published):
    return create_app(store, secret=SECRET, model_path=published.model_path, background_refresh=False)


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as c:
        yield c
