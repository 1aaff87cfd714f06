"""The model's DuckDB SQL as Spark SQL (no Spark needed: sqlglot only)."""

from __future__ import annotations

import re

import sqlglot

from linkage.model import settings
from linkage.scoring.spark import duckdb_counts_bytes, spark_model, to_spark_sql

DUCKDB_ONLY = ("list_intersect", "list_contains", "string_split", "jaro_winkler_similarity(", "len(", '"')


def _duckdb_model() -> dict:
    return settings().create_settings_dict("duckdb")


def test_every_level_and_rule_becomes_spark_sql():
    model = spark_model(_duckdb_model(), {"phones"}, inline=False)
    assert model["sql_dialect"] == "spark"
    conditions = [
        lv["sql_condition"]
        for c in model["comparisons"]
        for lv in c["comparison_levels"]
        if lv["sql_condition"] != "ELSE"
    ]
    rules = [r["blocking_rule"] for r in model["blocking_rules_to_generate_predictions"]]
    assert all(r["sql_dialect"] == "spark" for r in model["blocking_rules_to_generate_predictions"])
    for sql in conditions + rules:
        lowered = re.sub(r"duckdb_\w+\(", "", sql.lower())  # our stand-ins keep DuckDB's names
        assert not [word for word in DUCKDB_ONLY if word in lowered], sql
        sqlglot.parse_one(sql, read="spark")  # and Splink's SparkAPI can transpile it


def test_translation_keeps_the_parameters():
    duck = _duckdb_model()
    spark = spark_model(duck, {"phones"})
    for before, after in zip(duck["comparisons"], spark["comparisons"]):
        for a, b in zip(before["comparison_levels"], after["comparison_levels"]):
            assert {k: v for k, v in a.items() if k != "sql_condition"} == {
                k: v for k, v in b.items() if k != "sql_condition"
            }


def test_lists_and_strings_are_told_apart():
    assert (
        to_spark_sql("len(phones_l) = 0", {"phones"})
        == "(CASE WHEN (phones_l) IS NULL THEN NULL ELSE SIZE(phones_l) END) = 0"
    )
    assert to_spark_sql("len(name_full_l) > 3", {"phones"}) == "LENGTH(name_full_l) > 3"
    intersect = to_spark_sql("len(list_intersect(phones_l, phones_r)) > 0", {"phones"})
    assert "ARRAY_INTERSECT(FILTER(phones_l, x_ -> NOT x_ IS NULL), phones_r)" in intersect and "SIZE(" in intersect


def test_string_distances_call_the_duckdb_stand_ins():
    assert (
        to_spark_sql("jaro_winkler_similarity(a_l, a_r) >= 0.9", inline=False)
        == "DUCKDB_JARO_WINKLER_SIMILARITY(a_l, a_r) >= 0.9"
    )
    assert (
        to_spark_sql("damerau_levenshtein(upper(a_l), a_r) <= 1", inline=False)
        == "DUCKDB_DAMERAU_LEVENSHTEIN(UPPER(a_l), a_r) <= 1"
    )
    inline = to_spark_sql("jaro_winkler_similarity(a_l, a_r) >= 0.9")
    assert "DUCKDB_" not in inline and "JARO" not in inline  # written out, not Spark's own jaro
    # measured in UTF-8 bytes exactly where this DuckDB measures them so
    assert ("ENCODE(a_l, 'UTF-8')" in inline) == duckdb_counts_bytes()


def test_a_query_reads_the_runs_own_views_and_keeps_its_ctes():
    from engines.spark import to_spark_query

    sql = "with base as (select * from crosswalk) select b.x from base b join everywhere e using (customer_id)"
    spark = to_spark_query(sql, {"crosswalk": "crosswalk_1a2b", "everywhere": "everywhere_1a2b"})
    assert "FROM crosswalk_1a2b AS crosswalk" in spark and "JOIN everywhere_1a2b AS e" in spark
    assert "FROM base AS b" in spark  # a CTE is not a table of the run


def test_distinct_values_joined_in_their_own_order_become_a_sorted_set():
    from engines.spark import to_spark_query

    spark = to_spark_query("select string_agg(distinct s, ',' order by s) as j from t group by k", {})
    assert "LISTAGG" not in spark.upper()  # Spark 4.3 fails on DISTINCT ... WITHIN GROUP
    assert "ARRAY_JOIN(ARRAY_SORT(COLLECT_SET(s)), ',')" in spark and "COUNT(s) = 0 THEN NULL" in spark
    # in another order the values are not a sorted set: left to sqlglot
    assert "COLLECT_SET" not in to_spark_query("select string_agg(distinct s, ',' order by s desc) from t", {})
