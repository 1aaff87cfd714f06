"""Dates: every format the sources use, day/month order, Excel serials, plausible birthdays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.standardise.dates import (
    infer_day_month_order,
    is_ambiguous_day_month,
    parse_date,
    parse_datetime,
    plausible_birth_date,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-01-02", date(2025, 1, 2)),
        ("2025/1/2", date(2025, 1, 2)),
        ("2025/01/02", date(2025, 1, 2)),
        ("2025年01月02日", date(2025, 1, 2)),
        ("2025年1月2日", date(2025, 1, 2)),
        ("2025.01.02", date(2025, 1, 2)),
        ("20250102", date(2025, 1, 2)),
        (20250102, date(2025, 1, 2)),
        ("２０２５－０１－０２", date(2025, 1, 2)),
        ("2023-09-15T08:23:26+08:00", date(2023, 9, 15)),
        ("2023-06-21 16:29:24 +0800", date(2023, 6, 21)),
        ("2 Jan 2025", date(2025, 1, 2)),
        ("January 2, 2025", date(2025, 1, 2)),
        (date(2020, 5, 6), date(2020, 5, 6)),
        (datetime(2020, 5, 6, 23, 59), date(2020, 5, 6)),
        # Excel serials (1900 system): numbers and digit strings, as sales sheets hold them
        (45919, date(2025, 9, 19)),
        (45919.75, date(2025, 9, 19)),
        ("45919", date(2025, 9, 19)),
        ("28258", date(1977, 5, 13)),
        (3654, date(1910, 1, 1)),
        # samples
        ("1964年11月19日", date(1964, 11, 19)),
        ("30/08/2025", date(2025, 8, 30)),  # day > 12 settles the order
        ("08/29/1986", date(1986, 8, 29)),  # month-first, same
        ("03/03/2025", date(2025, 3, 3)),  # both orders agree
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "  ",
        "abc",
        "2025-02-30",
        "2025-13-01",
        "02/01/2025",
        "1/2/25",
        1234,
        100000,
        "99999",
        True,
        False,
        float("nan"),
        float("inf"),
        "2025",
        "13/13/2025",
        [2025, 1, 2],
    ],
)
def test_unparseable_or_ambiguous_dates(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "value, order, expected",
    [
        ("02/01/2025", "DMY", date(2025, 1, 2)),
        ("02/01/2025", "MDY", date(2025, 2, 1)),
        ("02.01.2025", "DMY", date(2025, 1, 2)),
        ("30/08/2025", "MDY", date(2025, 8, 30)),  # impossible month wins over the hint
        ("08/29/1986", "DMY", date(1986, 8, 29)),
    ],
)
def test_day_month_order(value, order, expected):
    assert parse_date(value, order) == expected


@pytest.mark.parametrize(
    "values, expected",
    [
        (["30/08/2025", "06/01/2023", "09/02/2024"], "DMY"),  # 陈静.csv Last contact
        (["08/29/1986", "11/06/1993", "07/02/1957"], "MDY"),  # 陈静.csv Birthday
        (["01/02/2020", "03/04/2021"], None),
        (["13/01/2020", "01/13/2020"], None),  # contradictory
        ([None, 45000, "2025-01-01", datetime(2020, 1, 1)], None),
        ([], None),
    ],
)
def test_infer_day_month_order(values, expected):
    assert infer_day_month_order(values) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("03/04/2025", True),
        ("3.4.2025", True),
        ("03/03/2025", False),
        ("13/04/2025", False),
        ("2025-03-04", False),
        (45000, False),
        (None, False),
    ],
)
def test_is_ambiguous_day_month(value, expected):
    assert is_ambiguous_day_month(value) is expected


TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(1990, 5, 17), date(1990, 5, 17)),
        (date(2000, 1, 1), date(2000, 1, 1)),  # kept: a real birthday often enough
        (date(2025, 6, 1), date(2025, 6, 1)),
        (date(1905, 6, 1), date(1905, 6, 1)),
        (date(1900, 1, 1), None),
        (date(1901, 1, 1), None),
        (date(1970, 1, 1), None),
        (date(2025, 6, 2), None),  # the future
        (date(1904, 6, 1), date(1904, 6, 1)),  # 121 years ago: a register's, a genealogy's
        (date(1850, 1, 1), date(1850, 1, 1)),
        (date(1849, 12, 31), None),  # a mistyped year, not a birth
        (None, None),
    ],
)
def test_plausible_birth_date(value, expected):
    assert plausible_birth_date(value, TODAY) == expected


def test_plausible_birth_date_defaults_to_today():
    assert plausible_birth_date(date.today() + timedelta(days=1)) is None
    assert plausible_birth_date(date(1990, 1, 2)) == date(1990, 1, 2)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2023-02-23 12:53:50", datetime(2023, 2, 23, 12, 53, 50)),  # Tmall
        ("2025/02/13 18:39", datetime(2025, 2, 13, 18, 39)),  # call centre
        ("2023-09-15T08:23:26+08:00", datetime(2023, 9, 15, 8, 23, 26)),  # helpdesk: China time as written
        ("2023-06-21 16:29:24 +0800", datetime(2023, 6, 21, 16, 29, 24)),  # Shopify
        ("2023-09-15T00:23:26Z", datetime(2023, 9, 15, 8, 23, 26)),  # other offsets become China time
        ("2023-09-15T23:23:26Z", datetime(2023, 9, 16, 7, 23, 26)),
        ("2023-09-15T08:23:26-05:00", datetime(2023, 9, 15, 21, 23, 26)),
        ("2023-09-15T08:23:26.123456+08:00", datetime(2023, 9, 15, 8, 23, 26, 123456)),
        ("2025-01-02", datetime(2025, 1, 2)),
        (45919.75, datetime(2025, 9, 19, 18, 0)),
        (datetime(2023, 9, 15, 0, 23, tzinfo=UTC), datetime(2023, 9, 15, 8, 23)),
        (date(2025, 1, 2), datetime(2025, 1, 2)),
        ("30/08/2025 10:15", datetime(2025, 8, 30, 10, 15)),
        ("2023-02-23 25:00:00", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_parse_datetime(value, expected):
    assert parse_datetime(value) == expected


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none(), st.dates(), st.datetimes()))
def test_any_value(value):
    parsed = parse_date(value)
    assert parsed is None or isinstance(parsed, date)
    moment = parse_datetime(value)
    assert moment is None or moment.tzinfo is None
    is_ambiguous_day_month(value)


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(1910, 1, 1), max_value=date(2099, 12, 31)))
def test_round_trips(d):
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日") == d
    assert parse_date(d.strftime("%d/%m/%Y"), "DMY") == d
    assert parse_date(d.strftime("%m/%d/%Y"), "MDY") == d
    assert parse_date((d - date(1899, 12, 30)).days) == d
