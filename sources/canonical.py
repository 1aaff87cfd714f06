"""Staged records -> canonical records: every person field standardised, once per distinct value.

Names, phones and addresses repeat a lot across records (the same customer, the same city), so
each standardiser runs once per distinct raw value and the results are mapped back by column.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from sources.schema import CANONICAL_SCHEMA, LINEAGE_COLUMNS
from sources.standardise.addresses import (
    is_chinese_address,
    normalise_city,
    normalise_western_address,
    parse_cn_address,
)
from sources.standardise.dates import parse_date, plausible_birth_date
from sources.standardise.emails import normalise_email
from sources.standardise.names import name_tokens, parse_name
from sources.standardise.phones import usable_phones

WECHAT_IS_PHONE = {"微信同号", "同号", "同手机", "同电话", "手机号", "同上"}


def distinct_map(values: Iterable, fn: Callable) -> list:
    """fn applied to each value, computed once per distinct value."""
    cache: dict = {}
    out = []
    for value in values:
        if value not in cache:
            cache[value] = fn(value)
        out.append(cache[value])
    return out


def _column(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


def _full_name(full: str | None, given: str | None, family: str | None) -> str | None:
    if full:
        return full
    if family and given:
        # a CJK family name is written first and without a space
        return f"{family}{given}" if _is_han(family) else f"{given} {family}"
    return family or given


def _is_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _wechat(wechat: str | None, main_phone: str | None) -> str | None:
    if not wechat:
        return None
    text = wechat.strip()
    if text in WECHAT_IS_PHONE:
        return _national_digits(main_phone)
    return text.lower()


def _national_digits(e164: str | None) -> str | None:
    """+8613812345678 -> 13812345678: how a WeChat ID equal to the phone is written."""
    if not e164:
        return None
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def _birth_date(value: str | None) -> date | None:
    return plausible_birth_date(parse_date(value)) if value else None


def _place(address: str | None, city: str | None, province: str | None, country: str | None) -> tuple:
    """(province, city, district, address) in one comparable form, Chinese or Western."""
    if address and is_chinese_address(address):
        parsed = parse_cn_address(address)
        city_name, city_province = normalise_city(city) if city else (None, None)
        return (
            parsed.province or city_province,
            parsed.city or city_name,
            parsed.district,
            "".join(p for p in (parsed.city or city_name, parsed.district, parsed.street) if p) or None,
        )
    city_name, city_province = normalise_city(city) if city else (None, None)
    western = normalise_western_address(address) if address else None
    return (city_province or (province.strip() if province else None), city_name, None, western)


# a raw value that did not survive standardisation: kept in the staged record, flagged here
PARSE_FLAGS = (
    ("phone", "phones", "phone_unusable"),
    ("email", "email_std", "email_invalid"),
    ("birth_date", "birth_date_std", "birth_date_implausible"),
)


def quality_flags(staged: pa.Table, standardised: dict) -> list[str | None]:
    """The readers' flags plus one per field whose raw value could not be used."""
    flags = [[f] if f else [] for f in _column(staged, "quality_flags")]
    for raw_name, std_name, flag in PARSE_FLAGS:
        for row_flags, raw, std in zip(flags, _column(staged, raw_name), standardised[std_name]):
            if raw and not std:
                row_flags.append(flag)
    return [";".join(f) or None for f in flags]


PARALLEL_MIN_ROWS = 100_000  # below this, worker processes cost more than they save
# rows standardised at a time: the Python values of one chunk are all a worker holds, whatever
# the number of records (a 500,000-row slice held about 1 GB of them)
CHUNK_ROWS = 200_000


def standardise(staged: pa.Table, first_record_id: int = 1) -> pa.Table:
    """Canonical records, ordered by lineage key, numbered from first_record_id for linkage."""
    return pa.concat_tables([CANONICAL_SCHEMA.empty_table(), *standardised_chunks(staged, first_record_id)])


