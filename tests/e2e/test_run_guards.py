"""`unify run` guarding what it publishes, on the fixture sources through the command line: it
prints every check that did not simply pass; it refuses to publish a run that lost more than 5%
of its records or customers unless told `--allow-shrink`, and then retires the vanished
customers; the marts are measured at the run's date, and a record dated later is flagged."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest
from cli_helpers import unify

from assets import work_tables
from assets.resources import WorkArea

AS_OF = "2025-10-31"
# a salesperson's typo: a contact dated 2031 (the sheet writes dates day first)
FUTURE_ROW = "Future Typo,13900001111,,,上海市,,15/06/2031,,\n"
TMALL = "shop/tmall_orders_2025.csv"
LIVE = """select (select count(*) from golden_customers), (select count(*) from customer_source_records),
                 (select count(*) from pipeline_runs)"""
AS_OF_OF_MARTS = (
    "select distinct as_of::varchar from customer_value union select distinct as_of::varchar from upcoming_birthdays"
)


def _isolate(mp: pytest.MonkeyPatch, tmp) -> None:
    """The command writes UNIFY_SOURCES and UNIFY_WAREHOUSE into the environment: set them here
    first, so they are put back afterwards."""
    mp.chdir(tmp)
    for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_MODEL", "UNIFY_TRUTH"):
        mp.setenv(name, "")
        mp.delenv(name)
    mp.setenv("UNIFY_WORK_DIR", str(tmp / "work"))
    mp.setenv("UNIFY_REPORTS_DIR", str(tmp / "reports"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sample_sources):
    tmp = tmp_path_factory.mktemp("guards")
    sources = tmp / "sources"
    shutil.copytree(sample_sources, sources)
    with open(sources / "sales" / "陈静.csv", "a", encoding="utf-8") as sheet:
        sheet.write(FUTURE_ROW)
    db = tmp / "warehouse.duckdb"
    common = ["--sources", str(sources), "--warehouse", f"duckdb:///{db}"]

    def query(sql: str) -> list[tuple]:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(sql).fetchall()

    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, tmp)
        first = unify("run", *common, "--as-of", AS_OF)
        first_as_of = query(AS_OF_OF_MARTS)
        ids_before = {c for (c,) in query("select customer_id from golden_customers")}
        live_before = query(LIVE)
        (sources / TMALL).unlink()  # the export went missing
        refused = unify("run", *common, "--as-of", AS_OF)
        live_after_refusal = query(LIVE)
        allowed = unify("run", *common, "--allow-shrink")  # and the run's date is today
        ids_after = {c for (c,) in query("select customer_id from golden_customers")}
    return {
        "first": first,
        "refused": refused,
        "allowed": allowed,
        "query": query,
        "ids_before": ids_before,
        "ids_after": ids_after,
        "live_before": live_before,
        "first_as_of": first_as_of,
        "live_after_refusal": live_after_refusal,
        "work": WorkArea(path=str(tmp / "work")),
    }


def test_the_first_run_publishes_and_says_accuracy_was_not_checked(runs):
    code, out, _ = runs["first"]
    assert code == 0 and "published" in out
    assert "  skipped: accuracy_against_truth: no truth file" in out.splitlines()
    assert "passed" not in out


def test_a_run_that_lost_an_export_is_refused_with_the_reason_and_the_way_to_allow_it(runs):
    code, out, err = runs["refused"]
    assert code == 1 and out == ""
    assert runs["live_after_refusal"] == runs["live_before"]  # the previous tables stay live, no run row
    refusal = [line for line in err.splitlines() if line.startswith("unify: not published: the staged records fell by")]
    assert len(refusal) == 1 and "more than the allowed 5%" in refusal[0] and "unify run --allow-shrink" in refusal[0]
    assert any(line.startswith("  blocked: records_not_shrunk: last_publish=") for line in err.splitlines())


def test_allowed_to_shrink_it_publishes_prints_the_warnings_and_retires_the_vanished_customers(runs):
    code, out, _ = runs["allowed"]
    assert code == 0 and "published" in out
    warnings = [line for line in out.splitlines() if line.startswith("  warning: ")]
    # the records always fell by a third; the customers by more than 5% or not, as the linkage regroups the rest
    customers_fell = len(runs["ids_after"]) < 0.95 * len(runs["ids_before"])
    shrink_warnings = {"records_not_shrunk", *(["customers_not_shrunk"] if customers_fell else [])}
    assert {w.split(":")[1].strip() for w in warnings if "_not_shrunk" in w} == shrink_warnings
    assert all("share_lost=" in w and "allow_shrink=True" in w for w in warnings if "_not_shrunk" in w)
    vanished = runs["ids_before"] - runs["ids_after"]
    assert vanished
    (run_id,) = runs["query"]("select run_id from pipeline_runs order by finished_at desc limit 1")[0]
    retired = runs["query"]("select customer_id, run_id from customer_id_history where event = 'retired'")
    assert {c for c, _ in retired} == vanished and {r for _, r in retired} == {run_id}
    merged = runs["query"]("select customer_id from customer_id_history where event = 'merged'")
    assert not vanished & {c for (c,) in merged}


def test_what_the_command_prints_holds_no_personal_data(runs):
    canonical = runs["work"].read(work_tables.CANONICAL, columns=["email_std", "phone_e164", "phone_display"])
    personal = {v for column in canonical.columns for v in column.to_pylist() if v}
    printed = "".join(out + err for _, out, err in (runs["first"], runs["refused"], runs["allowed"]))
    assert personal and not [v for v in personal if v in printed]


def test_the_marts_are_measured_at_the_runs_date_and_a_later_record_is_flagged(runs):
    # the last run had no --as-of: its date is today's; the 2031 row moved nothing
    today = date.today().isoformat()
    assert runs["query"]("select distinct as_of::varchar from customer_value") == [(today,)]
    assert runs["query"]("select distinct as_of::varchar from upcoming_birthdays") in ([(today,)], [])
    flagged = runs["query"](
        "select name, quality_flags from customer_source_records where quality_flags like '%event_in_future%'"
    )
    assert flagged == [("Future Typo", "event_in_future")]


def test_as_of_pins_the_runs_date(runs, tmp_path, monkeypatch):
    assert runs["first_as_of"] == [(AS_OF,)]
    _isolate(monkeypatch, tmp_path)
    code, _, err = unify("run", "--sources", str(tmp_path), "--as-of", "31/10/2025")
    assert (code, err.strip()) == (2, "unify: --as-of takes a date YYYY-MM-DD, not '31/10/2025'")
