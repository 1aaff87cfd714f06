"""The whole job through the `unify` command line on generated sources with known truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate_sources
from pipelines.cli import main

# Floors this pipeline reliably clears on generated data with every mess switched on (measured:
# precision 0.999-1.000, recall 0.98 on 2,000-5,000 people; plain Splink reaches F1 0.85 there).
MIN_PRECISION = 0.99
MIN_RECALL = 0.95
MIN_F1 = 0.97


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    truth = generate_sources(tmp / "sources", customers=800, seed=11)
    warehouse = f"duckdb:///{tmp}/warehouse.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)  # data/work lands in the temporary folder (the model is the warehouse's)
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL"):
            mp.delenv(name, raising=False)
        assert main(["run", "--sources", str(tmp / "sources"), "--warehouse", warehouse]) == 0
        yield tmp, truth, warehouse


def test_run_publishes_every_staged_record_once(demo_run):
    tmp, _, _ = demo_run
    with duckdb.connect(str(tmp / "warehouse.duckdb")) as con:
        staged, distinct_keys, orphans = con.execute(
            """select count(*), count(distinct (source_file, source_sheet, source_row)),
                      count(*) filter (where customer_id not in (select customer_id from golden_customers))
               from customer_source_records"""
        ).fetchone()
        (runs,) = con.execute("select count(*) from pipeline_runs where status = 'published'").fetchone()
    assert staged == distinct_keys > 2000
    assert orphans == 0
    assert runs == 1


def test_precision_and_recall_against_truth(demo_run, capsys):
    _, truth, warehouse = demo_run
    capsys.readouterr()
    assert main(["evaluate", "--truth", str(truth), "--warehouse", warehouse, "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    print(scores)
    assert scores["missing_records"] == 0
    assert scores["precision"] >= MIN_PRECISION
    assert scores["recall"] >= MIN_RECALL
    assert scores["f1"] >= MIN_F1


def test_cli_reports_expected_problems_in_one_line(tmp_path, capsys):
    assert main(["run", "--sources", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.strip() == f"unify: sources folder not found: {tmp_path / 'missing'}"
    (tmp_path / "s" / "sales").mkdir(parents=True)
    (tmp_path / "s" / "sales" / "王芳.csv").write_text("姓名,手机\n张伟,13800000001\n", encoding="utf-8")
    assert main(["run", "--sources", str(tmp_path / "s"), "--warehouse", "mysql://x"]) == 2
    assert "unsupported warehouse" in capsys.readouterr().err


def test_the_unify_program_flushes_its_output_and_keeps_its_exit_code(demo_run, tmp_path):
    """`unify` skips the interpreter's teardown: what it printed must still arrive, whole."""
    _, truth, warehouse = demo_run
    unify = Path(sys.executable).parent / "unify"
    done = subprocess.run(
        [unify, "evaluate", "--truth", truth, "--warehouse", warehouse, "--json"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["missing_records"] == 0
    failed = subprocess.run([unify, "run", "--sources", tmp_path / "missing"], capture_output=True, text=True)
    assert (failed.returncode, failed.stderr.strip()) == (2, f"unify: sources folder not found: {tmp_path / 'missing'}")
