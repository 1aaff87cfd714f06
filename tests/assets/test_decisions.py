"""People's decisions are state: they survive a full rebuild and change the result."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines.cli import main


def _customers(tmp) -> dict[tuple, str]:
    with duckdb.connect(str(tmp / "w.duckdb")) as con:
        rows = con.execute(
            "select source_file, source_sheet, source_row, customer_id from customer_source_records"
        ).fetchall()
    return {(f, s, r): c for f, s, r, c in rows}


@pytest.fixture()
def warehouse(tmp_path, sample_sources, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL"):
        monkeypatch.delenv(name, raising=False)
    url = f"duckdb:///{tmp_path}/w.duckdb"

    def run(full_rebuild: bool = False) -> None:
        if full_rebuild:  # derived data go; state in the warehouse (decisions, the model) stays
            shutil.rmtree(tmp_path / "data", ignore_errors=True)
        assert main(["run", "--sources", str(sample_sources), "--warehouse", url]) == 0

    run()
    return tmp_path, url, run


def _pending_pair(tmp):
    with duckdb.connect(str(tmp / "w.duckdb")) as con:
        return con.execute(
            """select pair_id, left_source_file, left_source_sheet, left_source_row, right_source_file, right_source_sheet, right_source_row
               from match_review_queue where status = 'pending' and left_customer_id <> right_customer_id
               order by match_probability desc limit 1"""
        ).fetchone()


def test_review_decision_same_survives_a_full_rebuild(warehouse, capsys):
    tmp, url, run = warehouse
    pair = _pending_pair(tmp)
    assert pair, "the sample set has borderline pairs kept apart"
    left, right = tuple(pair[1:4]), tuple(pair[4:7])
    assert _customers(tmp)[left] != _customers(tmp)[right]
    assert main(["review", "decide", pair[0], "same", "--warehouse", url, "--by", "tester"]) == 0
    run(full_rebuild=True)
    after = _customers(tmp)
    assert after[left] == after[right]
    with duckdb.connect(str(tmp / "w.duckdb")) as con:
        assert con.execute(
            "select status, decided_by from match_review_queue where pair_id = ?", [pair[0]]
        ).fetchone() == ("same", "tester")


def test_split_and_merge_are_applied_on_the_next_run(warehouse):
    tmp, url, run = warehouse
    before = _customers(tmp)
    sizes: dict[str, list] = {}
    for key, cid in before.items():
        sizes.setdefault(cid, []).append(key)
    big = max(sizes, key=lambda c: (len(sizes[c]), c))
    moved = sorted(sizes[big])[0]
    key_text = f"{moved[0]}:{moved[1]}:{moved[2]}"
    assert main(["split", big, "--records", key_text, "--warehouse", url]) == 0
    singles = sorted(c for c, keys in sizes.items() if len(keys) == 1)[:2]
    assert main(["merge", *singles, "--warehouse", url]) == 0
    run()
    after = _customers(tmp)
    assert after[moved] != after[sorted(sizes[big])[1]]
    assert after[sorted(sizes[big])[1]] == big  # the larger part keeps the ID
    assert after[sizes[singles[0]][0]] == after[sizes[singles[1]][0]]
    with duckdb.connect(str(tmp / "w.duckdb")) as con:
        events = dict(con.execute("select event, count(*) from customer_id_history group by 1").fetchall())
    assert events.get("split", 0) >= 1 and events.get("merged", 0) >= 1


def test_unknown_pair_is_a_one_line_error(warehouse, capsys):
    _, url, _ = warehouse
    assert main(["review", "decide", "nope", "same", "--warehouse", url]) == 2
    assert "no pair 'nope'" in capsys.readouterr().err
