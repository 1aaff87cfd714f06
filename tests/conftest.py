from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory) -> Path:
    """Dagster runs in tests use a throwaway instance, never the project's persistent one."""
    home = tmp_path_factory.mktemp("dagster_home")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def sample_sources() -> Path:
    return SAMPLES / "sources"


@pytest.fixture(scope="session")
def sample_truth() -> Path:
    return SAMPLES / "sources_truth.csv"
