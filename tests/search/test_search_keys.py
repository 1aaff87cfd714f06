"""What staff type becomes the keys records are indexed under (pure functions)."""

from __future__ import annotations

import duckdb
import pytest

from search.keys import clean_query, jaro_winkler, key_hashes, query_keys, query_pinyin, trigrams


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            "黃桂芝",
            {("name", "黄桂芝"), ("pinyin", "huangguizhi"), ("tokens", "guizhi huang")},
        ),  # traditional -> simplified
        ("huang guizhi", {("pinyin", "huangguizhi"), ("tokens", "guizhi huang")}),
        ("Guizhi Huang", {("pinyin", "guizhihuang"), ("tokens", "guizhi huang")}),  # either order: same tokens
        ("Huáng Guìzhī", {("pinyin", "huangguizhi")}),  # tone marks
        ("189 5997 5305", {("phone", "+8618959975305"), ("tail", "59975305")}),
        ("+86-189-5997-5305", {("phone", "+8618959975305"), ("tail", "59975305")}),
        ("0086 18959975305", {("phone", "+8618959975305"), ("tail", "59975305")}),
        ("１８９５９９７５３０５", {("phone", "+8618959975305")}),  # full-width digits
        ("(116) 535-5157", {("tail", "65355157")}),  # no country code: the last 8 digits still meet
        ("黄 5305", {("last4", "huang:5305")}),
        ("5305黄", {("last4", "huang:5305")}),
        ("Huang 5305", {("last4", "huang:5305")}),
        ("Someone@QQ.com", {("email", "someone@qq.com")}),
        ("#1120", {("ref", "1120")}),
        ("W-50490", {("ref", "W50490")}),
        ("3000000938350351024", {("ref", "3000000938350351024")}),
        ("min91", {("wechat", "min91")}),
        ("c00000003", {("customer_id", "C00000003")}),
    ],
)
def test_query_keys(query, expected):
    assert expected <= set(query_keys(query))


@pytest.mark.parametrize("query", ["", "   ", "\x00", "!!!", "'; --"])
def test_queries_without_keys(query):
    assert query_keys(query) == [] or all(kind in {"pinyin", "tokens"} for kind, _ in query_keys(query))


def test_query_pinyin_only_for_names():
    assert query_pinyin("黄桂芝") == "huangguizhi"
    assert query_pinyin("Guizhi Huang") == "guizhihuang"
    assert query_pinyin("189 5997 5305") is None
    assert query_pinyin("a@b.com") is None


def test_query_key_hashes_equal_the_hashes_records_are_indexed_by():
    keys = [("name", "黄桂芝"), ("phone", "+8618959975305"), ("email", "x@qq.com"), ("tokens", "guizhi huang")]
    con = duckdb.connect()
    con.execute("create table keys (kind varchar, key varchar)")
    con.executemany("insert into keys values (?, ?)", keys)
    assert key_hashes(keys) == [row[0] for row in con.execute("select hash(kind, key) from keys").fetchall()]
    assert len(set(key_hashes(keys))) == len(keys) and key_hashes([]) == []


def test_jaro_winkler():
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-4)
    assert jaro_winkler("huangguizhi", "huangguizhi") == 1.0
    assert jaro_winkler("", "abc") == 0.0
    assert jaro_winkler("abc", "xyz") == 0.0


def test_trigrams_are_padded_and_distinct():
    assert trigrams("li") == ["^li", "li$"]
    assert trigrams("aaaa") == ["^aa", "aaa", "aa$"]


def test_clean_query_folds_and_cuts():
    assert clean_query("  １３８  ") == "138"
    assert len(clean_query("x" * 10_000)) == 200
