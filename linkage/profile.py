"""What the link records hold, measured before the model is designed: which fields are populated,
and which values are generic (shared by many different people).

The model design, the blocking and the training follow from this profile, so the same pipeline
reads names + birth dates only, contacts only, or the rich multi-source data, and a placeholder
phone typed for thousands of customers never becomes a key.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common.arrow_sql import connection

# Fields the model may compare; a field counts as present when at least this share of the records
# (and at least MIN_PRESENT of them) carry it. Rarer fields add comparisons EM cannot train.
PROFILED_FIELDS = (
    "name_tokens", "surname_py", "phone_e164", "email_std", "wechat_std", "birth_date_std",
    "city_std", "address_std", "postcode_std", "national_id", "external_id",
)  # fmt: skip
PRESENT_SHARE = 0.01
MIN_PRESENT = 2

# Identifiers a value of which may be generic: a value is generic when records of this many
# different names share it (a family shares a landline; a shop's service number, 13800138000 or
# test@test.com are shared by strangers), or when more records share it than one person has.
KEY_FIELDS = ("phone_e164", "email_std", "wechat_std", "national_id", "external_id")
GENERIC_DISTINCT_NAMES = 8
GENERIC_RECORDS = 1000
# what tells people apart when counting who shares a value: the name, else the other contacts
_PERSON_COLUMNS = ("name_tokens", "surname_py", "email_std", "phone_e164", "wechat_std")
_PERSON = f"coalesce({', '.join(_PERSON_COLUMNS)})"
# link columns derived from a key field, blanked with it: 123456@qq.com's mailbox name '123456' is
# a block of its own (the email_local block: 46 million pairs at a million records of the hard profile)
_DERIVED = {"email_std": ("email_local",)}


def data_profile(records: pa.Table) -> dict:
    """{"record_count": n, "fields": the populated PROFILED_FIELDS, sorted}."""
    n = records.num_rows
    floor = max(MIN_PRESENT, PRESENT_SHARE * n)
    present = [f for f in PROFILED_FIELDS if f in records.column_names and n - records.column(f).null_count >= floor]
    return {"record_count": n, "fields": sorted(present)}


def generic_values(records: pa.Table, fields: tuple[str, ...] = KEY_FIELDS) -> dict[str, list[str]]:
    """Per key field, the values shared by many different people in these records."""
    con = connection(records=records.select([c for c in {*fields, *_PERSON_COLUMNS} if c in records.column_names]))
    found = {}
    for field in fields:
        if field not in records.column_names:
            continue
        rows = con.execute(
            f"""select {field} from records where {field} is not null group by 1
                having count(distinct {_PERSON}) >= ? or count(*) >= ? order by 1""",
            [GENERIC_DISTINCT_NAMES, GENERIC_RECORDS],
        ).fetchall()
        if rows:
            found[field] = [r[0] for r in rows]
    return found


def without_generic_values(records: pa.Table, generic: dict[str, list[str]]) -> pa.Table:
    """The link records with every generic value blanked, in its own column, in `phones` and in a
    generic email's mailbox name (`email_local`): no block, key, training set or exact match can
    then rest on it. Canonical records keep it."""
    for field, values in generic.items():
        column = records.column(field)
        is_generic = pc.is_in(column, value_set=pa.array(values, column.type))
        blanked = pc.if_else(is_generic, None, column)
        records = records.set_column(records.schema.get_field_index(field), field, blanked)
        if field == "phone_e164" and "phones" in records.column_names:
            records = _drop_from_lists(records, "phones", values)
        for derived in (d for d in _DERIVED.get(field, ()) if d in records.column_names):
            kept = pc.if_else(is_generic, None, records.column(derived))
            records = records.set_column(records.schema.get_field_index(derived), derived, kept)
    return records


def _drop_from_lists(records: pa.Table, field: str, values: list[str]) -> pa.Table:
    lists = records.column(field).combine_chunks()
    flat, parents = pc.list_flatten(lists), pc.list_parent_indices(lists)
    keep = pc.fill_null(pc.invert(pc.is_in(flat, value_set=pa.array(values, flat.type))), True)
    counts = np.bincount(parents.filter(keep).to_numpy(), minlength=len(lists))
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())
    kept = pa.ListArray.from_arrays(offsets, flat.filter(keep), mask=lists.is_null()).cast(lists.type)
    return records.set_column(records.schema.get_field_index(field), field, kept)
