"""Dates and timestamps as the sources write them: ISO, slashes, 年月日, Excel serials.

Decisions:
* Day/month order of "02/01/2025" is not guessed: it needs order="DMY"/"MDY" unless one part is
  > 12. Two-digit years are not accepted (too ambiguous for birth dates).
* Timestamps with an offset are converted to China time (UTC+8) and returned naive; the sources'
  naive timestamps are already China local time, so all event times share one clock.
* Placeholder birth dates: 1900-01-01, 1901-01-01 and 1970-01-01 (system defaults). 2000-01-01
  is kept: it is a real birthday often enough, and is not a default in the sources seen.
* A birth date is kept however long ago, back to 1850: registers, genealogies and benchmark sets
  hold people born over 120 years ago, and two records written with the same date agree whatever
  the person's age. An earlier year is a typo (1024, 0190), not a birth.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

EXCEL_EPOCH = datetime(1899, 12, 30)  # 1900 date system, after Lotus' 1900-02-29 bug
EXCEL_MIN_SERIAL = 3654  # 1910-01-01
EXCEL_MAX_SERIAL = 73051  # 2100-01-01
CHINA_TZ = timezone(timedelta(hours=8))
PLACEHOLDER_BIRTH_DATES = frozenset({date(1900, 1, 1), date(1901, 1, 1), date(1970, 1, 1)})
EARLIEST_BIRTH_DATE = date(1850, 1, 1)

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ]
    )
    for m in names.split()
}

_TIME = r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,6})\d*)?)?)?"
_ZONE = r"\s*(?P<Z>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
_YMD_RE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _TIME + _ZONE + "$", re.IGNORECASE
)
_AB_Y_RE = re.compile(
    r"^(?P<a>\d{1,2})\s*[/.\-]\s*(?P<b>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})" + _TIME + _ZONE + "$", re.IGNORECASE
)
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL_RE = re.compile(r"^\d{4,5}(?:\.\d+)?$")
_D_MON_Y_RE = re.compile(
    r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-]+(?P<mon>[a-z]+)\.?,?[\s\-]+(?P<y>\d{4})$", re.IGNORECASE
)
_MON_D_Y_RE = re.compile(r"^(?P<mon>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})$", re.IGNORECASE)


# ---------------------------------------------------------------- public API


def parse_date(value, order: str | None = None) -> date | None:
    moment = _parse(value, order)
    return moment.date() if moment else None


def parse_datetime(value, order: str | None = None) -> datetime | None:
    """Naive China local time; a date alone gives midnight. order as for parse_date."""
    return _parse(value, order)


def infer_day_month_order(values) -> str | None:
    """ "DMY" if some first part is > 12, "MDY" if some second part is; None if neither or both."""
    first_big = second_big = False
    for value in values:
        parts = _day_month_parts(value)
        if parts:
            first_big |= parts[0] > 12
            second_big |= parts[1] > 12
    if first_big == second_big:
        return None
    return "DMY" if first_big else "MDY"


def is_ambiguous_day_month(value) -> bool:
    parts = _day_month_parts(value)
    return bool(parts) and parts[0] <= 12 and parts[1] <= 12 and parts[0] != parts[1]


def plausible_birth_date(d: date | None, today: date | None = None) -> date | None:
    if d is None:
        return None
    today = today or date.today()
    if d > today or d < EARLIEST_BIRTH_DATE or d in PLACEHOLDER_BIRTH_DATES:
        return None
    return d


# ---------------------------------------------------------------- parsing


def _parse(value, order: str | None) -> datetime | None:
    if value is None or isinstance(value, bool) or _is_missing(value):
        return None
    if isinstance(value, datetime):
        return _to_china_naive(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, numbers.Real):
        return _from_number(value)
    if isinstance(value, str):
        return _from_iso(value) or _from_text(unicodedata.normalize("NFKC", value).strip(), order)
    return None


def _from_iso(text: str) -> datetime | None:
    """Fast path for the ISO timestamps most exports write (2025-01-02 10:00:00, ...T...+08:00)."""
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return _to_china_naive(datetime.fromisoformat(text))
    except ValueError:
        return None


def _is_missing(value) -> bool:
    """NaN and pandas' NaT: the only values not equal to themselves."""
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _from_number(value) -> datetime | None:
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return None
    if number == int(number) and _COMPACT_RE.match(str(int(number))):
        return _from_text(str(int(number)), None)  # 20250102 stored as a number
    return _from_serial(number)


def _from_serial(serial: float) -> datetime | None:
    if not EXCEL_MIN_SERIAL <= serial < EXCEL_MAX_SERIAL:
        return None
    return EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def _from_text(text: str, order: str | None) -> datetime | None:
    if not text:
        return None
    if match := _COMPACT_RE.match(text):
        return _build(match["y"], match["m"], match["d"])
    if _SERIAL_RE.match(text):
        return _from_serial(float(text))
    if match := _YMD_RE.match(text):
        return _build(match["y"], match["m"], match["d"], match)
    if match := _AB_Y_RE.match(text):
        day_month = _resolve_day_month(int(match["a"]), int(match["b"]), order)
        return _build(match["y"], day_month[1], day_month[0], match) if day_month else None
    return _from_month_name(text)


def _from_month_name(text: str) -> datetime | None:
    match = _D_MON_Y_RE.match(text) or _MON_D_Y_RE.match(text)
    if not match or match["mon"].lower() not in MONTHS:
        return None
    return _build(match["y"], MONTHS[match["mon"].lower()], match["d"])


def _resolve_day_month(a: int, b: int, order: str | None) -> tuple[int, int] | None:
    """(day, month) from the two leading parts; an impossible month settles the order."""
    if a > 12 or (a == b):
        return a, b
    if b > 12:
        return b, a
    if order == "DMY":
        return a, b
    if order == "MDY":
        return b, a
    return None


def _build(year, month, day, match: re.Match | None = None) -> datetime | None:
    try:
        moment = datetime(int(year), int(month), int(day), *_time_of(match))
    except (ValueError, TypeError):
        return None
    zone = match["Z"] if match else None
    return _to_china_naive(moment.replace(tzinfo=_zone(zone))) if zone else moment


def _time_of(match: re.Match | None) -> tuple[int, int, int, int]:
    if not match or match["H"] is None:
        return 0, 0, 0, 0
    micro = int((match["F"] or "0").ljust(6, "0"))
    return int(match["H"]), int(match["M"]), int(match["S"] or 0), micro


def _zone(text: str) -> timezone:
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _to_china_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(CHINA_TZ).replace(tzinfo=None)


def _day_month_parts(value) -> tuple[int, int] | None:
    if not isinstance(value, str):
        return None
    match = _AB_Y_RE.match(unicodedata.normalize("NFKC", value).strip())
    return (int(match["a"]), int(match["b"])) if match else None
