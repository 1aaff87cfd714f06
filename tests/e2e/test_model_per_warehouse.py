"""The model is state of its warehouse (issue #16): a run against a second warehouse, from the same
working directory, trains that warehouse's own model instead of scoring with the first one's; a
model file moves a model between warehouses only when asked to."""

from __future__ import annotations

import json

import pytest
from cli_helpers import query, unify

from demo.generate import generate_sources


def _versions(path) -> set[str]:
    return {v for (v,) in query(path, "select version from linkage_models")}


def _last_run_model(path) -> str:
    return query(path, "select model_version from pipeline_runs order by finished_at desc limit 1")[0][0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("model_per_warehouse")
    generate_sources(tmp / "a", customers=300, seed=5)
    generate_sources(tmp / "b", customers=150, seed=41)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)  # one working directory (and work area) for both, as in the issue
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL"):
            mp.setenv(name, "")
            mp.delenv(name)
        outputs = {
            "a": unify("run", "--sources", str(tmp / "a"), "--warehouse", f"duckdb:///{tmp}/a.duckdb"),
            "b": unify("run", "--sources", str(tmp / "b"), "--warehouse", f"duckdb:///{tmp}/b.duckdb"),
            "a_again": unify("run", "--sources", str(tmp / "a"), "--warehouse", f"duckdb:///{tmp}/a.duckdb"),
            "export": unify("train", "--export", str(tmp / "shipped.json"), "--warehouse", f"duckdb:///{tmp}/a.duckdb"),
        }
        shipped = str(tmp / "shipped.json")
        outputs["c"] = unify(
            "run", "--sources", str(tmp / "b"), "--warehouse", f"duckdb:///{tmp}/c.duckdb", "--model", shipped
        )
        outputs["missing"] = unify(
            "run",
            "--sources",
            str(tmp / "b"),
            "--warehouse",
            f"duckdb:///{tmp}/d.duckdb",
            "--model",
            str(tmp / "none.json"),
        )
    for name in ("a", "b", "a_again", "export", "c"):
        assert outputs[name][0] == 0, (name, outputs[name][2])
    return tmp, outputs


def test_a_second_warehouse_trains_and_scores_with_its_own_model(runs):
    tmp, outputs = runs
    a, b = _versions(tmp / "a.duckdb"), _versions(tmp / "b.duckdb")
    assert len(a) == 1 and len(b) == 1 and not a & b
    assert _last_run_model(tmp / "b.duckdb") in b
    assert "trained: yes: no model in this warehouse" in outputs["b"][1]
    trained_on = [query(tmp / f"{w}.duckdb", "select trained_on_records from linkage_models")[0][0] for w in "ab"]
    assert trained_on[0] > trained_on[1] > 0  # each on its own records


def test_the_first_warehouse_keeps_scoring_with_its_model(runs):
    tmp, outputs = runs
    (version,) = _versions(tmp / "a.duckdb")
    assert f"trained: no: reused version {version}" in outputs["a_again"][1]
    assert [v for (v,) in query(tmp / "a.duckdb", "select model_version from pipeline_runs")] == [version, version]


def test_a_model_file_ships_a_model_to_another_warehouse_without_training(runs):
    tmp, outputs = runs
    (version,) = _versions(tmp / "a.duckdb")
    assert outputs["export"][1].strip() == f"model {version} written to {tmp / 'shipped.json'}"
    assert json.loads((tmp / "shipped.json").read_text())["version"] == version
    assert _versions(tmp / "c.duckdb") == {version} and _last_run_model(tmp / "c.duckdb") == version
    assert f"trained: no: imported {tmp / 'shipped.json'} as version {version}" in outputs["c"][1]


def test_a_model_file_that_does_not_exist_yet_receives_the_runs_model(runs):
    tmp, outputs = runs
    assert outputs["missing"][0] == 0, outputs["missing"][2]
    written = json.loads((tmp / "none.json").read_text())["version"]
    assert _versions(tmp / "d.duckdb") == {written}
