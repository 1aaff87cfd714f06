"""The link columns of a few records in Python (features.few_link_records) against _LINK_SQL in DuckDB."""

import datetime as dt

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.features import few_link_records, link_records
from sources.schema import CANONICAL_SCHEMA

# Han inside and outside the range the SQL tests, Latin letters and capitals, digits, separators,
# a newline (where Python's $ and RE2's differ), ß and ligatures (whose capitals are longer)
ALPHABET = "abzhangwei张伟李㐀é\u0301AZ09 .@-_\nßﬁı"
TEXT = st.one_of(st.none(), st.text(ALPHABET, max_size=12))
NAME_PARTS = ["wei", "zhang", "j", "", "smith", "li", "ling", "hu", "hua"]  # li inside ling, hu inside hua
HAN_NAME = st.text("张伟李王㐀", min_size=1, max_size=4)
ROW = st.fixed_dictionaries(
    {
        "name_std": st.one_of(TEXT, HAN_NAME),
        "name_is_partial": st.one_of(st.none(), st.booleans()),
        "name_tokens": st.one_of(TEXT, st.lists(st.sampled_from(NAME_PARTS)).map(" ".join)),
        "name_pinyin": TEXT,
        "email_std": st.one_of(
            TEXT,
            st.from_regex(r"[a-z0-9._]{0,10}@[a-z]{1,5}\.com", fullmatch=True),
            st.lists(st.sampled_from(NAME_PARTS), max_size=3).map(lambda parts: ".".join(parts) + "7@qq.com"),
        ),
        "phone_e164": TEXT,
        "phones": st.one_of(st.none(), st.lists(st.one_of(st.none(), TEXT), max_size=3)),
        "birth_date_std": st.one_of(st.none(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))),
        "national_id": TEXT,
        "city_std": TEXT,
        "external_id": TEXT,
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=6))
def test_few_link_records_are_link_records_own(rows):
    canonical = pa.Table.from_pylist(
        [{**row, "record_id": i, "source_system": "shop"} for i, row in enumerate(rows)], schema=CANONICAL_SCHEMA
    )
    expected = link_records(canonical, generic={})
    assert few_link_records(canonical, expected.schema).to_pylist() == expected.to_pylist()
