"""The last published version of the warehouse, read in one consistent read.

The search never keeps a warehouse connection open: DuckDB lets one process write its file only
while no other process has it open, and the pipeline must be able to publish at any time. So a
snapshot is read in one short read-only transaction and then answers every search and customer
page until the next run publishes.

Its tables are not the process's memory: each is written, in customer order, to an Arrow file in
the temporary folder (TMPDIR: put it on a disk, not tmpfs) and mapped, and the file is unlinked at
once, so it goes with the snapshot and nothing stays behind. A lookup reads a few pages; the
kernel keeps the busy ones cached and drops the others when memory is short (ten million records
are about 30 GB as tables held in memory, more than a small server has).
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from common import arrow_files, arrow_sql
from config.settings import memory_limit
from search.branches import Branch, BranchError, Scope, make_branch
from search.index import SearchIndex
from search.keys import KIND_FIELD, KIND_LABEL
from search.retry import WarehouseUnavailable
from warehouse.engine import make_engine

logger = logging.getLogger("unify.search")
# table -> (customer column, order within a customer)
PUBLISHED = {
    "golden_customers": ("customer_id", ()),
    "customer_source_records": ("customer_id", ("source_file", "source_sheet", "source_row")),
}
OPTIONAL = {
    "golden_field_lineage": ("customer_id", ("field",)),
    "customer_orders": ("customer_id", ("ordered_at",)),
    "customer_service_tickets": ("customer_id", ("created_at",)),
    "customer_salespeople": ("customer_id", ("salesperson",)),
    "customer_value": ("customer_id", ()),
    "customer_consent": ("customer_id", ("channel",)),
    "marketing_audience": ("customer_id", ("channel",)),
    "marketing_audience_channels": ("customer_id", ("channel",)),
    "marketing_suppressions": ("customer_id", ("reason",)),
    "upcoming_birthdays": ("customer_id", ()),
    "customer_id_history": ("customer_id", ("at",)),
}
SNAPSHOT_FILE = "unify-snapshot-"  # the temporary files' names: this, the pid, a random part
BATCH_ROWS = 100_000  # rows a snapshot table is written in at a time
LATEST_RUN_SQL = (
    "select run_id, finished_at from pipeline_runs order by finished_at desc nulls last, run_id desc limit 1"
)
ACCOUNTS_SQL = "select * from staff_accounts"  # every column: one made before branches has none
BRANCHES_SQL = "select name, salespeople, source_systems from staff_branches"
TOKENS_SQL = "select token_hash, username from api_tokens where not revoked"
CURRENT_MODEL_SQL = "select version, model from linkage_models order by saved_at desc, version desc limit 1"
# erasures done (warehouse/subjects.py): a new one reloads the snapshot, so an erased person is never served
ERASURES_SQL = "select count(*) as n from subject_requests where kind = 'erase' and result = 'done'"


@dataclass(frozen=True)
class Control:
    """What is checked every few seconds: the latest run, and who may log in."""

    run_id: str | None = None
    accounts: dict[str, dict] = field(default_factory=dict)  # username -> role, password_hash, disabled
    tokens: dict[str, str] = field(default_factory=dict)  # SHA-256 of a live token -> username
    branches: dict[str, Branch] = field(default_factory=dict)  # defined on the admin page


class Grouped:
    """A table's rows by customer: the table in key order (read_snapshot reads it so), its rows
    found by binary search over the column itself and put in `order` one customer at a time."""

    def __init__(self, table: pa.Table, key: str, order: tuple[str, ...] = ()):
        self.table = table
        self.key = key
        self.order = [(c, "ascending") for c in order if c in table.column_names]
        # not a copy of the keys as Python strings: at ten million records they were 5 GB
        self._keys = _Values(table[key])

    def rows(self, value: str) -> list[dict]:
        lo = bisect.bisect_left(self._keys, value)
        hi = bisect.bisect_right(self._keys, value, lo)
        rows = self.table.slice(lo, hi - lo)
        return (rows.sort_by(self.order) if self.order and rows.num_rows > 1 else rows).to_pylist()


class _Values(Sequence):
    """A column's values one at a time, for bisect: about 25 reads find a key among ten million."""

    def __init__(self, column: pa.ChunkedArray):
        self.column = column

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, i: int):
        return self.column[i].as_py()


