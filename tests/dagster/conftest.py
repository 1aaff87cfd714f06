from __future__ import annotations

import shutil

import pytest
from dagster import DagsterInstance
from pipeline_project import Project


@pytest.fixture(scope="session")
def published(tmp_path_factory, sample_sources, sample_truth):
    """The fixture sources run once through full_refresh: the state later tests start from."""
    with DagsterInstance.ephemeral() as instance:
        project = Project(tmp_path_factory.mktemp("published"), sample_truth, instance)
        shutil.copytree(sample_sources, project.sources)
        result = project.run("full_refresh")
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        yield project, result
