"""An incremental run on a work area an older version of the project left: read afresh, never joined.

A new version may add a column to the staged or standardised records (consent per channel did).
The work area then holds tables of the old shape, and the published copies an incremental run
keeps customers from; joining them to new rows would fail, or mix rows of two shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from assets import work_tables
from assets.resources import MARKER, PUBLISHED_FOLDER, WorkArea
from demo.generate import generate_later_export, generate_sources
from pipelines.cli import main
from tests.e2e.cli_helpers import query

CUSTOMERS, SEED = 120, 5
AS_OF = "2025-10-31"
DROPPED = "consent"  # a column this version writes and an older one did not


def _without_column(path: Path, column: str) -> bool:
    with pa.OSFile(str(path), "rb") as source:  # read into memory: the file is rewritten below
        table = ipc.open_file(source).read_all()
    if column not in table.column_names:
        return False
    older = table.drop_columns([column])
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, older.schema) as writer:
        writer.write_table(older)
    return True


def _as_an_older_version_left_it(work: Path) -> int:
    """Drops the newer column from every work table holding it, and the layout from the marker."""
    changed = sum(_without_column(p, DROPPED) for p in sorted(work.rglob("*.arrow")))
    marker_path = work / PUBLISHED_FOLDER / MARKER
    marker = json.loads(marker_path.read_text())
    marker["basis"].pop("layout", None)
    marker_path.write_text(json.dumps(marker, sort_keys=True))
    return changed


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("upgrade")
    sources, work = tmp / "sources", tmp / "work"
    generate_sources(sources, customers=CUSTOMERS, seed=SEED)
    url = f"duckdb:///{tmp}/w.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setenv("UNIFY_WORK_DIR", str(work))
        run = ["run", "--as-of", AS_OF, "--sources", str(sources), "--warehouse", url]
        assert main(run) == 0
        dropped = _as_an_older_version_left_it(work)
        generate_later_export(sources, customers=CUSTOMERS, seed=SEED, orders=20)
        code = main([*run, "--incremental"])
    return {"code": code, "dropped": dropped, "db": tmp / "w.duckdb", "work": WorkArea(path=str(work))}


def test_the_older_shape_is_not_held(upgraded):
    assert upgraded["dropped"] >= 3  # staged, canonical and the published crosswalk at least
    assert upgraded["code"] == 0


def test_the_run_read_every_table_afresh_in_this_versions_shape(upgraded):
    work = upgraded["work"]
    assert work.has(work_tables.STAGED, work_tables.CANONICAL, work_tables.PAIRS)
    assert not work.has(work_tables.CHANGED_CUSTOMERS)  # every customer resolved again: a full run
    assert DROPPED in work.read(work_tables.CROSSWALK).column_names


def test_every_staged_record_is_published_once(upgraded):
    staged = upgraded["work"].read(work_tables.STAGED).num_rows
    (published,) = query(upgraded["db"], "select count(*) from customer_source_records")[0]
    assert published == staged