@dataclass(frozen=True)
class Snapshot:
    run_id: str | None
    published_at: datetime | None
    golden: pa.Table  # sorted by customer_id: row number = cidx of the index
    customer_ids: np.ndarray
    recency: np.ndarray  # last_seen_at per cidx (epoch µs): breaks score ties, recent first
    records: Grouped
    optional: dict[str, Grouped]  # only the tables this warehouse has
    merged_into: dict[str, str]  # retired ID -> the customer that now holds its records
    index: SearchIndex
    tables: frozenset[str] = frozenset()  # every table the warehouse had at this read
    erasures: int = 0  # erasures done when it was read (ERASURES_SQL)
    # scope -> which customers (by cidx) it sees: made on first use, a few per snapshot
    _visible: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def empty(cls) -> Snapshot:
        golden = pa.table({"customer_id": pa.array([], pa.string())})
        return cls(
            None,
            None,
            golden,
            np.array([], object),
            np.array([], np.int64),
            Grouped(golden, "customer_id"),
            {},
            {},
            SearchIndex.empty(),
        )

    @classmethod
    def from_tables(
        cls, run: tuple | None, tables: dict[str, pa.Table], present: frozenset[str] = frozenset()
    ) -> Snapshot:
        """From the tables as read_snapshot reads them: each in customer order, without rows of no customer."""
        if "golden_customers" not in tables or "customer_source_records" not in tables:
            return dataclasses.replace(cls.empty(), tables=present)
        golden = tables["golden_customers"]
        records = Grouped(tables["customer_source_records"], *PUBLISHED["customer_source_records"])
        optional = {name: Grouped(tables[name], *spec) for name, spec in OPTIONAL.items() if name in tables}
        merged_into = _merged_into(tables.get("customer_id_history"))
        return cls(
            run_id=run[0] if run else None,
            published_at=run[1] if run else None,
            golden=golden,
            customer_ids=golden["customer_id"].to_numpy(),
            recency=_recency(golden),
            records=records,
            optional=optional,
            merged_into=merged_into,
            index=SearchIndex.build(golden["customer_id"], records.table, merged_into),
            tables=present,
        )

    @property
    def customers(self) -> int:
        return self.golden.num_rows

    def cidx(self, customer_id: str) -> int | None:
        i = int(np.searchsorted(self.customer_ids, customer_id))
        return i if i < len(self.customer_ids) and self.customer_ids[i] == customer_id else None

    def customer(self, customer_id: str) -> dict | None:
        i = self.cidx(customer_id)
        return self.golden.slice(i, 1).to_pylist()[0] if i is not None else None

    def visible(self, scope: Scope | None) -> np.ndarray | None:
        """Per cidx, whether an account of this scope sees the customer (a record of its branches);
        None for an unscoped account."""
        if scope is None:
            return None
        mask = self._visible.get(scope)
        if mask is None:
            mask = np.zeros(len(self.customer_ids), bool)
            records = self.records.table
            ids = records[self.records.key].filter(scope.records_mask(records)).to_numpy(zero_copy_only=False)
            if len(ids) and len(mask):
                cidx = np.minimum(np.searchsorted(self.customer_ids, ids), len(mask) - 1)
                mask[cidx[self.customer_ids[cidx] == ids]] = True
            if len(self._visible) > 64:  # scopes are few; a bound all the same
                self._visible.clear()
            self._visible[scope] = mask
        return mask

    def sees(self, scope: Scope | None, customer_id: str) -> bool:
        """Whether an account of this scope may open the customer (False for an unknown one)."""
        i = self.cidx(customer_id)
        return i is not None and (scope is None or bool(self.visible(scope)[i]))

    def search(self, text: str, limit: int = 20, scope: Scope | None = None) -> list[dict]:
        """Customers matching the query, best first, each with what matched; for a scope, only the
        customers it sees (left out before the limit, so a page is as full as the matches allow)."""
        ranked = self.index.search(text, limit, self.visible(scope), self.recency)
        # a row each: a take on the mapped golden table would first join its chunks (47 ms at
        # three million customers)
        return [_result(self.golden.slice(hit.cidx, 1).to_pylist()[0], hit) for hit in ranked]


