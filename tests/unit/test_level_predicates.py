"""Splink levels' SQL compiled to Python (linkage/level_predicates.py) against DuckDB itself."""

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.features import LINK_COLUMNS
from linkage.level_predicates import NEAR, Undecided, Unsupported, compile_case, compile_condition
from linkage.model import ALL_FIELDS, new_linker
from linkage.model import settings as model_settings

# characters that make the functions differ if they counted bytes or grapheme clusters: Han, a
# precomposed and a combining accent, the parts of an emoji sequence, spaces, separators, digits
ALPHABET = "abcwei zhang张伟李é\u0301\U0001f468\u200d\U0001f469:@19"
TEXT = st.one_of(st.none(), st.text(ALPHABET, max_size=14))
LIST = st.one_of(st.none(), st.lists(st.one_of(st.none(), st.text(ALPHABET, max_size=4)), max_size=4))
SIDE = st.fixed_dictionaries({"a": TEXT, "b": TEXT, "p": LIST})

# each kind of SQL the compiler takes: functions, three-valued logic, arithmetic, comparisons
EXPRESSIONS = [
    "jaro_winkler_similarity(a_l, a_r)",
    "jaro_winkler_similarity(a_l, b_r) >= 0.9",
    "damerau_levenshtein(a_l, a_r)",
    "damerau_levenshtein(a_l, b_r) <= 1",
    "levenshtein(a_l, a_r)",
    "len(string_split(a_l, ' '))",
    "string_split(a_l, ' ')",
    "string_split(b_r, '')",
    "split_part(a_l, ':', 1)",
    "split_part(b_l, ':', -1)",
    "split_part(a_r, '', 2)",
    "split_part(a_r, ':', 3)",
    "right(a_l, 3)",
    "right(b_r, 0)",
    "right(a_l, -2)",
    "len(a_l)",
    "length(b_r)",
    "len(p_l)",
    "len(list_intersect(p_l, p_r))",
    "len(list_intersect(string_split(a_l, ' '), string_split(a_r, ' '))) * 3 >= "
    "greatest(len(string_split(a_l, ' ')), len(string_split(a_r, ' '))) * 2",
    "list_contains(string_split(a_l, ' '), b_r)",
    "list_contains(p_l, a_r)",
    "greatest(len(a_l), len(b_r)) - 1",
    "a_l = a_r",
    "a_l <> b_r",
    "a_l < a_r",
    "a_l IS NULL OR b_r IS NULL",
    "a_l IS NOT NULL AND NOT (a_l = b_r)",
    "(a_l IS NULL AND b_l IS NULL) OR (a_r = b_r AND len(p_r) = 0)",
    "len(p_l) = 0 OR len(p_r) = 0 OR p_l IS NULL OR p_r IS NULL",
    "split_part(a_l, ':', 1) <> split_part(a_r, ':', 1)",
]
_COLUMNS = "select $1::varchar as a_l, $2::varchar as b_l, $3::varchar[] as p_l, $4::varchar as a_r, $5::varchar as b_r, $6::varchar[] as p_r"


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        yield connection


@pytest.fixture(scope="module")
def compiled():
    return [compile_condition(sql) for sql in EXPRESSIONS]


def _same(mine, theirs) -> bool:
    if isinstance(theirs, float) and mine is not None:
        return abs(mine - theirs) <= 1e-12
    return mine == theirs and type(mine) is type(theirs)


@settings(max_examples=150, deadline=None)
@given(left=SIDE, right=SIDE)
def test_each_kind_of_sql_gives_what_duckdb_gives(con, compiled, left, right):
    params = [left["a"], left["b"], left["p"], right["a"], right["b"], right["p"]]
    (expected,) = con.execute(f"select {', '.join(EXPRESSIONS)} from ({_COLUMNS})", params).fetchall()
    for sql, function, theirs in zip(EXPRESSIONS, compiled, expected):
        try:
            mine = function(left, right)
        except Undecided:  # only ever a similarity at its threshold
            assert "jaro_winkler" in sql
            continue
        assert _same(mine, theirs), (sql, mine, theirs)


def test_a_similarity_at_its_threshold_is_left_to_duckdb():
    # 'abcd' and 'abce': jaro 5/6, winkler 5/6 + 0.3 / 6 = 0.8833...: compared with itself it is undecided
    exact = compile_condition("jaro_winkler_similarity(a_l, a_r)")({"a": "abcd"}, {"a": "abce"})
    near = compile_condition(f"jaro_winkler_similarity(a_l, a_r) >= {exact + NEAR / 10!r}")
    with pytest.raises(Undecided):
        near({"a": "abcd"}, {"a": "abce"})
    assert compile_condition("jaro_winkler_similarity(a_l, a_r) >= 0.88")({"a": "abcd"}, {"a": "abce"}) is True


@pytest.mark.parametrize(
    "sql",
    [
        "lower(a_l) = lower(a_r)",  # a function without a Python twin
        "regexp_matches(a_l, '^x')",
        "a = a_r",  # a column of neither side
        "l.a_l = a_r",
        "list_intersect(p_l, p_r) = p_l",  # an intersection compared as a list: its order is DuckDB's
        "jaro_winkler_similarity(a_l)",
        "a_l = (",
    ],
)
def test_sql_without_a_python_twin_is_unsupported(sql):
    with pytest.raises(Unsupported):
        compile_condition(sql)