def standardised_chunks(staged: pa.Table, first_record_id: int = 1) -> Iterator[pa.Table]:
    """standardise's records as they are made, in order: contiguous chunks of CHUNK_ROWS in lineage
    order, in parallel when there are many: the same records and numbers as one pass, in bounded
    memory (a caller that writes each chunk away never holds the whole table). The staged table is
    not copied sorted: each chunk takes its rows through the sort order."""
    order = pc.sort_indices(staged, sort_keys=[(c, "ascending") for c in LINEAGE_COLUMNS])
    chunks = [(start, first_record_id + start) for start in range(0, staged.num_rows, CHUNK_ROWS)]
    workers = min(os.cpu_count() or 1, staged.num_rows // PARALLEL_MIN_ROWS + 1, len(chunks))
    if workers < 2:
        yield from (_standardise_chunk(staged, order, *chunk) for chunk in chunks)
        return
    # the workers only compute: fork shares the loaded tables (pinyin, regions) and the staged
    # records at no cost (the initializer's arguments are inherited, not pickled)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_hold, initargs=(staged, order)) as pool:
        yield from pool.map(_standardise_held, *zip(*chunks))


_held: tuple[pa.Table, pa.Array] | None = None  # in a worker: the staged records and their order


def _hold(staged: pa.Table, order: pa.Array) -> None:
    global _held
    _held = (staged, order)


def _standardise_held(start: int, first_record_id: int) -> pa.Table:
    return _standardise_chunk(*_held, start, first_record_id)


def _standardise_chunk(staged: pa.Table, order: pa.Array, start: int, first_record_id: int) -> pa.Table:
    return standardise_sorted(staged.take(order.slice(start, CHUNK_ROWS)), first_record_id)


def standardise_sorted(staged: pa.Table, first_record_id: int) -> pa.Table:
    """Canonical records of staged records already in lineage order, numbered from first_record_id."""
    names = distinct_map(
        zip(_column(staged, "full_name"), _column(staged, "given_name"), _column(staged, "family_name")),
        lambda v: parse_name(_full_name(*v)),
    )
    phones = distinct_map(_column(staged, "phone"), lambda v: list(usable_phones(v)) if v else [])
    main_phones = [p[0] if p else None for p in phones]
    places = distinct_map(
        zip(
            _column(staged, "address_line"),
            _column(staged, "city"),
            _column(staged, "province"),
            _column(staged, "country"),
        ),
        lambda v: _place(*v),
    )
    raw_phone = _column(staged, "phone")
    standardised = {
        "record_id": list(range(first_record_id, first_record_id + staged.num_rows)),
        "name_std": [n.name for n in names],
        "surname": [n.surname for n in names],
        "name_pinyin": [n.pinyin for n in names],
        "name_tokens": distinct_map((n.pinyin for n in names), name_tokens),
        "name_is_partial": [n.is_partial for n in names],
        "phone_e164": main_phones,
        "phones": phones,
        "phone_display": [p.strip() if p else None for p in raw_phone],
        "email_std": distinct_map(_column(staged, "email"), normalise_email),
        "wechat_std": [_wechat(w, p) for w, p in zip(_column(staged, "wechat"), main_phones)],
        "birth_date_std": distinct_map(_column(staged, "birth_date"), _birth_date),
        "province_std": [p[0] for p in places],
        "city_std": [p[1] for p in places],
        "district_std": [p[2] for p in places],
        "address_std": [p[3] for p in places],
        "postcode_std": [pc_.strip().replace(" ", "").upper() if pc_ else None for pc_ in _column(staged, "postcode")],
    }
    standardised["quality_flags"] = quality_flags(staged, standardised)
    columns = {name: staged.column(name) for name in staged.column_names}
    columns.update(
        {name: pa.array(values, type=CANONICAL_SCHEMA.field(name).type) for name, values in standardised.items()}
    )
    return pa.table({name: columns[name] for name in CANONICAL_SCHEMA.names}, schema=CANONICAL_SCHEMA)
