"""Features: canonical records -> the columns linkage reads, with generic values blanked.

Every comparison, blocking rule and deterministic key reads these columns, whichever engine scores.
"""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import connection
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
       -- is left of its letters once each name token is taken out is at most an initial
       not name_is_partial and length(regexp_replace(email_local, '[^a-z]', '', 'g')) > 1
           and length(list_reduce(list_prepend(regexp_replace(email_local, '[^a-z]', '', 'g'),
               string_split(name_tokens, ' ')), lambda rest, token: replace(rest, token, ''))) <= 1 as mailbox_named,
       wechat_std,
       strftime(birth_date_std, '%Y-%m-%d') as birth_date_std,
       city_std, district_std, address_std, postcode_std,
       nullif(regexp_replace(upper(national_id), '[^0-9A-Z]', '', 'g'), '') as national_id, external_id
from canonical
"""


def link_records(canonical: pa.Table, generic: dict[str, list[str]] | None = None) -> pa.Table:
    """The columns linkage reads, with the values shared by many different people (found in
    these records unless given) blanked: no block, key or exact match rests on them."""
    con = connection(canonical=canonical)
    table = con.sql(_LINK_SQL).to_arrow_table()
    assert tuple(table.column_names) == LINK_COLUMNS
    return without_generic_values(table, generic_values(table) if generic is None else generic)


def few_link_records(con, canonical: pa.Table, schema: pa.Schema) -> pa.Table:
    """link_records' columns of a few records (resolve on arrival), generic values not yet blanked,
    on a cursor of the caller's in the schema link_records gave: for one record, opening a cursor
    and DuckDB's relation API cost more than the SQL itself, and so would registering `canonical`:
    the SQL reads the Python variable of that name (DuckDB's replacement scan)."""
    rows = con.execute(_LINK_SQL).fetchall()
    return pa.Table.from_pylist([dict(zip(LINK_COLUMNS, row)) for row in rows], schema=schema)