RESULT_FIELDS = (
    "customer_id",
    "display_name",
    "name_pinyin",
    "phone",
    "email",
    "wechat",
    "city",
    "source_systems",
    "source_record_count",
    "last_seen_at",
)


def _result(row: dict, hit) -> dict:
    matched = [
        {"kind": m.kind, "label": KIND_LABEL[m.kind], "field": KIND_FIELD[m.kind], "value": m.value}
        for m in hit.matches
    ]
    return {**{f: row.get(f) for f in RESULT_FIELDS}, "score": round(hit.score, 1), "matched": matched}


def _recency(golden: pa.Table) -> np.ndarray:
    if "last_seen_at" not in golden.column_names:
        return np.zeros(golden.num_rows, np.int64)
    seen = pc.cast(golden["last_seen_at"], pa.timestamp("us")).cast(pa.int64())
    return np.asarray(seen.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _merged_into(history: pa.Table | None) -> dict[str, str]:
    if history is None or "event" not in history.column_names:
        return {}
    merged = history.filter(pc.equal(history["event"], "merged"))
    return {row["customer_id"]: row["related_customer_id"] for row in merged.sort_by("at").to_pylist()}


# ---------------------------------------------------------------- reading the warehouse


def read_control(url: str) -> Control:
    with _reading(url) as reader:
        run = reader.latest_run()
        accounts = (
            {r["username"]: r for r in reader.query(ACCOUNTS_SQL).to_pylist()}
            if "staff_accounts" in reader.tables
            else {}
        )
        tokens = (
            {r["token_hash"]: r["username"] for r in reader.query(TOKENS_SQL).to_pylist()}
            if "api_tokens" in reader.tables
            else {}
        )
        branches = _branches(reader.query(BRANCHES_SQL).to_pylist()) if "staff_branches" in reader.tables else {}
    return Control(run[0] if run else None, accounts, tokens, branches)


def _branches(rows: list[dict]) -> dict[str, Branch]:
    """The admin page's branches; a row that no longer makes a branch is left out (and logged)."""
    branches = {}
    for row in rows:
        try:
            members = [json.loads(row[kind] or "[]") for kind in ("salespeople", "source_systems")]
            branches[row["name"]] = make_branch(row["name"], *members)
        except (BranchError, ValueError, TypeError):
            logger.error("branch row %r of staff_branches is not a branch: left out", row["name"])
    return branches


def read_snapshot(url: str) -> Snapshot:
    """Every table the search shows, from one read transaction."""
    # a killed server's files, caught between writing and unlinking them
    arrow_sql.remove_abandoned(Path(tempfile.gettempdir()), SNAPSHOT_FILE)
    with _reading(url) as reader:
        run, tables, erasures = reader.latest_run(), snapshot_tables(reader), _erasures(reader)
    return dataclasses.replace(Snapshot.from_tables(run, tables, frozenset(reader.tables)), erasures=erasures)


def snapshot_tables(reader: _Reader) -> dict[str, pa.Table]:
    """The tables the search shows that the warehouse has, as Snapshot.from_tables takes them."""
    return {
        name: reader.mapped(f'select * from "{name}" where "{key}" is not null order by {reader.binary(key)}')
        for name, (key, _) in {**PUBLISHED, **OPTIONAL}.items()
        if name in reader.tables
    }


def read_erasures(url: str) -> int:
    """How many erasures the warehouse has done: the store compares it with its snapshot's."""
    with _reading(url) as reader:
        return _erasures(reader)


def _erasures(reader) -> int:
    return reader.query(ERASURES_SQL).to_pylist()[0]["n"] if "subject_requests" in reader.tables else 0


def read_current_model(url: str) -> dict | None:
    """The warehouse's current linkage model (version and Splink model); None before the first run."""
    with _reading(url) as reader:
        rows = reader.query(CURRENT_MODEL_SQL).to_pylist() if "linkage_models" in reader.tables else []
    return {"version": rows[0]["version"], "splink": json.loads(rows[0]["model"])} if rows else None


def read_resolve_basis(url: str) -> dict | None:
    """What the latest published run resolved with, in one read: its run_id, thresholds (null for a
    run published before they were recorded) and model (the version that scored it, else the
    current one) with the fields it was trained on. None before the first run."""
    with _reading(url) as reader:
        if "pipeline_runs" not in reader.tables or "linkage_models" not in reader.tables:
            return None
        runs = reader.query(LATEST_RUN_SQL.replace("select run_id, finished_at", "select *")).to_pylist()
        if not runs:
            return None
        run = runs[0]
        version = str(run.get("model_version") or "").replace("'", "''")
        rows = reader.query(f"select * from linkage_models where version = '{version}'").to_pylist()
        rows = rows or reader.query(CURRENT_MODEL_SQL.replace("version, model", "*")).to_pylist()
    if not rows:
        return None
    profile = json.loads(rows[0]["data_profile"]) if rows[0].get("data_profile") else None
    return {
        "run_id": run["run_id"],
        "match_threshold": run.get("match_threshold"),
        "review_floor": run.get("review_floor"),
        "model_version": rows[0]["version"],
        "splink": json.loads(rows[0]["model"]),
        "fields": profile["fields"] if profile else None,
    }


class _Reader:
    def __init__(self, tables: set[str], query, stream=None, collation: str = ""):
        self.tables = tables
        self.query = query  # sql -> pa.Table
        # sql -> pa.RecordBatchReader; without one, the query's table whole
        self.stream = stream or (lambda sql: _stream_of(query(sql)))
        self.collation = collation  # what orders text by its bytes, as numpy compares str

    def binary(self, column: str) -> str:
        return f'"{column}"{self.collation}'

    def mapped(self, sql: str) -> pa.Table:
        """The query's result as a table mapped from a file of its own, unlinked once mapped."""
        stream = self.stream(sql)
        path = arrow_files.fresh_path(prefix=f"{SNAPSHOT_FILE}{os.getpid()}-")
        try:
            arrow_files.write_parts(path, stream.schema, (pa.Table.from_batches([b]) for b in stream))
            return arrow_files.read_table(path)
        finally:
            path.unlink(missing_ok=True)

    def latest_run(self) -> tuple | None:
        if "pipeline_runs" not in self.tables:
            return None
        rows = self.query(LATEST_RUN_SQL).to_pylist()
        return (rows[0]["run_id"], rows[0]["finished_at"]) if rows else None


@contextmanager
def _reading(url: str) -> Iterator[_Reader]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "duckdb" and parsed.database not in (None, "", ":memory:"):
        with _reading_duckdb(Path(parsed.database)) as reader:
            yield reader
    else:
        with _reading_sqlalchemy(url) as reader:
            yield reader


@contextmanager
def _reading_duckdb(path: Path) -> Iterator[_Reader]:
    """Read-only, straight to Arrow: the fast path for the embedded warehouse."""
    if not path.is_file():
        yield _Reader(set(), None)
        return
    try:
        # its sorts under the machine's half, as a run's (config.settings.memory_limit)
        con = duckdb.connect(str(path), read_only=True, config={"memory_limit": f"{memory_limit('')}B"})
    except duckdb.Error as exc:  # most often: a pipeline run holds the file's write lock
        raise WarehouseUnavailable(f"cannot open the warehouse file now: {type(exc).__name__}") from exc
    try:
        con.execute("begin transaction")
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        yield _Reader(
            tables,
            lambda sql: con.sql(sql).to_arrow_table(),
            lambda sql: con.sql(sql).to_arrow_reader(BATCH_ROWS),
        )
        con.execute("commit")
    finally:
        con.close()


@contextmanager
def _reading_sqlalchemy(url: str) -> Iterator[_Reader]:
    """Any other warehouse (PostgreSQL): one repeatable-read transaction through SQLAlchemy."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                tables = set(inspect(conn).get_table_names())
                collation = ' collate "C"' if conn.dialect.name == "postgresql" else ""
                yield _Reader(tables, lambda sql: _to_arrow(conn.exec_driver_sql(sql)), collation=collation)
    except DBAPIError as exc:
        raise WarehouseUnavailable(f"cannot read the warehouse now: {type(exc.orig).__name__}") from exc
    finally:
        engine.dispose()


def _stream_of(table: pa.Table) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())


def _to_arrow(result) -> pa.Table:
    columns = list(result.keys())
    rows = result.fetchall()
    return pa.table({c: pa.array([row[i] for row in rows]) for i, c in enumerate(columns)})
