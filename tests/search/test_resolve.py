"""Resolve on arrival (issue #18): POST /api/resolve and `unify resolve` on a warehouse published by
a real run of the pipeline on the sample sources, compared with that run's own pairs."""

from __future__ import annotations

import io
import json
import threading
import time

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from fastapi.testclient import TestClient
from published import bearer

from linkage.arrival import RECORD_FIELDS, RecordError, arriving_batch
from linkage.features import link_records
from pipelines import cli
from search.app import create_app
from search.resolver import Batcher
from search.staff import add_staff, issue_token
from search.store import Store
from warehouse.engine import make_engine

STRANGER = {"name": "Zyxwv Qorplash", "phone": "+1 202 555 0143", "email": "zyxwv.qorplash@nowhere.invalid"}
STAGED_FIELD = {staged: field for field, staged in RECORD_FIELDS.items()}


def _work_table(published, name: str) -> pa.Table:
    return ipc.open_file(pa.memory_map(str(published.directory / "work" / f"{name}.arrow"))).read_all()


@pytest.fixture(scope="module")
def arriving(published) -> dict[int, dict]:
    """Each published record as a caller would send it: its raw staged fields, by the run's record_id."""
    staged = {
        (r["source_file"], r["source_sheet"], r["source_row"]): r for r in _work_table(published, "staged").to_pylist()
    }
    records = {}
    for row in (
        _work_table(published, "canonical")
        .select(["record_id", "source_file", "source_sheet", "source_row"])
        .to_pylist()
    ):
        raw = staged[(row["source_file"], row["source_sheet"], row["source_row"])]
        records[row["record_id"]] = {STAGED_FIELD[c]: v for c, v in raw.items() if c in STAGED_FIELD and v is not None}
    return records


@pytest.fixture(scope="module")
def resolver(app, client):
    client.get("/healthz")  # the app has started: its store holds the published snapshot
    return app.state.resolver.wait_until_current()


def _resolve(client, published, body: dict, user: str = "vera"):
    return client.post("/api/resolve", headers=bearer(published, user), json=body)


# ---------------------------------------------------------------- the answer


def test_a_published_record_sent_again_resolves_to_its_customer(client, published, arriving):
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        strong = con.execute(
            "select record_id, customer_id from customer_source_records where phone is not null or email is not null"
        ).fetchall()
    assert len(strong) > 500
    for record_id, customer_id in strong[::7]:
        response = _resolve(client, published, arriving[record_id])
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["decision"], answer["customer_id"]) == ("match", customer_id), record_id
        assert answer["match_probability"] == answer["candidates"][0]["match_probability"]
        assert answer["candidates"][0]["customer_id"] == customer_id
        assert answer["candidates"][0]["why"] and all(
            "comparison" in w and "level" in w for w in answer["candidates"][0]["why"]
        )


def test_a_stranger_is_new(client, published):
    answer = _resolve(client, published, STRANGER).json()
    assert answer["decision"] == "new" and answer["customer_id"] is None
    assert all(c["match_probability"] < 0.5 for c in answer["candidates"])


def test_pair_probabilities_equal_the_batch_run_to_1e_9(resolver, published, arriving):
    """Every pair the run scored is found again and scored alike, shop accounts included (the
    crosswalk publishes them). ID numbers are not published: pairs whose two records both carry one
    are left out."""
    canonical = _work_table(published, "canonical").select(["record_id", "national_id"]).to_pylist()
    national_ids = {r["record_id"]: r["national_id"] for r in canonical}

    def comparable(a: int, b: int) -> bool:
        return not (national_ids[a] and national_ids[b])

    pairs = [p for p in _work_table(published, "pairs").to_pylist() if p["kind"] == "model"]
    answers: dict[int, dict] = {}
    compared = 0
    for pair in pairs:
        a, b = pair["record_id_l"], pair["record_id_r"]
        if not comparable(a, b):
            continue
        for new, other in ((b, a), (a, b)):
            if new not in answers:
                answers[new] = resolver.resolve(arriving[new], with_pairs=True)["pairs"]
            assert other in answers[new], f"pair {a}-{b} was not a candidate"
            assert answers[new][other] == pytest.approx(pair["match_probability"], abs=1e-9, rel=0)
            compared += 1
    assert compared > 1000
    assert resolver.checked <= 1e-12  # the build's own check against Splink's predict SQL


def test_records_resolved_together_get_the_answers_they_get_alone(resolver, arriving):
    """A batch (what concurrent requests become) answers each record as a call of its own would,
    bad records in place, and the fast link rows of a few records are link_records' own."""
    records = list(arriving.values())[::97][:40]
    records[3:3] = [{"phone": "not a phone"}, {"nmae": "x"}, STRANGER]
    alone = []
    for record in records:
        try:
            alone.append(resolver.resolve(record, with_pairs=True))
        except RecordError as exc:
            alone.append(str(exc))
    together = [a if isinstance(a, dict) else str(a) for a in resolver.resolve_many(records, with_pairs=True)]
    assert together == alone
    assert "could be used" in alone[3] and "unknown field" in alone[4] and alone[5]["decision"] == "new"
    _, canonical, _ = arriving_batch(records, resolver.generic)
    assert resolver._link(canonical, resolver.generic).equals(link_records(canonical, resolver.generic))


