"""`unify run` on a sources folder with nothing to read: one line on standard error, a non-zero exit,
no traceback, and no run started."""

from __future__ import annotations

import pytest

from pipelines.cli import main


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_run_on_an_empty_or_missing_sources_folder_says_so_in_one_line(tmp_path, capsys, monkeypatch, folder):
    # the command writes its settings to the environment; monkeypatch puts them back afterwards
    monkeypatch.setenv("UNIFY_SOURCES", str(tmp_path / "unused"))
    monkeypatch.setenv("UNIFY_WAREHOUSE", f"duckdb:///{tmp_path / 'unused.duckdb'}")
    sources = tmp_path / folder
    if folder == "empty":
        (sources / "sales").mkdir(parents=True)  # a kind folder, but no file in it
    warehouse = tmp_path / "w.duckdb"
    code = main(["run", "--sources", str(sources), "--warehouse", f"duckdb:///{warehouse}"])
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert "Traceback" not in err and err.count("\n") == 1
    reasons = {"empty": f"no source files in {sources} (expected", "missing": f"sources folder not found: {sources}"}
    expected = reasons[folder]
    assert err.startswith(f"unify: {expected}")
    assert not warehouse.exists()  # refused before anything ran
