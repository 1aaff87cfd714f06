"""Data-subject requests end to end on the sample sources (with their truth): export holds every
source row of the person; erase, then a full run and an incremental run on the same files, and the
person is nowhere (every warehouse table, the search index, every Arrow file of the work area),
their rows and a later row with their phone or email quarantined with the erasure reason, the
other customers as they were; a correction survives rebuilds; one-line errors for what cannot be done."""

from __future__ import annotations

import csv
import html
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from cli_helpers import query, unify

from search.snapshot import read_snapshot
from sources.erasure import ERASED_REASON

AS_OF = "2025-10-31"
KEY = "a-test-tombstone-key"
LATER_CALLS = "service/later_calls.csv"  # added after the erasure: a row with the person's phone, one of a stranger
LATER_TICKETS = "service/later_tickets.jsonl"  # added before the incremental run: the person's email
STRANGER_PHONE = "13312345678"


def _truth(path: Path) -> dict[str, set[tuple]]:
    people = defaultdict(set)
    with open(path, encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            people[r["person_id"]].add((r["source_file"], r["sheet"], int(r["row_number"])))
    return people


def _crosswalk(db: Path) -> dict[tuple, str]:
    rows = query(db, "select source_file, source_sheet, source_row, customer_id from customer_source_records")
    return {(f, s, r): c for f, s, r, c in rows}


def _person(crosswalk: dict[tuple, str], truth: dict[str, set[tuple]]) -> tuple[str, set[tuple]]:
    """A person of three or more records whose customer holds exactly their records, with a phone and an email."""
    records_of = defaultdict(set)
    for key, customer in crosswalk.items():
        records_of[customer].add(key)
    for rows in sorted(truth.values(), key=lambda r: (-len(r), sorted(r))):
        customers = {crosswalk.get(k) for k in rows}
        if len(customers) == 1 and None not in customers and records_of[next(iter(customers))] == rows:
            return next(iter(customers)), rows
    raise AssertionError("no person resolved exactly in the sample run")


def _cells(db: Path) -> dict[str, list[str]]:
    """Every table of the warehouse as the text of each of its rows."""
    tables = [t for (t,) in query(db, "select table_name from information_schema.tables where table_schema = 'main'")]
    return {t: [" | ".join(map(str, row)) for row in query(db, f'select * from "{t}"')] for t in tables}


def _work_files(work: Path) -> dict[str, pa.Table]:
    return {str(p.relative_to(work)): ipc.open_file(pa.memory_map(str(p))).read_all() for p in work.rglob("*.arrow")}


@pytest.fixture(scope="module")
def subject(tmp_path_factory, sample_sources, sample_truth):
    tmp = tmp_path_factory.mktemp("subjects")
    sources = tmp / "sources"
    shutil.copytree(sample_sources, sources)
    db, work = tmp / "w.duckdb", tmp / "work"
    url = f"duckdb:///{db}"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_MODEL"):
            mp.delenv(name, raising=False)
        mp.setenv("UNIFY_WORK_DIR", str(work))
        mp.setenv("UNIFY_TOMBSTONE_KEY", KEY)
        run = ["run", "--as-of", AS_OF, "--sources", str(sources), "--warehouse", url]
        assert unify(*run)[0] == 0
        before = _crosswalk(db)
        customer_id, rows = _person(before, _truth(sample_truth))
        golden_before = {r[0]: r for r in query(db, "select * from golden_customers order by customer_id")}
        person = query(db, f"select phone, email from customer_source_records where customer_id = '{customer_id}'")
        phones = sorted({p for p, _ in person if p})
        emails = sorted({e for _, e in person if e})

        exported = unify("subject", "export", customer_id, "--out", str(tmp / "export"), "--warehouse", url)
        erased = unify("subject", "erase", customer_id, "--warehouse", url)
        # a later export of the call centre: the person phones again, and so does a stranger
        national = phones[0].removeprefix("+86")
        (sources / LATER_CALLS).write_text(
            "工单号,创建时间,渠道,客户称呼,来电号码,关联订单号,类型,状态,满意度,问题描述\n"
            f"GD90001,2025/09/13 10:00,电话,回头客,{national[:3]} {national[3:7]} {national[7:]},,咨询,待处理,,再次来电\n"
            f"GD90002,2025/09/14 11:00,电话,赵女士,{STRANGER_PHONE},,咨询,待处理,,新客户\n",
            encoding="utf-8",
        )
        after_full = unify(*run)
        full = {"cells": _cells(db), "work": _work_files(work), "crosswalk": _crosswalk(db)}
        ticket = {
            "ticket_id": "HD-90001",
            "created_at": "2025-09-20T10:00:00+08:00",
            "channel": "email",
            "requester": {"name": "Someone", "email": emails[0].upper(), "phone": ""},
            "order_no": "",
            "type": "inquiry",
            "status": "open",
            "satisfaction": None,
            "unsubscribe": False,
            "subject": "hello again",
        }
        (sources / LATER_TICKETS).write_text(json.dumps(ticket) + "\n", encoding="utf-8")
        after_incremental = unify(*run, "--incremental")
        yield {
            "tmp": tmp,
            "db": db,
            "url": url,
            "work": work,
            "sources": sources,
            "customer_id": customer_id,
            "rows": rows,
            "phones": phones,
            "emails": emails,
            "before": before,
            "golden_before": golden_before,
            "exported": exported,
            "erased": erased,
            "after_full": after_full,
            "full": full,
            "after_incremental": after_incremental,
            "mp": mp,
        }


def test_export_holds_every_source_row_of_the_person_as_the_truth_has_them(subject):
    code, out, err = subject["exported"]
    assert code == 0, err
    folder, customer_id = subject["tmp"] / "export", subject["customer_id"]
    document = json.loads((folder / f"{customer_id}.json").read_text(encoding="utf-8"))
    lineage = {(r["source_file"], r["source_sheet"], r["source_row"]) for r in document["source_records"]}
    assert lineage == subject["rows"]
    assert {(r["source_file"], r["source_sheet"], r["source_row"]) for r in document["source_rows_as_read"]} == lineage
    assert document["golden_record"]["customer_id"] == customer_id
    assert {"customer_id_history", "golden_field_lineage"} <= set(document["tables"])
    page = (folder / f"{customer_id}.html").read_text(encoding="utf-8")
    assert all(f"<td>{row[0]}</td>" in page for row in lineage)  # every source row on the page
    assert customer_id in out and subject["phones"][0] not in out  # the terminal line names no personal data


def test_erase_then_full_and_incremental_runs_find_the_person_nowhere(subject):
    assert subject["erased"][0] == 0, subject["erased"][2]
    assert subject["after_full"][0] == 0, subject["after_full"][2]
    assert subject["after_incremental"][0] == 0, subject["after_incremental"][2]
    customer_id, values = subject["customer_id"], [*subject["phones"], *subject["emails"]]
    values += [p.removeprefix("+86") for p in subject["phones"]]
    for cells in (subject["full"]["cells"], _cells(subject["db"])):
        for table, rows in cells.items():
            allowed = table in ("subject_requests", "audit_log")  # receipts name the ID; nothing else does
            assert not [r for r in rows if customer_id in r and not allowed], table
            assert not [r for r in rows if any(v in r for v in values)], table
    for files in (subject["full"]["work"], _work_files(subject["work"])):
        for name, table in files.items():
            text = " ".join(map(str, table.to_pylist()))
            assert customer_id not in text and not any(v in text for v in values), name
            if "source_row" in table.column_names and "reason" not in table.column_names:
                keys = set(zip(*(table.column(c).to_pylist() for c in ("source_file", "source_sheet", "source_row"))))
                assert not keys & subject["rows"], name
    snapshot = read_snapshot(subject["url"])
    assert snapshot.customer(customer_id) is None
    assert not [h for p in subject["phones"] for h in snapshot.search(p)]
    assert not [h for e in subject["emails"] for h in snapshot.search(e)]


def test_the_persons_rows_and_later_rows_with_their_phone_or_email_are_quarantined(subject):
    quarantined = query(
        subject["db"], "select source_file, source_sheet, source_row, reason, raw from quarantined_records"
    )
    erased = {(f, s, r) for f, s, r, reason, raw in quarantined if reason == ERASED_REASON and raw is None}
    assert subject["rows"] <= erased
    assert (LATER_CALLS, "", 1) in erased  # another file, the same phone
    assert (LATER_TICKETS, "", 1) in erased  # the incremental run's new file, the same email
    assert erased == subject["rows"] | {(LATER_CALLS, "", 1), (LATER_TICKETS, "", 1)}
    stranger = query(subject["db"], f"select count(*) from customer_source_records where phone = '+86{STRANGER_PHONE}'")
    assert stranger == [(1,)]  # the stranger in the same file is a customer like any other
    report = subject["after_incremental"][1].rsplit("run report: ", 1)[1].strip()
    assert html.escape(ERASED_REASON) in Path(report).read_text(encoding="utf-8")  # the run report names the reason


def test_other_customers_are_as_they_were(subject):
    gone = subject["rows"]
    before = {k: c for k, c in subject["before"].items() if k not in gone}
    later = {LATER_CALLS, LATER_TICKETS}
    for crosswalk in (subject["full"]["crosswalk"], _crosswalk(subject["db"])):
        assert {k: c for k, c in crosswalk.items() if k[0] not in later} == before
    golden_now = {r[0]: r for r in query(subject["db"], "select * from golden_customers order by customer_id")}
    golden_before = {c: r for c, r in subject["golden_before"].items() if c != subject["customer_id"]}
    assert {c: golden_now[c] for c in golden_before} == golden_before


def test_requests_leave_receipts_without_personal_data(subject):
    rows = query(subject["db"], "select kind, customer_id, result, detail from subject_requests order by requested_at")
    assert [(k, c, r) for k, c, r, _ in rows][:2] == [
        ("export", subject["customer_id"], "done"),
        ("erase", subject["customer_id"], "done"),
    ]
    text = " ".join(d for *_, d in rows)
    assert not any(v in text for v in [*subject["phones"], *subject["emails"]])
    kinds = dict(query(subject["db"], "select kind, count(*) from subject_tombstones group by kind"))
    assert kinds["lineage"] == len(subject["rows"]) and kinds["phone"] >= 1 and kinds["email"] >= 1


def test_requests_for_unknown_customers_are_one_line_errors(subject):
    url, out = subject["url"], str(subject["tmp"] / "nowhere")
    for argv in (
        ("subject", "export", "C99999999", "--out", out),
        ("subject", "erase", "C99999999"),
        ("subject", "erase", subject["customer_id"]),  # erased already
        ("subject", "rectify", "C99999999", "--field", "email", "--value", "x@163.com"),
    ):
        code, _, err = unify(*argv, "--warehouse", url)
        assert code == 2 and err.count("\n") == 1 and "no customer" in err, (argv, err)
    assert not Path(out).exists()


def test_a_run_without_the_tombstone_key_refuses_to_start(subject):
    mp = subject["mp"]
    mp.setenv("UNIFY_TOMBSTONE_KEY", "another-key")
    try:
        code, _, err = unify("subject", "erase", "C00000001", "--warehouse", subject["url"])
        assert code == 2 and "not the key" in err and err.count("\n") == 1
        mp.delenv("UNIFY_TOMBSTONE_KEY")
        code, _, err = unify("run", "--sources", str(subject["sources"]), "--warehouse", subject["url"])
        assert code == 2 and "UNIFY_TOMBSTONE_KEY" in err and err.count("\n") == 1
    finally:
        mp.setenv("UNIFY_TOMBSTONE_KEY", KEY)


def test_a_correction_by_request_survives_full_and_incremental_runs(subject):
    url, db = subject["url"], subject["db"]
    customer_id = next(c for c in sorted(subject["golden_before"]) if c != subject["customer_id"])
    code, out, err = unify(
        "subject", "rectify", customer_id, "--field", "email", "--value", " New.Address@163.COM ", "--warehouse", url
    )
    assert code == 0, err
    code, _, err = unify(
        "subject", "rectify", customer_id, "--field", "email", "--value", "not an email", "--warehouse", url
    )
    assert code == 2 and err.count("\n") == 1
    run = ["run", "--as-of", AS_OF, "--sources", str(subject["sources"]), "--warehouse", url]
    for extra in ((), ("--incremental",)):
        assert unify(*run, *extra)[0] == 0
        assert query(db, f"select email from golden_customers where customer_id = '{customer_id}'") == [
            ("new.address@163.com",)
        ]
        assert query(
            db, f"select rule, value from golden_field_lineage where customer_id = '{customer_id}' and field = 'email'"
        ) == [("corrected by request", "new.address@163.com")]
