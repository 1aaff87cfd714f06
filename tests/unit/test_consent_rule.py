"""The least-permissive rule per channel (linkage/consent.py), on statements as records carry them."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from linkage.consent import customer_consent, everywhere
from sources.standardise.consent import CHANNELS

TODAY = date(2025, 6, 1)
SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("source_system", pa.string()),
        ("source_file", pa.string()),
        ("source_sheet", pa.string()),
        ("source_row", pa.int64()),
        ("event_at", pa.timestamp("us")),
        ("consent", pa.string()),
    ]
)


def _records(*statements: tuple[str, datetime | None]) -> pa.Table:
    """One record per (consent cell, date), all of customer C1, numbered by row."""
    return pa.Table.from_pylist(
        [
            {
                "customer_id": "C1",
                "source_system": "s",
                "source_file": "f.csv",
                "source_sheet": "",
                "source_row": i,
                "event_at": at,
                "consent": cell,
            }  # fmt: skip
            for i, (cell, at) in enumerate(statements, start=1)
        ],
        schema=SCHEMA,
    )


def _status(*statements, today: date = TODAY) -> dict[str, tuple[str, int]]:
    """channel -> (status, row of the deciding statement)"""
    rows = customer_consent(_records(*statements), today).to_pylist()
    return {r["channel"]: (r["status"], r["source_row"]) for r in rows}


def test_no_sms_leaves_the_other_channels_alone():
    assert _status(("sms:opt_out", datetime(2024, 1, 1))) == {"sms": ("opted_out", 1)}


def test_a_statement_for_all_covers_every_channel():
    assert _status(("all:opt_out", datetime(2024, 1, 1))) == {c: ("opted_out", 1) for c in CHANNELS}


def test_a_later_opt_in_in_the_same_channel_lifts_the_opt_out():
    assert _status(("sms:opt_out", datetime(2024, 1, 1)), ("sms:opt_in", datetime(2024, 6, 1))) == {
        "sms": ("opted_in", 2)
    }


def test_nothing_else_lifts_an_opt_out():
    out = ("sms:opt_out", datetime(2024, 1, 1))
    assert _status(out, ("email:opt_in", datetime(2024, 6, 1)))["sms"] == ("opted_out", 1)  # another channel
    assert _status(out, ("sms:opt_in", datetime(2023, 6, 1)))["sms"] == ("opted_out", 1)  # an older opt-in
    assert _status(out, ("sms:opt_in", datetime(2024, 1, 1)))["sms"] == ("opted_out", 1)  # same date: no wins
    assert _status(out, ("sms:opt_in", None))["sms"] == ("opted_out", 1)  # an undated opt-in
    # a general yes does not lift a request about one channel (營销许可 是 after "no SMS")
    assert _status(out, ("all:opt_in", datetime(2024, 6, 1)))["sms"] == ("opted_out", 1)
    assert _status(("sms:opt_out", None), ("sms:opt_in", datetime(2025, 1, 1)))["sms"] == ("opted_out", 1)


def test_an_opt_in_for_one_channel_lifts_a_general_opt_out_there_only():
    found = _status(("all:opt_out", datetime(2024, 1, 1)), ("email:opt_in", datetime(2024, 6, 1)))
    assert found["email"] == ("opted_in", 2)
    assert {found[c] for c in CHANNELS if c != "email"} == {("opted_out", 1)}
    lifted = _status(("all:opt_out", datetime(2024, 1, 1)), ("all:opt_in", datetime(2024, 6, 1)))
    assert lifted == {c: ("opted_in", 2) for c in CHANNELS}


def test_a_withdrawal_refuses_and_a_later_opt_out_stands_after_an_opt_in():
    assert _status(("email:withdrawal", datetime(2024, 1, 1)))["email"] == ("opted_out", 1)
    found = _status(
        ("email:opt_out", datetime(2023, 1, 1)),
        ("email:opt_in", datetime(2024, 1, 1)),
        ("email:opt_out", datetime(2025, 1, 1)),
    )
    assert found["email"] == ("opted_out", 3)  # the first refusal was lifted; the last one stands


def test_expired_statements_stop_counting():
    opt_in_until = "sms:opt_in@2024-06-01T00:00:00~2025-01-01T00:00:00"
    assert _status(("sms:opt_out", datetime(2024, 1, 1)), (opt_in_until, None)) == {"sms": ("opted_out", 1)}
    assert _status(("sms:opt_out", datetime(2024, 1, 1)), (opt_in_until, None), today=date(2024, 12, 1)) == {
        "sms": ("opted_in", 2)
    }
    assert _status(("email:opt_in~2025-01-01T00:00:00", datetime(2024, 1, 1))) == {}


def test_the_source_date_of_a_statement_wins_over_the_records_date():
    # the record is dated 2025 (an order), the consent change was 2023: the 2024 opt-out is later
    found = _status(("sms:opt_in@2023-01-01T00:00:00", datetime(2025, 1, 1)), ("sms:opt_out", datetime(2024, 1, 1)))
    assert found["sms"] == ("opted_out", 2)


def test_the_deciding_statement_and_its_date():
    rows = customer_consent(
        _records(
            ("sms:opt_out", datetime(2024, 3, 1)),
            ("sms:opt_out", datetime(2024, 1, 1)),
            ("email:opt_in", datetime(2024, 2, 1)),
        ),
        TODAY,
    ).to_pylist()
    sms, email = (next(r for r in rows if r["channel"] == c) for c in ("sms", "email"))
    assert (sms["since"], sms["source_row"], sms["kind"], sms["purpose"]) == (
        datetime(2024, 1, 1),
        2,
        "opt_out",
        "marketing",
    )
    assert (email["status"], email["since"], email["stated_for"]) == ("opted_in", datetime(2024, 2, 1), "email")


def test_opted_out_everywhere_only_when_every_channel_is():
    assert everywhere(customer_consent(_records(("sms:opt_out", datetime(2024, 1, 1))), TODAY)).num_rows == 0
    (row,) = everywhere(customer_consent(_records(("all:opt_out", datetime(2024, 1, 1))), TODAY)).to_pylist()
    assert row["marketing_opt_out_at"] == datetime(2024, 1, 1) and row["marketing_opt_out_source"] == "s:f.csv::1"
    lifted = _records(("all:opt_out", datetime(2024, 1, 1)), ("email:opt_in", datetime(2024, 6, 1)))
    assert everywhere(customer_consent(lifted, TODAY)).num_rows == 0


def test_no_statement_no_row():
    assert customer_consent(_records((None, datetime(2024, 1, 1))), TODAY).num_rows == 0
    assert customer_consent(_records(), TODAY).num_rows == 0


def test_one_cell_stating_a_channel_twice_on_one_day_is_decided_by_its_own_channel():
    cell = "all:opt_out@2024-01-01;sms:opt_out@2024-01-01"
    for records in (_records((cell, None)), _records((";".join(reversed(cell.split(";"))), None))):
        rows = {r["channel"]: r["stated_for"] for r in customer_consent(records, TODAY).to_pylist()}
        assert rows["sms"] == "sms" and rows["email"] == "all"
