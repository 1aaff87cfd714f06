"""Resolve with commit: true (issue #18): the record filed to its customer or under a new ID from the
one ID sequence, in arriving_records, held by the resolver at once; on a private copy of the
warehouse a real run of the sample sources published."""

from __future__ import annotations

import threading

import duckdb
import pytest
from fastapi.testclient import TestClient

from linkage.identity import format_id, parse_id_number
from search.app import create_app
from search.staff import add_staff, issue_token
from search.store import Store
from warehouse.engine import make_engine

STRANGER = {"name": "Zyxwv Qorplash", "phone": "+1 202 555 0143", "email": "zyxwv.qorplash@nowhere.invalid"}


@pytest.fixture()
def private(published, tmp_path):
    """An app over a private copy of the warehouse, with a resolver account (its token in .tokens)."""
    url = published.copy(tmp_path)
    engine = make_engine(url)
    add_staff(engine, "rory", "resolver", "resolver-password-1")
    tokens = {**published.tokens, "rory": issue_token(engine, "rory")}
    engine.dispose()
    store = Store(url)
    app = create_app(store, secret="test-secret-key-not-for-production", background_refresh=False)
    with TestClient(app) as c:
        c.url, c.file, c.tokens = url, tmp_path / "w.duckdb", tokens
        yield c


def _post(c, body: dict, user: str = "rory"):
    return c.post("/api/resolve", headers={"Authorization": f"Bearer {c.tokens[user]}"}, json=body)


def _rows(c, sql: str) -> list[tuple]:
    with duckdb.connect(str(c.file), read_only=True) as con:
        return con.execute(sql).fetchall()


def _highest_published(published) -> int:
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        (highest,) = con.execute("select max(customer_id) from identity_registry").fetchone()
    return parse_id_number(highest)


def _stranger(n: int) -> dict:
    return {
        "name": f"Qorplash Zyx{'abcdefghij'[n % 10]}{'klmnopqrst'[n // 10 % 10]}",
        "email": f"stranger.{n}@nowhere.invalid",
        "source_system": "webshop",
        "source_record_key": f"W-{n}",
    }


def test_a_new_record_is_filed_under_the_next_id_and_found_at_once(private, published):
    body = {**STRANGER, "source_system": "webshop", "source_record_key": "W-1", "commit": True}
    response = _post(private, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    expected = format_id(_highest_published(published) + 1)
    assert (answer["decision"], answer["committed"], answer["filed"]) == ("new", True, "minted")
    assert answer["customer_id"] == expected
    assert _rows(private, "select customer_id, filed, decision, committed_by from arriving_records") == [
        (expected, "minted", "new", "rory")
    ]
    assert _rows(private, f"select event, run_id from customer_id_history where customer_id = '{expected}'") == [
        ("minted", "arrival")
    ]
    assert _rows(private, "select last_number from customer_id_sequence") == [(parse_id_number(expected),)]
    # the same person again, before any run: the filed customer
    again = _post(private, {**STRANGER, "source_system": "webshop", "source_record_key": "W-2"}).json()
    assert (again["decision"], again["customer_id"], again["committed"]) == ("match", expected, False)


def test_a_matching_record_joins_its_customer(private, published):
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        name, phone, email, customer_id = con.execute(
            "select name, phone, email, customer_id from customer_source_records"
            " where phone is not null and email is not null and name is not null order by record_id limit 1"
        ).fetchone()
    body = {"name": name, "phone": phone, "email": email, "source_system": "crm", "source_record_key": "K-7"}
    answer = _post(private, {**body, "commit": True}).json()
    assert (answer["decision"], answer["customer_id"], answer["filed"]) == ("match", customer_id, "joined")
    assert _rows(private, "select customer_id, filed from arriving_records") == [(customer_id, "joined")]
    # no number taken: the sequence is where the run left it
    assert _rows(private, "select last_number, updated_by from customer_id_sequence") == [
        (_highest_published(published), "run")
    ]


def test_committing_the_same_key_again_keeps_the_first_filing(private):
    body = {**_stranger(1), "commit": True}
    first = _post(private, body).json()
    second = _post(private, {**body, "name": "Somebody Else Entirely", "email": "else@nowhere.invalid"}).json()
    assert (first["filed"], second["filed"]) == ("minted", "existing")
    assert second["customer_id"] == first["customer_id"]
    assert _rows(private, "select count(*) from arriving_records") == [(1,)]
    assert _rows(private, "select count(*) from customer_id_history where run_id = 'arrival'") == [(1,)]


def test_a_key_a_run_staged_files_nothing(private, published):
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        system, key, customer_id = con.execute(
            "select source_system, source_record_key, customer_id from customer_source_records"
            " where source_record_key is not null limit 1"
        ).fetchone()
    answer = _post(private, {**STRANGER, "source_system": system, "source_record_key": key, "commit": True}).json()
    assert (answer["customer_id"], answer["filed"]) == (customer_id, "existing")
    assert _rows(private, "select count(*) from arriving_records") == [(0,)]


def test_concurrent_commits_mint_distinct_ids(private, published):
    answers, errors = [], []

    def commit(n: int) -> None:
        response = _post(private, {**_stranger(n), "commit": True})
        (answers if response.status_code == 200 else errors).append(response.json())

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    minted = [a["customer_id"] for a in answers]
    first = _highest_published(published) + 1
    assert sorted(minted) == [format_id(first + i) for i in range(12)]  # distinct, none skipped
    assert _rows(private, "select count(distinct customer_id) from arriving_records") == [(12,)]


@pytest.mark.parametrize(
    "keys",
    [
        {},
        {"source_system": "webshop"},
        {"source_record_key": "W-9"},
        {"source_system": " ", "source_record_key": "W-9"},
    ],
)
def test_commit_needs_both_source_keys(private, keys):
    response = _post(private, {**STRANGER, **keys, "commit": True})
    assert response.status_code == 422 and "source_system and source_record_key" in response.json()["detail"]
    assert _rows(private, "select count(*) from arriving_records") == [(0,)]


@pytest.mark.parametrize(("user", "status"), [("vera", 403), ("rory", 200), ("rita", 200), ("adam", 200)])
def test_commit_needs_the_resolver_role_or_above(private, user, status):
    response = _post(private, {**_stranger(3), "commit": True}, user=user)
    assert response.status_code == status, response.text
    if status == 403:
        assert "resolver" in response.json()["detail"]
        assert _rows(private, "select count(*) from arriving_records") == [(0,)]


def test_a_resolver_may_resolve_without_commit(private):
    answer = _post(private, STRANGER).json()
    assert (answer["decision"], answer["committed"], answer["filed"]) == ("new", False, None)


def test_a_new_resolver_holds_the_filings_no_run_staged(private):
    """After a rebuild (a new publish, a restart), the filings are read back from the warehouse."""
    filed = _post(private, {**_stranger(5), "commit": True}).json()["customer_id"]
    app = private.app
    store = app.state.store
    fresh = create_app(store, secret="test-secret-key-not-for-production", background_refresh=False)
    with TestClient(fresh) as c:
        response = c.post(
            "/api/resolve", headers=bearer_for(private, "vera"), json={**_stranger(5), "source_record_key": "W-x"}
        )
    assert (response.json()["decision"], response.json()["customer_id"]) == ("match", filed)


def bearer_for(c, user: str) -> dict:
    return {"Authorization": f"Bearer {c.tokens[user]}"}


def test_unify_resolve_refuses_commit(published):
    from search.resolver import parse_record

    with pytest.raises(ValueError, match="POST /api/resolve"):
        parse_record('{"name": "A B", "commit": true}')
