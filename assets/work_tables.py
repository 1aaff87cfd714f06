"""The work tables: what the pipeline's assets hand each other, each named once.

A work table is an Arrow file in the work area (assets.resources.WorkArea). One asset writes it
(`writer`); the assets that read it depend on that asset (`writers_of`). Some become a warehouse
table when the run publishes (`published_as`): the crosswalk is the work table `crosswalk`, written
by the asset golden/customer_source_records and published as the table customer_source_records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pyarrow as pa
from dagster import AssetKey
from sqlalchemy import Table

from assets import keys
from linkage.pairs import PAIR_SCHEMA
from marts.value_model import PREDICTION_SCHEMA
from sources.incremental import READ_FILES_SCHEMA
from sources.ingest import FILE_REPORT_SCHEMA
from sources.schema import CANONICAL_SCHEMA, QUARANTINE_SCHEMA, STAGED_SCHEMA
from warehouse import tables


@dataclass(frozen=True)
class WorkTable:
    name: str  # its file in the work area: <name>.arrow
    writer: AssetKey
    holds: str
    published_as: Table | None = None
    # the shape the code writes: an incremental run starts only from a stored table of this shape,
    # so a work area left by an older version of the project is read afresh, not joined to new rows
    schema: pa.Schema | None = None


STAGED = WorkTable(
    "staged", keys.STAGED, "every source row that could be staged, in the staged shape", schema=STAGED_SCHEMA
)
QUARANTINED = WorkTable(
    "quarantined",
    keys.STAGED,
    "rows and files that could not be staged, each with its reason",
    tables.quarantined_records,
    QUARANTINE_SCHEMA,
)
FILE_REPORTS = WorkTable(
    "file_reports", keys.STAGED, "one report per file read: its format, counts and error", schema=FILE_REPORT_SCHEMA
)
REREAD_FILES = WorkTable(
    "reread_files",
    keys.STAGED,
    "the files this run read (new or changed ones when incremental)",
    schema=READ_FILES_SCHEMA,
)
CANONICAL = WorkTable(
    "canonical", keys.CANONICAL, "staged records with their standardised fields and record ids", schema=CANONICAL_SCHEMA
)
LINK_RECORDS = WorkTable(
    "link_records",
    keys.MODEL,
    "the link columns of the run's canonical records (linkage.features.link_records), built once a run",
)
LINK_VALUES = WorkTable(
    "link_values",
    keys.MODEL,
    "the link columns before generic values are blanked (linkage.features.link_values): the next "
    "run of the same record numbering computes only its new records'",
)
PAIRS = WorkTable(
    "pairs", keys.PAIRS, "scored candidate pairs, and the pairs that are one customer by definition", schema=PAIR_SCHEMA
)
SCORED_RECORDS = WorkTable("scored_records", keys.PAIRS, "the record ids the last scoring saw")
CROSSWALK = WorkTable(
    "crosswalk", keys.CROSSWALK, "every record's customer, by lineage key", tables.customer_source_records
)
REVIEW_QUEUE = WorkTable(
    "review_queue", keys.CROSSWALK, "borderline pairs for people to decide", tables.match_review_queue
)
ID_HISTORY = WorkTable("id_history", keys.CROSSWALK, "this run's customer id events: born, merged, split, retired")
CHANGED_CUSTOMERS = WorkTable("changed_customers", keys.CROSSWALK, "the customers an incremental run changed")
GOLDEN = WorkTable("golden", keys.GOLDEN, "one golden row per customer", tables.golden_customers)
GOLDEN_FIELD_LINEAGE = WorkTable(
    "golden_field_lineage", keys.GOLDEN, "the record each golden field came from", tables.golden_field_lineage
)
VALUE_PREDICTIONS = WorkTable(
    "value_predictions",
    keys.VALUE_MODEL,
    "the value model's predictions per buying customer (empty: no model could run)",
    schema=PREDICTION_SCHEMA,
)


def mart(table: Table) -> WorkTable:
    """The work table of a customer-360 mart: named as the warehouse table it is published as."""
    return WorkTable(table.name, AssetKey(["marts", table.name]), f"the {table.name} mart", table)


MARTS = tuple(mart(t) for t in tables.MARTS)
MART_SCOPES = WorkTable(
    "mart_scopes",
    MARTS[0].writer,  # the marts are one step
    "per mart an incremental run updated customer by customer: the customers whose rows may differ from the "
    "last published ones (absent after a whole build)",
)
ALL = (
    STAGED, QUARANTINED, FILE_REPORTS, REREAD_FILES, CANONICAL, LINK_RECORDS, LINK_VALUES, PAIRS, SCORED_RECORDS, CROSSWALK,
    REVIEW_QUEUE, ID_HISTORY, CHANGED_CUSTOMERS, GOLDEN, GOLDEN_FIELD_LINEAGE, VALUE_PREDICTIONS, *MARTS, MART_SCOPES,
)  # fmt: skip
BY_NAME = {table.name: table for table in ALL}
PUBLISHED = tuple(table for table in ALL if table.published_as is not None)


def layout_digest(work_tables: tuple[WorkTable, ...]) -> str:
    """A digest of the shapes of these tables: their declared Arrow schemas and published columns."""
    shapes = [
        (t.name, str(t.schema), [c.name for c in t.published_as.columns] if t.published_as is not None else [])
        for t in work_tables
    ]
    return hashlib.sha256(json.dumps(shapes).encode()).hexdigest()[:16]


LAYOUT = layout_digest(ALL)


def writers_of(*read: WorkTable) -> list[AssetKey]:
    """The assets that write these work tables, each once: what a reader of them depends on."""
    return list(dict.fromkeys(table.writer for table in read))
