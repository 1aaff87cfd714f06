"""A throwaway project (sources, work area, model, warehouse, reports) the jobs run on in process,
configured through the environment exactly as `unify run` configures the Definitions."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.definitions import build_definitions

GIANT_RECORDS = 250  # above LinkageSettings.max_cluster_size (200)


@dataclass(frozen=True)
class Project:
    root: Path
    truth: Path
    instance: DagsterInstance  # in-memory: the runs' events are read back, never kept

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def env(self) -> dict[str, str]:
        return {
            "UNIFY_SOURCES": str(self.sources),
            "UNIFY_WAREHOUSE": f"duckdb:///{self.root}/warehouse.duckdb",
            "UNIFY_WORK_DIR": str(self.root / "work"),
            "UNIFY_MODEL": "",  # the warehouse's own model
            "UNIFY_REPORTS_DIR": str(self.reports),
            "UNIFY_TRUTH": str(self.truth),
        }

    def run(self, job: str, run_config: dict | None = None):
        # resources read EnvVars when the run starts, so the environment must hold until it ends
        with pytest.MonkeyPatch.context() as mp:
            for name, value in self.env().items():
                mp.setenv(name, value)
            return (
                build_definitions()
                .resolve_job_def(job)
                .execute_in_process(instance=self.instance, raise_on_error=False, run_config=run_config)
            )

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.root / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()

    def clone(self, root: Path) -> Project:
        """A copy of this project's state (sources, work area, model, warehouse) to change freely."""
        shutil.copytree(self.root, root)
        return Project(root, self.truth, self.instance)


def write_giant_cluster(sources: Path, records: int = GIANT_RECORDS) -> Path:
    """One salesperson's sheet in which the same person (name, phone, email, birthday) appears on
    every row: a cluster the linkage must form, too big to be one real customer."""
    rows = ["Name,Mobile,Email,Company,City,Birthday,Last contact,Do not contact,Notes"]
    rows += [
        f"王伟,13912345678,wang.wei.88@163.com,,北京市,06/05/1988,{1 + i % 28:02d}/{1 + i % 12:02d}/2024,,"
        for i in range(records)
    ]
    path = sources / "sales" / "批量导入.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
