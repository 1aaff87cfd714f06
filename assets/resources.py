"""The resources every asset declares: where sources are, where tables go, where state lives."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pyarrow as pa
from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr
from sqlalchemy import Engine

import engines
from assets.work_tables import WorkTable
from common import arrow_files, arrow_sql
from config.settings import DEFAULTS, check_thresholds, check_value_basis, memory_limit
from warehouse.engine import make_engine
from warehouse.lock import DEFAULT_WAIT_SECONDS, run_lock


class SourcesFolder(ConfigurableResource):
    """The sources folder (shop/, sales/, service/, mapped/)."""

    path: str = DEFAULTS.sources
    # a file changed less than this ago, and still changing since the sensor's last look, is
    # being copied: the sensor waits for it
    settle_seconds: float = 60.0

    def root(self) -> Path:
        return Path(self.path)


class Warehouse(ConfigurableResource):
    """The warehouse by SQLAlchemy URL: published tables and state.

    A run that uses it holds the warehouse's run lock (warehouse/lock.py) from its first step to
    its last: a second run on the same warehouse waits up to run_lock_wait seconds, then fails."""

    url: str = DEFAULTS.warehouse
    run_lock_wait: float = DEFAULT_WAIT_SECONDS
    # the secret erased people's tombstones are hashed with (sources/erasure.py): runs honour them with it
    tombstone_key: str = DEFAULTS.tombstone_key

    def engine(self) -> Engine:
        return make_engine(self.url)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[Warehouse]:
        with run_lock(self.url, self.run_lock_wait, on_wait=context.log.warning):
            with super().yield_for_execution(context) as resource:
                yield resource


SUFFIX = ".arrow"
PUBLISHED_FOLDER = "published"
SPILL_FOLDER = "spill"  # where DuckDB writes what does not fit in memory_limit
MARKER = "marker.json"


class WorkArea(ConfigurableResource):
    """Intermediate tables between assets (staged, canonical, pairs), as Arrow IPC files.

    Uncompressed and memory-mapped: writing a million-record table takes a fraction of a second
    and reading it costs nothing until a column is used (Parquet took seconds each way, several
    times a run). They are derived data: deleting the folder loses nothing a run cannot rebuild.

    It also bounds the run's memory: every DuckDB database the steps open holds at most
    memory_limit and spills the rest to spill/ in the folder (common.arrow_sql.limit)."""

    path: str = DEFAULTS.work_dir
    memory_limit: str = DEFAULTS.memory_limit  # a DuckDB size; empty: half the machine's memory

    def setup_for_execution(self, context: InitResourceContext) -> None:
        arrow_sql.limit(memory_limit(self.memory_limit), Path(self.path) / SPILL_FOLDER)

    def file(self, table: WorkTable) -> Path:
        """Where a work table is kept (an Arrow IPC file: pyarrow.ipc / DuckDB's arrow reader)."""
        return Path(self.path) / f"{table.name}{SUFFIX}"

    def write(self, table: WorkTable, data: pa.Table) -> None:
        self.write_parts(table, data.schema, [data])

    def write_parts(self, table: WorkTable, schema: pa.Schema, parts: Iterable[pa.Table]) -> None:
        """One table written part by part as the parts come: it is never whole in memory."""
        arrow_files.write_parts(self.file(table), schema, parts)

    def append(self, table: WorkTable, parts: Iterable[pa.Table]) -> None:
        """Rows added at the end of a work table the area holds, without writing it again (a
        segment of its own: arrow_files.append_parts)."""
        arrow_files.append_parts(self.file(table), parts)

    def write_after(self, table: WorkTable, before: pa.Table | None, data: pa.Table) -> None:
        """Write a work table that may begin with the area's table as this run read it (`before`):
        then only the rows after it are written, appended."""
        if before is not None and arrow_files.extends(data, before):
            self.append(table, [data.slice(before.num_rows)])
        else:
            self.write(table, data)

    def write_together(self, tables: list[WorkTable], parts: Iterable[tuple[pa.Table, ...]]) -> None:
        """Several tables written part by part from one stream: a part of each per item, the first
        item's giving their schemas."""
        arrow_files.write_together([self.file(t) for t in tables], parts)

    def read(self, table: WorkTable, columns: list[str] | None = None) -> pa.Table:
        return arrow_files.read_table(self.file(table), columns)

    def has(self, *tables: WorkTable) -> bool:
        """Whether the work area holds these tables, each in the shape this code writes it."""
        return all(self._holds(table) for table in tables)

    def _holds(self, table: WorkTable) -> bool:
        path = self.file(table)
        if not path.is_file():
            return False
        return table.schema is None or arrow_files.file_schema(path).equals(table.schema)

    def delete(self, table: WorkTable) -> None:
        path = self.file(table)
        for file in arrow_files.table_files(path) if path.is_file() else []:
            file.unlink(missing_ok=True)

    def write_json(self, name: str, value: dict) -> None:
        target = Path(self.path) / f"{name}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value, sort_keys=True))

    def read_json(self, name: str) -> dict | None:
        path = Path(self.path) / f"{name}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    # The last published versions of some work tables, kept beside the run's own: an incremental
    # run starts from them. Hard links, so keeping them copies nothing.

    def keep_published(self, tables: list[WorkTable], marker: dict) -> None:
        """Keep these work tables as the published ones, with a marker saying which run published them."""
        folder = Path(self.path) / PUBLISHED_FOLDER
        incoming = folder.with_name(PUBLISHED_FOLDER + ".tmp")
        shutil.rmtree(incoming, ignore_errors=True)
        incoming.mkdir(parents=True)
        for source in (file for table in tables for file in arrow_files.table_files(self.file(table))):
            try:
                os.link(source, incoming / source.name)
            except OSError:  # a file system without hard links
                shutil.copyfile(source, incoming / source.name)
        (incoming / MARKER).write_text(json.dumps(marker, sort_keys=True))
        shutil.rmtree(folder, ignore_errors=True)
        incoming.rename(folder)

    def published_marker(self) -> dict | None:
        marker = Path(self.path) / PUBLISHED_FOLDER / MARKER
        return json.loads(marker.read_text()) if marker.is_file() else None

    def has_published(self, table: WorkTable) -> bool:
        return self._published_file(table).is_file()

    def read_published(self, table: WorkTable) -> pa.Table:
        return arrow_files.read_table(self._published_file(table))

    def _published_file(self, table: WorkTable) -> Path:
        return Path(self.path) / PUBLISHED_FOLDER / self.file(table).name


class LinkageSettings(ConfigurableResource):
    """Which linkage model scores and the decision thresholds. The model is the warehouse's own
    (warehouse/models.py); model_path names a model file to use instead, imported into the
    warehouse as a new version when it differs from the current one, and never trained."""

    # empty: the warehouse's current model, trained when it has none or it no longer fits
    model_path: str = DEFAULTS.model
    match_threshold: float = DEFAULTS.match_threshold  # pairs at or above this join one customer
    review_floor: float = DEFAULTS.review_floor  # pairs from here up to the threshold go to the review queue
    engine: str = DEFAULTS.engine  # where the heavy stages run: duckdb, or spark for data beyond one machine
    spark_master: str = DEFAULTS.spark_master
    max_cluster_size: int = 200  # a bigger cluster is an over-merge: the golden checks block the publish

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # thresholds set in the Launchpad are refused as the settings are: before any work
        check_thresholds(self.match_threshold, self.review_floor)

    def path(self) -> Path | None:
        return Path(self.model_path) if self.model_path else None

    def stages(self) -> engines.Stages:
        """Where the heavy stages run: this machine, or Spark (engines)."""
        return engines.stages(self.engine, self.spark_master)


class Monitoring(ConfigurableResource):
    """What the pipeline's owners watch: the run reports, and the limits of the drift and accuracy checks."""

    reports_dir: str = DEFAULTS.reports_dir
    # a truth CSV (source_file, sheet, row_number, person_id); empty: accuracy is not checked
    truth_path: str = DEFAULTS.truth
    min_precision: float = 0.95
    min_recall: float = 0.90
    match_rate_drift: float = 0.10  # largest change of a source's match rate (a share) since the last published run
    # largest share of the staged records, and of the golden customers, a run may lose against the
    # last publish without RunSettings.allow_shrink (a removed or truncated export)
    max_shrink: float = 0.05
    # drift warns by default: a genuine change (a big new export) would otherwise hold every
    # later run back until someone raises the limit
    drift_blocks_publish: bool = False
    public_url: str = DEFAULTS.public_url  # where `unify serve` is reached: the report's link in the run's metadata

    def reports(self) -> Path:
        return Path(self.reports_dir)

    def truth(self) -> Path | None:
        return Path(self.truth_path) if self.truth_path else None


class RunSettings(ConfigurableResource):
    """What one run is asked to do: the date it is measured at, and whether it may publish fewer
    records or customers than the last publish. `unify run --as-of DATE --allow-shrink` sets
    them; in the UI, the Launchpad's `resources: {run_settings: {config: {...}}}`."""

    as_of: str = ""  # ISO date: the run's 'today' (marts, future-event flags); empty: the date the run starts
    allow_shrink: bool = False  # publish even when records or customers shrank beyond Monitoring.max_shrink
    value_basis: str = DEFAULTS.value_basis  # what value tiers rank buyers by: spend or predicted (value)
    _started_on: date | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._started_on = date.today()  # read once: every step of a run past midnight has the same date
        self.today()  # a malformed as_of fails the run before any work
        check_value_basis(self.value_basis)

    def tiers_by_prediction(self) -> bool:
        """Asked to rank value tiers by predicted value (marts.value.tiers_by_prediction decides)."""
        return self.value_basis == "predicted"

    def today(self) -> date:
        if self.as_of:
            return date.fromisoformat(self.as_of)
        return self._started_on or date.today()
