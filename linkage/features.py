"""Features: canonical records -> the columns linkage reads, with generic values blanked.

Every comparison, blocking rule and deterministic key reads these columns, whichever engine scores.
"""

from __future__ import annotations

import re

import pyarrow as pa

from common.arrow_sql import connection
from common.sets import outside, within
from linkage.profile import generic_values, without_generic_values

# The columns linkage reads, built from canonical records by link_records below.
LINK_COLUMNS = (
    "record_id",
    "source_system",
    "name_full",
    "name_tokens",
    "name_chars",
    "surname_py",
    "phone_e164",
    "phones",
    "email_std",
    "email_local",
    "mailbox_named",
    "wechat_std",
    "birth_date_std",
    "city_std",
    "district_std",
    "address_std",
    "postcode_std",
    "national_id",
    "external_id",
)

# A surname is known for Chinese names and for surname-only names; a romanised full name's
# surname could be either token, so it is left to the token comparisons.
_LINK_SQL = """
select record_id, source_system,
       case when not name_is_partial then name_std end as name_full,
       case when not name_is_partial then name_tokens end as name_tokens,
       -- a Chinese name's characters in code-point order: catches surname and given name swapped
       case when not name_is_partial and regexp_matches(name_std, '^[\u4e00-\u9fff]{2,}$')
            then array_to_string(list_sort(string_split(name_std, '')), '') end as name_chars,
       case when name_is_partial or regexp_matches(coalesce(name_std, ''), '[\u4e00-\u9fff]')
            then split_part(name_pinyin, ' ', 1) end as surname_py,
       phone_e164, coalesce(phones, []::varchar[]) as phones,
       email_std, split_part(email_std, '@', 1) as email_local,
       -- the mailbox name is the record's own name parts (wei.zhang, zhangwei1234, jsmith): what
       -- is left of its letters once each name token is taken out is at most an initial. Each
       -- token once, in the name's order or the reverse: li is also inside ling and hu inside hua
       -- (liling, lingli, hujianhua), and taking it out everywhere left those unnamed
       not name_is_partial and length(regexp_replace(email_local, '[^a-z]', '', 'g')) > 1
           and least(
               length(list_reduce(list_prepend(regexp_replace(email_local, '[^a-z]', '', 'g'),
                   string_split(name_tokens, ' ')), lambda rest, token: regexp_replace(rest, regexp_escape(token), ''))),
               length(list_reduce(list_prepend(regexp_replace(email_local, '[^a-z]', '', 'g'),
                   list_reverse(string_split(name_tokens, ' '))), lambda rest, token: regexp_replace(rest, regexp_escape(token), '')))
           ) <= 1 as mailbox_named,
       wechat_std,
       strftime(birth_date_std, '%Y-%m-%d') as birth_date_std,
       city_std, district_std, address_std, postcode_std,
       nullif(regexp_replace(upper(national_id), '[^0-9A-Z]', '', 'g'), '') as national_id, external_id
from canonical
"""


def link_records(canonical: pa.Table, generic: dict[str, list[str]] | None = None) -> pa.Table:
    """The columns linkage reads, with the values shared by many different people (found in
    these records unless given) blanked: no block, key or exact match rests on them."""
    return blank_generic(link_values(canonical), generic)


def link_values(canonical: pa.Table, known: pa.Table | None = None) -> pa.Table:
    """The link columns of canonical records, generic values not yet blanked, in canonical's order.
    known: link values an earlier run of the same record numbering computed; its records still in
    canonical are taken from it, not computed again (a record's values never change under its id,
    and the SQL is most of an incremental run's model step: 6 s at a million records)."""
    if known is None or tuple(known.column_names) != LINK_COLUMNS:
        return _link_sql(canonical)
    kept = within(known, "record_id", canonical.column("record_id"))
    new = _link_sql(outside(canonical, "record_id", kept.column("record_id")))
    if new.schema != kept.schema:  # a work area of another version of this SQL: all afresh
        return _link_sql(canonical)
    # canonical's order: an incremental canonical is the kept records in their order, then the new
    # ones, numbered after every earlier record
    return pa.concat_tables([kept, new])