def test_concurrent_requests_are_scored_in_batches_with_their_own_answers(resolver, arriving):
    records = list(arriving.values())[:64]
    sizes = []

    def resolve_many(batch):
        sizes.append(len(batch))
        return resolver.resolve_many(batch)

    batcher = Batcher(resolve_many)
    futures = [batcher.submit(r) for r in records]
    answers = [f.result(timeout=60) for f in futures]
    assert answers == [resolver.resolve(r) for r in records]
    assert max(sizes) > 1


def test_the_thresholds_are_the_runs(resolver, published):
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        ((match, floor),) = con.execute("select match_threshold, review_floor from pipeline_runs").fetchall()
    assert (resolver.thresholds.match_threshold, resolver.thresholds.review_floor) == (match, floor)


def test_answers_name_no_personal_data_beyond_customer_ids(client, published, arriving):
    record = next(r for r in arriving.values() if r.get("phone") and r.get("email") and r.get("name"))
    text = _resolve(client, published, record).text
    for value in (record["phone"], record["email"], record["name"]):
        assert value not in text


# ---------------------------------------------------------------- bad input: 4xx with a reason


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "not valid JSON"),
        (b"[1, 2]", 400, "one JSON object"),
        (b'"a string"', 400, "one JSON object"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b"[" * 50_000, 400, "not valid JSON"),
        (b"[" * 100_000 + b"]" * 90, 413, "larger than"),
        (b'{"x": "' + b"a" * 100_001 + b'"}', 413, "larger than"),
        (b"{}", 422, "no identifying field"),
        (b'{"company": "ACME", "source_system": "crm"}', 422, "no identifying field"),
        (b'{"name": 42}', 422, "name must be a string"),
        (b'{"phone": ["138"]}', 422, "phone must be a string or a number"),
        (b'{"phone": true}', 422, "phone must be a string or a number"),
        (b'{"name": {"first": "A"}}', 422, "name must be a string"),
        (b'{"nmae": "A"}', 422, "unknown field"),
        (b'{"name": "' + b"a" * 2000 + b'"}', 422, "longer than"),
        (b'{"phone": "not a phone"}', 422, "could be used"),
        (b'{"name": "A B", "commit": true}', 403, "resolver role"),
        (b'{"name": "A B", "commit": "yes"}', 422, "commit must be true or false"),
    ],
)
def test_bad_input_is_a_4xx_with_a_reason(client, published, body, status, reason):
    headers = {**bearer(published, "vera"), "content-type": "application/json"}
    response = client.post("/api/resolve", headers=headers, content=body)
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]


def test_a_body_declared_too_big_is_refused_unread(client, published):
    response = client.post(
        "/api/resolve", headers={**bearer(published, "vera"), "content-length": "100001"}, content=b"{}" + b" " * 99_999
    )
    assert response.status_code == 413


def test_a_number_is_a_phone(client, published):
    response = _resolve(client, published, {"name": "Zyxwv Qorplash", "phone": 2025550143})
    assert response.status_code == 200 and response.json()["decision"] == "new"


def test_errors_carry_no_personal_data(client, published):
    response = _resolve(client, published, {"name": "王小明", "phone": "13812345678", "nmae": "x"})
    assert response.status_code == 422 and "'nmae'" in response.text
    assert "王小明" not in response.text and "13812345678" not in response.text
    response = _resolve(client, published, {"name": "王小明", "13812345678": "phone"})  # a value sent as a key
    assert response.status_code == 422 and "unknown field(s): 1;" in response.json()["detail"]
    assert "13812345678" not in response.text


# ---------------------------------------------------------------- who may ask


