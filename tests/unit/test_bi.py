"""The BI dashboard's parts that need no Superset: its secrets, the warehouse URI it is given, the
bundle's consistency, and every dataset's SQL answering on a published warehouse."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from zipfile import ZipFile

import duckdb
import pytest
import yaml

from bi.home import BUNDLE, URI_PLACEHOLDER, BIError, admin_password, kept_secret, superset_database
from bi.provision import bundle, main
from warehouse.tables import PUBLISHED

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "search"))  # the shared published warehouse

from published import published_warehouse  # noqa: E402


def _docs(kind: str) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (BUNDLE / kind).glob("*.yaml")}


DATABASES, DATASETS, CHARTS, DASHBOARDS = (_docs(k) for k in ("databases", "datasets", "charts", "dashboards"))


def test_a_duckdb_warehouse_is_given_by_absolute_path_and_opened_read_only(tmp_path, monkeypatch):
    (tmp_path / "w.duckdb").touch()
    monkeypatch.chdir(tmp_path)
    uri, params = superset_database("duckdb:///w.duckdb")
    assert uri == f"duckdb:///{tmp_path / 'w.duckdb'}"
    assert params == {"connect_args": {"read_only": True}}


def test_postgresql_is_read_through_psycopg2_in_read_only_sessions_with_its_password():
    uri, params = superset_database("postgresql+psycopg://bi:s3cret@db.example:5433/unify")
    assert uri == "postgresql+psycopg2://bi:s3cret@db.example:5433/unify"
    assert params == {"connect_args": {"options": "-c default_transaction_read_only=on"}}


@pytest.mark.parametrize(
    "url, said",
    [
        ("duckdb:///nowhere/w.duckdb", "no warehouse at"),
        ("duckdb:///:memory:", "needs a DuckDB warehouse file"),
        ("sqlite:///w.db", "reads a duckdb:/// or postgresql:// warehouse, not 'sqlite'"),
        ("not a url", "not a database URL"),
    ],
)
def test_a_warehouse_the_dashboard_cannot_read_is_one_line(url, said):
    with pytest.raises(BIError, match=re.escape(said)):
        superset_database(url)


def test_provisioning_without_a_warehouse_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNIFY_WAREHOUSE", f"duckdb:///{tmp_path}/missing.duckdb")
    monkeypatch.setenv("UNIFY_BI_HOME", str(tmp_path / "bi"))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err == f"bi: no warehouse at {tmp_path}/missing.duckdb: publish one first (make demo, or unify run)\n"


def test_a_secret_is_generated_once_kept_private_and_the_given_one_wins(tmp_path):
    first, where = kept_secret(tmp_path, "secret_key", "")
    assert where == str(tmp_path / "secret_key") and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert kept_secret(tmp_path, "secret_key", "") == (first, where)
    assert kept_secret(tmp_path, "other", "given") == ("given", "the environment")
    assert not (tmp_path / "other").exists()


def test_the_admin_password_says_where_it_is(tmp_path):
    assert admin_password({"UNIFY_BI_HOME": str(tmp_path), "UNIFY_BI_ADMIN_PASSWORD": "pw"}) == (
        "pw",
        "UNIFY_BI_ADMIN_PASSWORD",
    )
    password, where = admin_password({"UNIFY_BI_HOME": str(tmp_path)})
    assert where == str(tmp_path / "admin_password") and Path(where).read_text() == password


def test_the_bundle_hangs_together():
    (database,) = DATABASES.values()
    (dashboard,) = DASHBOARDS.values()
    uuids = [d["uuid"] for docs in (DATABASES, DATASETS, CHARTS, DASHBOARDS) for d in docs.values()]
    assert len(set(uuids)) == len(uuids)
    assert {d["database_uuid"] for d in DATASETS.values()} == {database["uuid"]}
    assert {c["dataset_uuid"] for c in CHARTS.values()} == {d["uuid"] for d in DATASETS.values()}
    placed = [p["meta"]["uuid"] for p in dashboard["position"].values() if isinstance(p, dict) and p["type"] == "CHART"]
    assert sorted(placed) == sorted(c["uuid"] for c in CHARTS.values())
    assert all(c["params"]["viz_type"] == c["viz_type"] for c in CHARTS.values())


def test_the_datasets_read_published_tables_only():
    published = {t.name for t in PUBLISHED}
    for name, dataset in DATASETS.items():
        read = set(re.findall(r"\b(?:from|join)\s+(\w+)", dataset["sql"]))
        assert read and read <= published, name


def test_the_zip_has_the_warehouse_filled_in_under_one_root_folder(tmp_path):
    archive = bundle("duckdb:////data/w.duckdb", {"connect_args": {"read_only": True}}, tmp_path / "b.zip")
    with ZipFile(archive) as z:
        names = z.namelist()
        database = yaml.safe_load(z.read("customer_360/databases/customer_warehouse.yaml"))
        assert not any(URI_PLACEHOLDER in z.read(n).decode() for n in names)
    assert {n.split("/")[0] for n in names} == {"customer_360"}
    assert "customer_360/metadata.yaml" in names and len(names) == 1 + 1 + len(DATASETS) + len(CHARTS) + 1
    assert database["sqlalchemy_uri"] == "duckdb:////data/w.duckdb"
    assert database["extra"] == {
        "allows_virtual_table_explore": True,
        "engine_params": {"connect_args": {"read_only": True}},
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return published_warehouse(tmp_path_factory.mktemp("bi_published"))


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_each_dataset_answers_on_a_published_warehouse_with_its_declared_columns(published, name):
    dataset = DATASETS[name]
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        result = con.execute(dataset["sql"])
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
    assert columns == [c["column_name"] for c in dataset["columns"]]
    assert rows, f"{name} is empty on the sample warehouse"