def blank_generic(values: pa.Table, generic: dict[str, list[str]] | None = None) -> pa.Table:
    """link_values with the generic values blanked (found in these records unless given)."""
    return without_generic_values(values, generic_values(values) if generic is None else generic)


def _link_sql(canonical: pa.Table) -> pa.Table:
    table = connection(canonical=canonical).sql(_LINK_SQL).to_arrow_table()
    assert tuple(table.column_names) == LINK_COLUMNS
    return table


def few_link_records(canonical: pa.Table, schema: pa.Schema) -> pa.Table:
    """link_records' columns of a few records (resolve on arrival), generic values not yet blanked,
    in the schema link_records gave, computed in Python row by row as _LINK_SQL computes them: for
    a few rows, DuckDB's parsing and planning of that statement cost more than everything else a
    resolve does (tests hold the two equal on generated records)."""
    return pa.Table.from_pylist([link_row(row) for row in canonical.to_pylist()], schema=schema)


_HAN = re.compile("[\u4e00-\u9fff]")
_HAN_NAME = re.compile("[\u4e00-\u9fff]{2,}")
_NOT_LOWER_LATIN, _NOT_ID_CHARACTER = re.compile("[^a-z]"), re.compile("[^0-9A-Z]")


def link_row(row: dict) -> dict:
    """One canonical row's link columns, as _LINK_SQL gives them (SQL's nulls kept: None)."""
    partial, name, tokens, email = row["name_is_partial"], row["name_std"], row["name_tokens"], row["email_std"]
    whole = None if partial is None else not partial
    email_local = None if email is None else email.split("@")[0]
    birth = row["birth_date_std"]
    national_id = row["national_id"]
    return {
        "record_id": row["record_id"],
        "source_system": row["source_system"],
        "name_full": name if whole else None,
        "name_tokens": tokens if whole else None,
        "name_chars": "".join(sorted(name)) if whole and name is not None and _HAN_NAME.fullmatch(name) else None,
        "surname_py": (
            row["name_pinyin"].split(" ")[0]
            if row["name_pinyin"] is not None and (partial or _HAN.search(name or ""))
            else None
        ),
        "phone_e164": row["phone_e164"],
        "phones": row["phones"] if row["phones"] is not None else [],
        "email_std": email,
        "email_local": email_local,
        "mailbox_named": _sql_and(whole, *_mailbox_is_named(email_local, tokens)),
        "wechat_std": row["wechat_std"],
        "birth_date_std": None if birth is None else f"{birth.year:04d}-{birth.month:02d}-{birth.day:02d}",
        "city_std": row["city_std"],
        "district_std": row["district_std"],
        "address_std": row["address_std"],
        "postcode_std": row["postcode_std"],
        "national_id": None if national_id is None else _id_characters(national_id),
        "external_id": row["external_id"],
    }


def _mailbox_is_named(email_local: str | None, tokens: str | None) -> tuple[bool | None, bool | None]:
    """_LINK_SQL's two mailbox conditions: more than one letter; at most one left once each token is taken out."""
    if email_local is None:
        return None, None
    letters = _NOT_LOWER_LATIN.sub("", email_local)
    parts = tokens.split(" ") if tokens is not None else []  # list_prepend onto a null list: [letters]
    left = min(len(_without_each_once(letters, parts)), len(_without_each_once(letters, parts[::-1])))
    return len(letters) > 1, left <= 1


def _without_each_once(letters: str, tokens: list[str]) -> str:
    for token in tokens:
        letters = letters.replace(token, "", 1)
    return letters


def _sql_and(*values: bool | None) -> bool | None:
    """SQL's AND: false wins over null, null over true."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _id_characters(value: str) -> str | None:
    """nullif(regexp_replace(upper(v), '[^0-9A-Z]', '', 'g'), ''): upper-cased a character at a time
    (a character whose capital is longer, such as ß, stays as it is, as in DuckDB)."""
    upper = "".join(c.upper() if len(c.upper()) == 1 else c for c in value)
    return _NOT_ID_CHARACTER.sub("", upper) or None