LINK_TEXT = st.one_of(st.none(), st.text(ALPHABET, max_size=10))


@st.composite
def link_rows(draw):
    names = st.one_of(st.none(), st.sampled_from(["wei zhang", "zhang wei", "wei", "li na", "zhang"]))
    phones = st.sampled_from(["+8613912345678", "+8613912345687", "+113912345678", "+8613800000000"])
    return {
        "name_full": draw(st.one_of(st.none(), st.sampled_from(["张伟", "李娜", "wei zhang"]))),
        "name_tokens": draw(names),
        "name_chars": draw(st.one_of(st.none(), st.sampled_from(["伟张", "李娜"]))),
        "surname_py": draw(st.one_of(st.none(), st.sampled_from(["zhang", "wei", "li"]))),
        "phone_e164": draw(st.one_of(st.none(), phones)),
        "phones": draw(st.one_of(st.none(), st.lists(phones, max_size=3))),
        "email_std": draw(LINK_TEXT),
        "email_local": draw(st.one_of(LINK_TEXT, st.sampled_from(["zhangwei88", "wei.zhang"]))),
        "mailbox_named": draw(st.one_of(st.none(), st.booleans())),
        "wechat_std": draw(LINK_TEXT),
        "birth_date_std": draw(st.one_of(st.none(), st.sampled_from(["1990-01-02", "1990-01-20", "1990-10-02"]))),
        "city_std": draw(st.one_of(st.none(), st.sampled_from(["北京", "北京市", "上海"]))),
        "district_std": draw(st.one_of(st.none(), st.sampled_from(["朝阳", "海淀"]))),
        "address_std": draw(LINK_TEXT),
        "postcode_std": draw(st.one_of(st.none(), st.sampled_from(["100000", "100001", "010000"]))),
        "national_id": draw(LINK_TEXT),
        "external_id": draw(st.one_of(st.none(), st.sampled_from(["tmall:a", "tmall:b", "jd:a", ":a"]))),
    }


_TYPES = {"phones": "varchar[]", "mailbox_named": "boolean"}


def _model_cases():
    comparisons = model_settings(ALL_FIELDS).get_settings("duckdb").core_model_settings.comparisons
    for comparison in comparisons:
        levels = comparison.comparison_levels
        conditions = [(lv.sql_condition, lv.comparison_vector_value) for lv in levels if not lv._is_else_level]
        (otherwise,) = [lv.comparison_vector_value for lv in levels if lv._is_else_level]
        sql = "CASE " + " ".join(f"WHEN {c} THEN {v}" for c, v in conditions) + f" ELSE {otherwise} END"
        yield sql, compile_case(conditions, otherwise)


@settings(max_examples=40, deadline=None)
@given(left=link_rows(), right=link_rows())
def test_every_comparison_of_the_model_gives_duckdbs_gamma(con, left, right):
    cases = list(_model_cases())  # every level of the project's model compiles: none is left to SQL
    sides = {**{f"{k}_l": v for k, v in left.items()}, **{f"{k}_r": v for k, v in right.items()}}
    columns = ", ".join(f"${i}::{_TYPES.get(name[:-2], 'varchar')} as {name}" for i, name in enumerate(sides, start=1))
    (expected,) = con.execute(
        f"select {', '.join(sql for sql, _ in cases)} from (select {columns})", list(sides.values())
    ).fetchall()
    for (sql, case), gamma in zip(cases, expected):
        try:
            assert case(left, right) == gamma, sql
        except Undecided:
            pass


def _name_level(con, left: dict, right: dict) -> str:
    """The label of the name comparison's level (DuckDB's) for a pair of link rows."""
    (comparison,) = [
        c
        for c in model_settings(ALL_FIELDS).get_settings("duckdb").core_model_settings.comparisons
        if c.output_column_name == "name"
    ]
    sides = {**{f"{k}_l": v for k, v in left.items()}, **{f"{k}_r": v for k, v in right.items()}}
    columns = ", ".join(f"${i}::varchar as {name}" for i, name in enumerate(sides, start=1))
    for level in comparison.comparison_levels:
        if level._is_else_level:
            return level.label_for_charts
        (taken,) = con.execute(
            f"select ({level.sql_condition}) is true from (select {columns})", list(sides.values())
        ).fetchone()
        if taken:
            return level.label_for_charts


def test_the_model_scores_records_whose_columns_are_all_null():
    """A column no record fills comes as DuckDB's NULL type: every level's SQL must still bind
    (contains(NULL, NULL) could not choose between its string, list and map forms)."""
    rows = [{"record_id": i, "source_system": "shop", "phone_e164": "+8613912345678"} for i in (1, 2)]
    records = pa.Table.from_pylist([{c: None for c in LINK_COLUMNS} | row for row in rows])
    assert records.schema.field("email_local").type == pa.null()
    predictions = new_linker(records, model_settings(ALL_FIELDS)).inference.predict().as_duckdbpyrelation()
    assert predictions.count("*").fetchall() == [(1,)]
