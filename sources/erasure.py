"""Erased people stay erased: source rows that an erasure's tombstones name go to quarantine.

An erasure (warehouse/subjects.py) keeps no data of the person, only tombstones: keyed hashes of
the lineage keys of their source rows and of their identifiers (standardised phones, emails,
WeChat IDs, national ids). A later run reads the same files again; every staged row whose lineage
key or identifier hashes to a tombstone is quarantined with ERASED_REASON instead of being staged,
so the person never comes back, nor does a new row that carries their phone or email.

The key is a secret kept outside the warehouse (UNIFY_TOMBSTONE_KEY): a copy of the warehouse
alone cannot tell whose phone a tombstone is by hashing every possible number.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from sources.canonical import _wechat, distinct_map
from sources.schema import LINEAGE_COLUMNS, QUARANTINE_SCHEMA
from sources.standardise.emails import normalise_email
from sources.standardise.phones import usable_phones

ERASED_REASON = "erased at the data subject's request"
LINEAGE_KIND = "lineage"
IDENTIFIER_KINDS = ("phone", "email", "wechat", "national_id")
_SEPARATOR = "\x1f"


class TombstoneKeyError(ValueError):
    """Tombstones cannot be made or honoured with the key at hand, said in one line."""


def key_id(key: str) -> str:
    """A fingerprint of the key, kept with each tombstone: a run with another key is refused
    rather than silently letting erased people back."""
    return hashlib.sha256(f"unify tombstone key{_SEPARATOR}{key}".encode()).hexdigest()[:16]


def tombstone_hash(key: str, kind: str, value: str) -> str:
    """The keyed hash of one identifier or lineage key: what a tombstone holds instead of it."""
    return hashlib.sha256(_SEPARATOR.join((key, kind, value)).encode()).hexdigest()


def lineage_value(source_file: str, source_sheet: str | None, source_row: int) -> str:
    return _SEPARATOR.join((source_file, source_sheet or "", str(int(source_row))))


def national_id_value(raw: str | None) -> str | None:
    """A national id as linkage compares it (linkage/features.py): upper case, letters and digits only."""
    return re.sub(r"[^0-9A-Z]", "", raw.upper()) or None if raw else None


def identifiers(phones: Iterable[str] = (), email=None, wechat=None, national_id=None) -> set[tuple[str, str]]:
    """(kind, standardised value) of one record's identifiers, as a tombstone names them."""
    found = {("phone", p) for p in phones if p}
    found |= {(kind, value) for kind, value in (("email", email), ("wechat", wechat)) if value}
    nid = national_id_value(national_id)
    return found | ({("national_id", nid)} if nid else set())


def staged_identifiers(staged: pa.Table) -> list[set[tuple[str, str]]]:
    """Each staged row's identifiers, standardised as the canonical records standardise them."""
    column = lambda name: staged.column(name).to_pylist()  # noqa: E731
    phones = distinct_map(column("phone"), lambda v: usable_phones(v) if v else ())
    emails = distinct_map(column("email"), normalise_email)
    wechats = [_wechat(w, p[0] if p else None) for w, p in zip(column("wechat"), phones)]
    return [identifiers(*row) for row in zip(phones, emails, wechats, column("national_id"))]


def erased_mask(staged: pa.Table, key: str, tombstones: frozenset[str]) -> pa.Array:
    """For each staged row: does a tombstone name its lineage key or one of its identifiers?"""
    if not tombstones or staged.num_rows == 0:
        return pa.array([False] * staged.num_rows, pa.bool_())
    keys = zip(*(staged.column(c).to_pylist() for c in LINEAGE_COLUMNS))
    named = [
        tombstone_hash(key, LINEAGE_KIND, lineage_value(*lineage)) in tombstones
        or any(tombstone_hash(key, kind, value) in tombstones for kind, value in found)
        for lineage, found in zip(keys, staged_identifiers(staged))
    ]
    return pa.array(named, pa.bool_())


def quarantine_rows(staged: pa.Table, mask: pa.Array) -> tuple[pa.Table, pa.Table, Counter]:
    """(the rows kept, quarantine rows for the others, how many left each source_file): the
    quarantine rows carry the lineage key and ERASED_REASON, never the row itself."""
    gone = staged.filter(mask)
    rows = pa.table(
        {
            **{c: gone.column(c) for c in LINEAGE_COLUMNS},
            "reason": pa.array([ERASED_REASON] * gone.num_rows, pa.string()),
            "raw": pa.nulls(gone.num_rows, pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )
    return staged.filter(pc.invert(mask)), rows, Counter(gone.column("source_file").to_pylist())


def recount(reports: pa.Table, moved: Counter) -> pa.Table:
    """The file reports with `moved` rows per source_file counted as quarantined, not staged:
    rows read still equal staged plus quarantined."""
    if not moved:
        return reports
    files = reports.column("source_file").to_pylist()
    n = [moved.get(f, 0) for f in files]
    staged = [s - k for s, k in zip(reports.column("staged").to_pylist(), n)]
    quarantined = [q + k for q, k in zip(reports.column("quarantined").to_pylist(), n)]
    reports = reports.set_column(reports.schema.get_field_index("staged"), "staged", pa.array(staged, pa.int64()))
    index = reports.schema.get_field_index("quarantined")
    return reports.set_column(index, "quarantined", pa.array(quarantined, pa.int64()))


def quarantine_erased(
    staged: pa.Table, quarantined: pa.Table, reports: pa.Table, key: str, tombstones: frozenset[str]
) -> tuple[pa.Table, pa.Table, pa.Table, int]:
    """(staged, quarantined, file reports, rows erased): the rows the tombstones name moved from
    staged to quarantine. Without tombstones, the tables themselves."""
    mask = erased_mask(staged, key, tombstones)
    if not pc.any(mask).as_py():
        return staged, quarantined, reports, 0
    kept, rows, moved = quarantine_rows(staged, mask)
    return kept, pa.concat_tables([quarantined, rows]), recount(reports, moved), rows.num_rows
