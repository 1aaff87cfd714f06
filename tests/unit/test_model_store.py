"""The model is state of its warehouse: when a run trains, and how models are kept and shipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from sqlalchemy import inspect

from linkage.model_store import (
    ModelFileError,
    choose_model,
    data_profile,
    new_document,
    profile_changed,
    read_model_file,
    training_reason,
    write_model_file,
)
from warehouse import publish
from warehouse.engine import make_engine
from warehouse.models import WarehouseModels, current_model, current_version, model_versions, save_model
from warehouse.tables import pipeline_runs

PROFILE = {"record_count": 1000, "fields": ["birth_date_std", "name_full", "phone_e164"]}
SPLINK = {"comparisons": [{"output_column_name": "name"}], "probability_two_random_records_match": 0.001}


def _records(rows: int = 3) -> pa.Table:
    return pa.table({"record_id": range(rows), "name_full": ["王芳"] * rows, "email_std": pa.nulls(rows, pa.string())})


def _document(profile: dict = PROFILE, splink: dict = SPLINK, month: int = 3) -> dict:
    """A model document as if trained on the first of that month."""
    return new_document(splink, profile, now=datetime(2025, month, 1, tzinfo=UTC))


@pytest.fixture
def engine(tmp_path):
    return make_engine(f"duckdb:///{tmp_path}/w.duckdb")


# --- when a model still fits the records ---


def test_a_model_fits_records_of_the_same_fields_and_size():
    assert profile_changed(PROFILE, {**PROFILE, "record_count": 5000}) is None
    assert profile_changed(PROFILE, {**PROFILE, "record_count": 101}) is None


def test_a_model_no_longer_fits_when_the_populated_fields_change():
    reason = profile_changed(PROFILE, {**PROFILE, "fields": ["birth_date_std", "email_std", "name_full"]})
    assert reason == "populated fields changed: +email_std, -phone_e164"


def test_a_model_no_longer_fits_records_an_order_of_magnitude_more_or_fewer():
    assert profile_changed(PROFILE, {**PROFILE, "record_count": 10_000}) == "record count changed from 1,000 to 10,000"
    assert profile_changed(PROFILE, {**PROFILE, "record_count": 100}) == "record count changed from 1,000 to 100"
    assert profile_changed({**PROFILE, "record_count": 0}, {**PROFILE, "record_count": 9}) is None


def test_a_model_whose_records_were_never_profiled_is_not_judged_by_them():
    assert profile_changed(None, PROFILE) is None


def test_a_run_trains_without_a_model_under_another_design_or_on_other_records():
    current = _document()
    assert training_reason(None, PROFILE) == "no model in this warehouse"
    assert training_reason(current, PROFILE) is None
    stale = {**current, "design": "an older design"}
    assert training_reason(stale, PROFILE) == f"version {current['version']} was made under another design"
    grown = {**PROFILE, "record_count": 50_000}
    changed = f"the records changed since version {current['version']}: record count changed from 1,000 to 50,000"
    assert training_reason(current, grown) == changed


# --- the warehouse keeps every version; the latest saved is current ---


def test_a_warehouse_without_models_has_no_current_model(engine):
    assert current_model(engine) is None and current_version(engine) is None and model_versions(engine) == []


def test_models_are_kept_in_the_warehouse_and_the_latest_saved_is_current(engine):
    first, second = _document(), _document(month=4)
    save_model(engine, second, saved_by="run-1", reason="no model in this warehouse")
    save_model(engine, first, saved_by="run-2", reason="imported old.json")  # older, but saved later
    current = current_model(engine)
    assert current["version"] == first["version"] == current_version(engine)
    assert (current["splink"], current["data_profile"], current["design"]) == (SPLINK, PROFILE, first["design"])
    assert [(v["version"], v["saved_by"], v["reason"]) for v in model_versions(engine)] == [
        (first["version"], "run-2", "imported old.json"),
        (second["version"], "run-1", "no model in this warehouse"),
    ]


def test_two_warehouses_keep_their_own_models(tmp_path):
    a, b = (make_engine(f"duckdb:///{tmp_path}/{name}.duckdb") for name in ("a", "b"))
    save_model(a, _document(), saved_by="run-a", reason="no model in this warehouse")
    assert current_model(b) is None


def test_a_run_reuses_the_current_model_while_it_fits(engine):
    store = WarehouseModels(engine, saved_by="run-1")
    current = new_document(SPLINK, data_profile(_records()))
    store.save(current, "no model in this warehouse")
    choice = choose_model(store, _records)
    assert (choice.document["version"], choice.trained) == (current["version"], False)
    assert choice.summary == f"no: reused version {current['version']}"


# --- a model file: shipped in, imported as a version, never trained ---


def test_a_model_file_is_imported_once_as_the_current_version(engine, tmp_path):
    store = WarehouseModels(engine, saved_by="run-1")
    store.save(_document(), "no model in this warehouse")
    other = _document(splink={**SPLINK, "probability_two_random_records_match": 0.002}, month=5)
    shipped = write_model_file(other, tmp_path / "m.json")
    never = lambda: pytest.fail("a model file is used as it is: no records are read, nothing is trained")  # noqa: E731
    imported = choose_model(store, never, model_file=shipped)
    version = read_model_file(shipped)["version"]
    assert (imported.trained, imported.summary) == (False, f"no: imported {shipped} as version {version}")
    assert current_version(engine) == version and current_model(engine)["splink"] == other["splink"]
    again = choose_model(store, never, model_file=shipped)
    assert again.summary == f"no: {shipped} is the current version {version}" and len(model_versions(engine)) == 2


def test_an_older_version_shipped_back_becomes_current_under_a_new_version(engine, tmp_path):
    store = WarehouseModels(engine)
    old = _document()
    store.save(old, "no model in this warehouse")
    store.save(_document(splink={**SPLINK, "comparisons": []}, month=6), "retrained")
    shipped = write_model_file(old, tmp_path / "old.json")
    choice = choose_model(store, _records, model_file=shipped)
    assert choice.document["version"] != old["version"] and current_model(engine)["splink"] == SPLINK
    assert len(model_versions(engine)) == 3


def test_an_exported_model_reads_back_as_the_same_document(engine, tmp_path):
    save_model(engine, _document(), saved_by="run-1", reason="no model in this warehouse")
    path = write_model_file(current_model(engine), tmp_path / "export" / "model.json")
    assert {k: v for k, v in read_model_file(path).items() if k != "format"} == current_model(engine)


def test_a_missing_or_foreign_model_file_is_told_in_one_line(tmp_path):
    with pytest.raises(ModelFileError, match="model file not found"):
        read_model_file(tmp_path / "none.json")
    (tmp_path / "other.json").write_text(json.dumps({"comparisons": []}))
    with pytest.raises(ModelFileError, match="is not a customer-unify/1 model"):
        read_model_file(tmp_path / "other.json")


def test_a_model_file_of_the_earlier_layout_still_imports(engine, tmp_path):
    """Files written before models lived in the warehouse: no trained_at, no data profile."""
    version = "20250101T000000000000Z"
    legacy = {"format": "customer-unify/1", "version": version, "design": "d", "splink": SPLINK}
    (tmp_path / "linkage_model.json").write_text(json.dumps(legacy))
    choice = choose_model(WarehouseModels(engine), _records, model_file=tmp_path / "linkage_model.json")
    assert choice.summary.endswith(f"as version {version} (made under another design)")
    assert current_model(engine)["data_profile"] is None
    assert training_reason(current_model(engine), PROFILE) == f"version {version} was made under another design"


# --- an existing warehouse gains the state it lacks ---


def test_an_existing_warehouse_gains_the_models_table_and_the_run_model_column(engine):
    with engine.begin() as conn:  # pipeline_runs as an earlier version made it
        conn.exec_driver_sql(
            "create table pipeline_runs (run_id varchar primary key, started_at timestamp, finished_at timestamp,"
            " status varchar, rows_read bigint, staged bigint, quarantined bigint, golden_customers bigint,"
            " per_source text)"
        )
        conn.exec_driver_sql("insert into pipeline_runs (run_id, status) values ('old-run', 'published')")
    row = dict.fromkeys(pipeline_runs.columns.keys()) | {"run_id": "new-run", "model_version": "v1"}
    publish.publish(engine, published={}, appends={pipeline_runs: pa.Table.from_pylist([row])}, registry=None)
    with engine.connect() as conn:
        assert inspect(conn).has_table("linkage_models")
        runs = conn.exec_driver_sql("select run_id, model_version from pipeline_runs order by run_id").fetchall()
    assert runs == [("new-run", "v1"), ("old-run", None)]
