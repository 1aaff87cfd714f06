"""Commit-then-batch ID continuity (issue #18): a record filed on arrival keeps its customer ID when a
later run stages it from a source file (same source_system + source_record_key), unless the run's
evidence puts it with another customer: then customer_id_history says so. Full and incremental runs."""

from __future__ import annotations

import csv
import shutil

import pytest
from cli_helpers import query, unify
from fastapi.testclient import TestClient

from search.app import create_app
from search.staff import add_staff, issue_token
from search.store import Store
from warehouse.engine import make_engine

SAMPLES = "tests/fixtures/samples/sources"
AS_OF = "2025-10-31"
LATER = "shop/shopify_orders_later.csv"
NEWCOMER = {"name": "Quillon Varbeck", "email": "quillon.varbeck@example.org", "phone": "+44 20 7946 0958"}


def _commit(url: str, records: list[dict]) -> list[dict]:
    """Each record filed through POST /api/resolve with commit: true, by a resolver account."""
    engine = make_engine(url)
    add_staff(engine, "shop", "resolver", "shop-service-password")
    token = issue_token(engine, "shop")
    engine.dispose()
    store = Store(url)
    app = create_app(store, secret="test-secret-key-not-for-production", background_refresh=False)
    with TestClient(app) as c:
        answers = [
            c.post("/api/resolve", headers={"Authorization": f"Bearer {token}"}, json={**r, "commit": True})
            for r in records
        ]
    store.engine.dispose()
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return [a.json() for a in answers]


def _later_export(path, rows: list[dict]) -> None:
    """A Shopify export with these orders (Name is the order number: the record's key)."""
    header = open(path.parent / "shopify_orders_export.csv", encoding="utf-8").readline().strip().split(",")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    "Name": row["key"],
                    "Email": row["email"],
                    "Financial Status": "paid",
                    "Paid at": "2025-10-20 10:00:00 +0800",
                    "Created at": "2025-10-20 10:00:00 +0800",
                    "Currency": "CNY",
                    "Total": "99.00",
                    "Lineitem quantity": "1",
                    "Lineitem name": "点读笔",
                    "Billing Name": row["name"],
                    "Billing Phone": row["phone"],
                }
            )


@pytest.fixture(scope="module")
def continuity(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("commit_batch")
    sources = tmp / "sources"
    shutil.copytree(SAMPLES, sources)
    url = f"duckdb:///{tmp / 'w.duckdb'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_WORK_DIR", "UNIFY_MODEL"):
            mp.setenv(name, "")
            mp.delenv(name)
        code, _, err = unify("run", "--as-of", AS_OF, "--sources", str(sources), "--warehouse", url)
        assert code == 0, err
        # a customer the batch knows well: several records, one with phone and email
        ((customer, name, phone, email),) = query(
            tmp / "w.duckdb",
            """select customer_id, name, phone, email from customer_source_records
               where customer_id in (select customer_id from customer_source_records group by 1 having count(*) >= 3)
                 and phone is not null and email is not null and name is not null
               order by customer_id, record_id limit 1""",
        )
        filed = _commit(
            url,
            [
                {**NEWCOMER, "source_system": "shopify", "source_record_key": "#9001"},
                # sent with a name and an email nobody has: new; the export will carry the known customer's phone
                {
                    "name": "Ozrik Talvane",
                    "email": "ozrik.talvane@example.org",
                    "source_system": "shopify",
                    "source_record_key": "#9002",
                },
            ],  # fmt: skip
        )
        _later_export(
            sources / LATER,
            [
                {"key": "#9001", **NEWCOMER},
                {"key": "#9002", "name": name, "phone": phone, "email": email},
            ],
        )
        shutil.copyfile(tmp / "w.duckdb", tmp / "full.duckdb")
        code, _, err = unify("run", "--as-of", AS_OF, "--incremental", "--sources", str(sources), "--warehouse", url)
        assert code == 0, err
        mp.setenv("UNIFY_WORK_DIR", str(tmp / "full_work"))
        full_url = f"duckdb:///{tmp / 'full.duckdb'}"
        code, _, err = unify("run", "--as-of", AS_OF, "--sources", str(sources), "--warehouse", full_url)
        assert code == 0, err
    return {
        "filed": filed,
        "customer": customer,
        "warehouses": {"incremental": tmp / "w.duckdb", "full": tmp / "full.duckdb"},
    }


@pytest.mark.parametrize("run", ["incremental", "full"])
def test_a_filed_record_keeps_its_id_when_a_run_stages_it(continuity, run):
    newcomer = continuity["filed"][0]
    assert (newcomer["decision"], newcomer["filed"]) == ("new", "minted")
    path = continuity["warehouses"][run]
    rows = query(
        path, f"select source_record_key, customer_id from customer_source_records where source_file = '{LATER}'"
    )
    assert dict(rows)["#9001"] == newcomer["customer_id"]
    (golden,) = query(path, f"select count(*) from golden_customers where customer_id = '{newcomer['customer_id']}'")
    assert golden == (1,)
    # its mint was recorded when it was filed; the run logs nothing more for it
    assert query(
        path, f"select event, run_id from customer_id_history where customer_id = '{newcomer['customer_id']}'"
    ) == [("minted", "arrival")]


@pytest.mark.parametrize("run", ["incremental", "full"])
def test_the_runs_evidence_reassigns_a_filed_record_and_history_says_so(continuity, run):
    filed = continuity["filed"][1]
    assert (filed["decision"], filed["filed"]) == ("new", "minted")
    path = continuity["warehouses"][run]
    rows = query(
        path, f"select source_record_key, customer_id from customer_source_records where source_file = '{LATER}'"
    )
    assert dict(rows)["#9002"] == continuity["customer"]  # the same phone and email as the customer's records
    events = query(
        path,
        f"select event, related_customer_id, record_count from customer_id_history where customer_id = '{filed['customer_id']}'"
        ' order by "at", event',
    )
    assert ("arrival_reassigned", continuity["customer"], 1) in events
    assert ("merged", continuity["customer"], 0) in events


@pytest.mark.parametrize("run", ["incremental", "full"])
def test_ids_the_run_mints_come_after_the_filings(continuity, run):
    path = continuity["warehouses"][run]
    filed = {f["customer_id"] for f in continuity["filed"]}
    minted = query(
        path, "select customer_id from customer_id_history where event in ('minted', 'split') and run_id <> 'arrival'"
    )
    assert not filed & {m for (m,) in minted}
    ((duplicates,),) = query(
        path,
        "select count(*) from (select customer_id from customer_id_history where event = 'minted' group by 1 having count(*) > 1)",
    )
    assert duplicates == 0
