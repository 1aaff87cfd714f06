"""Stable IDs across runs, a later export filed under existing customers, incremental = full."""

from __future__ import annotations

import csv
import shutil
from collections import Counter

import duckdb
import pytest

from assets import work_tables
from assets.resources import PUBLISHED_FOLDER, WorkArea
from demo.generate import generate_later_export, generate_sources
from linkage.evaluate import pairwise_scores
from pipelines.cli import main
from sources.standardise.consent import ALL, CHANNELS, parse_statements
from warehouse import tables

CUSTOMERS, SEED = 500, 21
AS_OF = "2025-10-31"  # every run measured at one date: their marts compare row for row


def _crosswalk(path) -> dict[tuple, str]:
    with duckdb.connect(str(path)) as con:
        rows = con.execute(
            "select source_file, source_sheet, source_row, customer_id from customer_source_records"
        ).fetchall()
    return {(f, s, r): c for f, s, r, c in rows}


def _truth(path) -> dict[tuple, str]:
    with open(path, encoding="utf-8") as handle:
        return {(r["source_file"], r["sheet"], int(r["row_number"])): r["person_id"] for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("identity")
    sources = tmp / "sources"
    generate_sources(sources, customers=CUSTOMERS, seed=SEED)
    url = f"duckdb:///{tmp}/w.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL"):
            mp.setenv(name, "")  # recorded, so the values the command sets are undone afterwards
            mp.delenv(name)
        assert main(["run", "--as-of", AS_OF, "--sources", str(sources), "--warehouse", url]) == 0
        first = _crosswalk(tmp / "w.duckdb")
        assert main(["run", "--as-of", AS_OF, "--sources", str(sources), "--warehouse", url]) == 0
        second = _crosswalk(tmp / "w.duckdb")
        shutil.copyfile(tmp / "w.duckdb", tmp / "rebuilt.duckdb")
        shutil.copytree(tmp / "data" / "work", tmp / "rebuilt_work")
        truth = _truth(generate_later_export(sources, customers=CUSTOMERS, seed=SEED, orders=150))
        assert main(["run", "--as-of", AS_OF, "--incremental", "--sources", str(sources), "--warehouse", url]) == 0
        third = _crosswalk(tmp / "w.duckdb")
        changed = WorkArea(path=str(tmp / "data" / "work")).read(work_tables.CHANGED_CUSTOMERS).num_rows
        # the same incremental run on copies of the warehouse and work area, but without the last
        # published tables to start from: it resolves every customer again from the same pairs
        mp.setenv("UNIFY_WORK_DIR", str(tmp / "rebuilt_work"))
        shutil.rmtree(tmp / "rebuilt_work" / PUBLISHED_FOLDER)
        assert (
            main(
                [
                    "run",
                    "--as-of",
                    AS_OF,
                    "--incremental",
                    "--sources",
                    str(sources),
                    "--warehouse",
                    f"duckdb:///{tmp}/rebuilt.duckdb",
                ]
            )
            == 0
        )
        # the same files from scratch with the same model, for the incremental-equals-full check
        mp.setenv("UNIFY_WORK_DIR", str(tmp / "full_work"))
        assert main(["train", "--export", str(tmp / "model.json"), "--warehouse", url]) == 0
        assert (
            main(
                [
                    "run",
                    "--as-of",
                    AS_OF,
                    "--sources",
                    str(sources),
                    "--warehouse",
                    f"duckdb:///{tmp}/full.duckdb",
                    "--model",
                    str(tmp / "model.json"),
                ]
            )
            == 0
        )
        full = _crosswalk(tmp / "full.duckdb")
    return {
        "first": first,
        "second": second,
        "third": third,
        "full": full,
        "truth": truth,
        "db": tmp / "w.duckdb",
        "rebuilt": tmp / "rebuilt.duckdb",
        "changed": changed,
    }


def test_same_sources_twice_give_identical_ids(runs):
    assert runs["second"] == runs["first"]


def test_later_export_keeps_earlier_ids_and_files_returning_customers_under_them(runs):
    first, third, truth = runs["first"], runs["third"], runs["truth"]
    kept = sum(third[k] == c for k, c in first.items()) / len(first)
    assert kept >= 0.99
    id_of_person = {}
    for person, ids in _ids_by_person(first, truth).items():
        id_of_person[person] = ids.most_common(1)[0][0]
    new_rows = [k for k in third if k not in first]
    returning = [k for k in new_rows if truth[k] in id_of_person]
    assert len(returning) > 50
    filed = sum(third[k] == id_of_person[truth[k]] for k in returning) / len(returning)
    assert filed >= 0.95


def _ids_by_person(assignment, truth) -> dict[str, Counter]:
    by_person: dict[str, Counter] = {}
    for key, cid in assignment.items():
        by_person.setdefault(truth[key], Counter())[cid] += 1
    return by_person


def test_incremental_run_agrees_with_a_full_run(runs):
    agreement = pairwise_scores(runs["third"], runs["full"])
    assert agreement.f1 >= 0.995


def test_every_refusal_no_opt_in_answers_stands_in_its_channel_after_an_incremental_run(runs):
    with duckdb.connect(str(runs["db"])) as con:
        records = con.execute("select customer_id, consent from customer_source_records where consent is not null")
        statements = [(c, s) for c, cell in records.fetchall() for s in parse_statements(cell)]
        standing = set(
            con.execute("select customer_id, channel from customer_consent where status = 'opted_out'").fetchall()
        )
        everywhere = {
            c for (c,) in con.execute("select customer_id from golden_customers where marketing_opt_out").fetchall()
        }
    covers = lambda s: CHANNELS if s.channel == ALL else (s.channel,)  # noqa: E731
    opted_in = {(c, ch) for c, s in statements if s.kind == "opt_in" for ch in covers(s)}
    refused = {(c, ch) for c, s in statements if s.kind != "opt_in" for ch in covers(s)}
    assert refused - opted_in and refused - opted_in <= standing  # no opt-in anywhere in the channel: it stands
    by_customer = Counter(c for c, _ in standing)
    assert everywhere == {c for c, n in by_customer.items() if n == len(CHANNELS)}


def test_incremental_run_resolves_only_the_customers_new_records_touch(runs):
    customers = len(set(runs["third"].values()))
    assert 0 < runs["changed"] < customers / 2


# resolving only the customers new records touch publishes, row for row, what resolving every
# customer from the same pairs and the same identity state publishes
SAME_AS_FULL = {
    "customer_source_records": "*",
    "golden_customers": "*",
    "golden_field_lineage": "*",
    "match_review_queue": "* exclude (decided_at)",
    **{mart.name: "*" for mart in tables.MARTS},  # updated for the changed customers, or built whole
}


@pytest.mark.parametrize("table", sorted(SAME_AS_FULL))
def test_resolving_affected_customers_publishes_what_resolving_all_does(runs, table):
    columns = SAME_AS_FULL[table]
    with duckdb.connect(str(runs["db"]), read_only=True) as con:
        con.execute(f"attach '{runs['rebuilt']}' as rebuilt (read_only)")
        incremental_only = con.execute(
            f"select count(*) from (select {columns} from {table} except all select {columns} from rebuilt.{table})"
        ).fetchone()[0]
        full_only = con.execute(
            f"select count(*) from (select {columns} from rebuilt.{table} except all select {columns} from {table})"
        ).fetchone()[0]
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    assert rows > 0
    assert (incremental_only, full_only) == (0, 0)
