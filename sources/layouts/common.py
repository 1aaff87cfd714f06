"""What every platform layout shares: a header signature, a row -> record function, cell helpers.

A platform's export is recognised by the columns only it writes, never by the file's name: a
layout lists groups of header texts, and a header matches when every group has one of its texts
(compared NFKC-folded, lower-cased, without spaces, underscores or colons). The record function
reads a `Row` by header text and returns the staged fields the platform gives; the reader adds
lineage and quarantines a row that names nobody (sources/reading.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from sources.reading import clean_cell
from sources.standardise.dates import parse_datetime
from sources.synonyms import header_key


@lru_cache(maxsize=4096)
def column_key(text) -> str:
    """The comparable form of a header cell: 'Billing First Name' == 'billing_first_name'."""
    return header_key(unicodedata.normalize("NFKC", str(text or "")).strip().lstrip("\ufeff"))


# Exports keep long numbers as text with ="…", a leading apostrophe or a tab (Excel would turn
# 3000000903143415475 into 3.0E+18); the wrapper is not part of the value.
_EXCEL_TEXT_RE = re.compile(r'^="(.*)"$', re.DOTALL)


def cell(value) -> str | None:
    """A cell as clean text: Excel text wrappers removed, blanks and null placeholders None."""
    if isinstance(value, str):
        text = value.strip()
        wrapped = _EXCEL_TEXT_RE.match(text)
        value = (wrapped.group(1) if wrapped else text).lstrip("'\t")
    return clean_cell(value)


class Row:
    """One data row read by header text; with several texts, the first one present wins."""

    __slots__ = ("values",)

    def __init__(self, keys: list[str], cells: Iterable):
        self.values: dict[str, str] = {}
        for key, value in zip(keys, cells):
            text = cell(value)
            if text is not None and text.strip("*＊") == "":
                text = None  # '****': the platform hid the value
            if key and text is not None and key not in self.values:  # a repeated column: the first
                self.values[key] = text

    def get(self, *headers: str) -> str | None:
        for header in headers:
            value = self.values.get(column_key(header))
            if value is not None:
                return value
        return None


@dataclass(frozen=True)
class Layout:
    name: str  # the file's source_format, e.g. "jd"
    source_system: str  # the label carried to lineage and golden_customers.source_systems
    requires: tuple[tuple[str, ...], ...]  # each group: one of these headers must be present
    record: Callable[[Row], dict]
    excludes: tuple[str, ...] = ()  # headers that say it is another platform's export

    def matches(self, keys: set[str]) -> bool:
        if any(column_key(h) in keys for h in self.excludes):
            return False
        return all(any(column_key(h) in keys for h in group) for group in self.requires)

    def describe(self) -> str:
        return f"{self.name} ({' + '.join('/'.join(group) for group in self.requires)})"


# ---------------------------------------------------------------- cell helpers

_AMOUNT_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
# A field the platform encrypted for privacy (Douyin, Youzan open API): "$Qn/ZHaMby1MzB...$1$",
# "#5kR3...#", "~Yx1...~". It identifies nobody and must not be compared.
_ENCRYPTED_RE = re.compile(r"^[#$~][A-Za-z0-9+/=]{8,}[#$~](?:\d+[#$~]?)?$")


def amount(text: str | None) -> float | None:
    """'¥1,234.50' -> 1234.5; '499.00（系统计算中，该值仅供参考）' -> 499.0 (a platform's footnote)."""
    if not text:
        return None
    found = _AMOUNT_RE.search(text.replace("¥", "").replace("$", "").replace("￥", ""))
    return float(found.group(0).replace(",", "")) if found else None


def is_encrypted(text: str | None) -> bool:
    return bool(text) and bool(_ENCRYPTED_RE.match(text))


def plain(text: str | None, flags: list[str], name: str) -> str | None:
    """The value unless the platform encrypted it; an encrypted one is dropped and flagged."""
    if is_encrypted(text):
        flags.append(f"{name}_encrypted")
        return None
    return text


def joined(*parts: str | None, sep: str = " ") -> str | None:
    """The present parts joined, each once, in order."""
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return sep.join(seen) or None


def phones(*values: str | None) -> str | None:
    """Several phone columns as one cell the phone standardiser splits: 'a / b'."""
    return joined(*values, sep=" / ")


def cn_address(*parts: str | None) -> str | None:
    """Province, city, district, street and detail columns (the last one the detailed address) as
    one address string, without the parts the detailed address already holds: platforms differ."""
    *prefix, detail = parts
    return joined(*(p for p in prefix if p and not (detail and p in detail)), detail)


def item(name: str | None, quantity: str | None) -> str | None:
    if not name:
        return None
    return f"{name} x{quantity}" if quantity and quantity not in ("1", "1.0") else name


def event(*values: str | None):
    """The first value that parses as a timestamp."""
    for value in values:
        moment = parse_datetime(value) if value else None
        if moment:
            return moment
    return None


def prefixed(system: str, value: str | None) -> str | None:
    """An id that is exact within one platform: 'zendesk:381'."""
    return f"{system}:{value}" if value else None


def flagged(flags: list[str]) -> str | None:
    return ";".join(flags) or None