def test_resolve_needs_a_token(client):
    assert client.post("/api/resolve", json=STRANGER).status_code == 401
    assert client.post("/api/resolve", json=STRANGER, headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize("user", ["vera", "rita", "adam"])
def test_every_role_from_viewer_up_may_resolve(client, published, user):
    assert _resolve(client, published, STRANGER, user=user).status_code == 200


@pytest.fixture()
def private(published, tmp_path):
    """An app over a private copy of the warehouse: for accounts and publishes of its own."""
    url = published.copy(tmp_path)
    store = Store(url)
    app = create_app(store, secret="test-secret-key-not-for-production", background_refresh=False)
    with TestClient(app) as c:
        yield url, store, app, c


def test_a_token_without_the_viewer_role_is_refused(private):
    url, store, app, c = private
    engine = make_engine(url)
    add_staff(engine, "olga", "viewer", "olga-password-1")
    token = issue_token(engine, "olga")
    with engine.begin() as conn:  # a role the search does not know (not viewer or above), then a disabled account
        conn.exec_driver_sql("update staff_accounts set role = 'guest' where username = 'olga'")
    engine.dispose()
    store.refresh(force=True)
    headers = {"Authorization": f"Bearer {token}"}
    assert c.post("/api/resolve", json=STRANGER, headers=headers).status_code == 401
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("update staff_accounts set role = 'viewer', disabled = true where username = 'olga'")
    engine.dispose()
    store.refresh(force=True)
    assert c.post("/api/resolve", json=STRANGER, headers=headers).status_code == 401


# ---------------------------------------------------------------- a new publish


def test_a_new_publish_is_picked_up_without_a_failed_request(private, published):
    url, store, app, c = private
    headers = bearer(published, "vera")
    newcomer = {"name": "Quillon Varbeck", "phone": "+44 20 7946 0958", "email": "quillon.varbeck@example.org"}
    before = c.post("/api/resolve", json=newcomer, headers=headers).json()
    assert before["decision"] == "new"
    old_run = before["run_id"]
    _publish_a_run_with(url, newcomer_customer="C09999001")
    assert store.refresh(force=True) and store.snapshot.run_id == "run-2"

    statuses, runs, stop = [], [], threading.Event()

    def keep_asking():
        while not stop.is_set():
            response = c.post("/api/resolve", json=STRANGER, headers=headers)
            statuses.append(response.status_code)
            runs.append(response.json().get("run_id"))

    asking = threading.Thread(target=keep_asking)
    asking.start()
    try:
        deadline = time.monotonic() + 60
        while (answer := c.post("/api/resolve", json=newcomer, headers=headers).json())["run_id"] != "run-2":
            assert time.monotonic() < deadline, "the new publish was never picked up"
            time.sleep(0.05)
    finally:
        stop.set()
        asking.join()
    assert set(statuses) == {200} and old_run in runs  # answered from the old run while the new one was built
    assert (answer["decision"], answer["customer_id"]) == ("match", "C09999001")


def _publish_a_run_with(url: str, newcomer_customer: str) -> None:
    """What a publish does, in brief: a new crosswalk record of a new customer and a new run row."""
    with duckdb.connect(url.removeprefix("duckdb:///")) as con:
        con.execute("begin transaction")
        con.execute(
            """insert into customer_source_records select * replace (
                   $customer as customer_id, 'crm' as source_system, 'arrived.csv' as source_file, 99999 as source_row,
                   null as source_record_key, 99999 as record_id, 'Quillon Varbeck' as name, 'quillon varbeck' as name_pinyin,
                   false as name_is_partial, '+442079460958' as phone, '+44 20 7946 0958' as phone_display,
                   'quillon.varbeck@example.org' as email, null as wechat, null as birth_date, null as address,
                   null as city, null as district, null as province, null as postcode)
               from customer_source_records limit 1""",
            {"customer": newcomer_customer},
        )
        con.execute(
            """insert into pipeline_runs (run_id, finished_at, status, model_version, match_threshold, review_floor)
               select 'run-2', finished_at + interval 1 day, 'published', model_version, match_threshold, review_floor
               from pipeline_runs"""
        )
        con.execute("commit")


# ---------------------------------------------------------------- unify resolve


def test_unify_resolve_answers_one_line_per_line(published, arriving, monkeypatch, capsys):
    record = next(r for r in arriving.values() if r.get("phone") and r.get("email"))
    lines = [json.dumps(record, ensure_ascii=False), "{broken", "", json.dumps(STRANGER), '{"company": "ACME"}', "[]"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code = cli.main(["resolve", "--warehouse", published.url])
    out, err = capsys.readouterr()
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # some lines were errors
    assert len(answers) == 5  # the empty line is skipped
    assert answers[0]["decision"] == "match" and answers[0]["customer_id"].startswith("C")
    assert answers[1] == {"error": "not valid JSON (at character 1)", "line": 2}
    assert answers[2]["decision"] == "new"
    assert "no identifying field" in answers[3]["error"] and answers[3]["line"] == 5
    assert "one JSON object" in answers[4]["error"]
    assert "Traceback" not in err and "resolved 2 records (3 lines in error)" in err
    assert record["phone"] not in err


def test_unify_resolve_on_an_empty_warehouse_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(STRANGER) + "\n"))
    code = cli.main(["resolve", "--warehouse", f"duckdb:///{tmp_path / 'empty.duckdb'}"])
    assert code == 2 and "nothing is published" in capsys.readouterr().err


def test_a_shop_account_finds_its_customer_and_another_platforms_does_not(client, published):
    with duckdb.connect(str(published.directory / "w.duckdb"), read_only=True) as con:
        account, customer_id = con.execute(
            "select external_id, min(customer_id) from customer_source_records where external_id like 'tmall:%'"
            " group by external_id having count(distinct customer_id) = 1 order by 1 limit 1"
        ).fetchone()
    answer = _resolve(client, published, {"external_id": account}).json()
    assert answer["candidates"][0]["customer_id"] == customer_id
    assert any(w["comparison"] == "external_id" for w in answer["candidates"][0]["why"])
    elsewhere = _resolve(client, published, {"external_id": "jd:" + account.split(":", 1)[1]}).json()
    assert customer_id not in [c["customer_id"] for c in elsewhere["candidates"]]
