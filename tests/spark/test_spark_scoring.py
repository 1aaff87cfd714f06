"""The Spark engine gives the customers DuckDB gives: same model, same pairs, same probabilities."""

from __future__ import annotations

import random
import time

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from spark_support import SPARK_MASTER, requires_spark

from linkage.evaluate import pairwise_scores
from linkage.identity import cluster
from linkage.pairs import PAIR_SCHEMA
from linkage.scoring.duckdb import score_new_pairs, score_pairs

pytestmark = requires_spark

SCORE_FLOOR = 0.5  # as the pipeline scores (assets.customers.SCORE_FLOOR)
MATCH_THRESHOLD = 0.9  # as the pipeline clusters (LinkageSettings.match_threshold)
MIN_F1 = 0.99
PROBABILITY_TOLERANCE = 1e-6
MIN_SHARE_AGREEING = 0.99


def _lineage(canonical: pa.Table) -> dict[int, tuple[str, str, int]]:
    rows = canonical.select(["record_id", "source_file", "source_sheet", "source_row"]).to_pylist()
    return {r["record_id"]: (r["source_file"], r["source_sheet"] or "", r["source_row"]) for r in rows}


def _customers(record_ids: list[int], pairs: pa.Table, lineage: dict) -> dict:
    return {lineage[r]: str(root) for r, root in cluster(record_ids, pairs, MATCH_THRESHOLD).items()}


def _probabilities(pairs: pa.Table) -> dict[tuple[int, int], float]:
    return dict(
        zip(
            zip(pairs["record_id_l"].to_pylist(), pairs["record_id_r"].to_pylist()),
            pairs["match_probability"].to_pylist(),
        )
    )


def _assert_agree(duck: pa.Table, spark: pa.Table, record_ids: list[int], lineage: dict, label: str) -> None:
    assert spark.schema == PAIR_SCHEMA
    assert pc.all(pc.less(spark["record_id_l"], spark["record_id_r"])).as_py() in (True, None)
    assert set(spark["kind"].to_pylist()) <= {"model"}

    scores = pairwise_scores(_customers(record_ids, spark, lineage), _customers(record_ids, duck, lineage))
    duck_p, spark_p = _probabilities(duck), _probabilities(spark)
    both = duck_p.keys() & spark_p.keys()
    agreeing = sum(abs(duck_p[k] - spark_p[k]) <= PROBABILITY_TOLERANCE for k in both)
    worst = max((abs(duck_p[k] - spark_p[k]) for k in both), default=0.0)
    print(
        f"\n{label}: DuckDB {len(duck_p)} pairs, Spark {len(spark_p)}, both {len(both)}; "
        f"customers {scores.summary()}; probabilities within {PROBABILITY_TOLERANCE:g}: {agreeing}/{len(both)} (worst {worst:.2e})"
    )
    assert scores.f1 >= MIN_F1, scores.summary()
    assert len(both) >= MIN_SHARE_AGREEING * max(len(duck_p), len(spark_p))
    assert agreeing >= MIN_SHARE_AGREEING * len(both)


def _timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def test_spark_scores_the_customers_duckdb_scores(spark_sample):
    from linkage.scoring.spark import score_pairs_spark

    records, model = spark_sample.records, spark_sample.model
    duck, duck_seconds = _timed(score_pairs, records, model, SCORE_FLOOR)
    spark, spark_seconds = _timed(score_pairs_spark, records, model, SCORE_FLOOR, SPARK_MASTER)
    print(f"\nscore_pairs on {records.num_rows} records: DuckDB {duck_seconds:.1f}s, Spark {spark_seconds:.1f}s")
    assert duck.num_rows > 0
    _assert_agree(duck, spark, records["record_id"].to_pylist(), _lineage(spark_sample.canonical), "all pairs")


def test_spark_scores_new_records_as_duckdb_does(spark_sample):
    from linkage.scoring.spark import score_new_pairs_spark

    records, model = spark_sample.records, spark_sample.model
    is_new = pc.equal(pc.subtract(records["record_id"], pc.multiply(pc.divide(records["record_id"], 10), 10)), 0)
    existing, new = records.filter(pc.invert(is_new)), records.filter(is_new)  # 90/10, across every source
    duck, duck_seconds = _timed(score_new_pairs, existing, new, model, SCORE_FLOOR)
    spark, spark_seconds = _timed(score_new_pairs_spark, existing, new, model, SCORE_FLOOR, SPARK_MASTER)
    print(
        f"\nscore_new_pairs, {new.num_rows} new x {existing.num_rows} existing: DuckDB {duck_seconds:.1f}s, Spark {spark_seconds:.1f}s"
    )
    assert duck.num_rows > 0
    new_ids = set(new["record_id"].to_pylist())
    assert all(
        a in new_ids or b in new_ids for a, b in zip(spark["record_id_l"].to_pylist(), spark["record_id_r"].to_pylist())
    )
    _assert_agree(duck, spark, records["record_id"].to_pylist(), _lineage(spark_sample.canonical), "new-record pairs")


def _tricky_pairs(records: pa.Table) -> list[tuple[str | None, str | None]]:
    rng = random.Random(11)
    pairs: list[tuple[str | None, str | None]] = [
        (None, "a"),
        ("a", None),
        (None, None),
        ("", ""),
        ("", "abc"),
        ("a", "a"),
        ("王", "汪"),
    ]
    for column in ("name_tokens", "email_local", "address_std", "phone_e164"):
        values = sorted({v for v in records[column].to_pylist() if v})
        pairs += [(rng.choice(values), rng.choice(values)) for _ in range(40)]
        pairs += list(zip(values, values[1:]))[:40]  # neighbours in sort order: near misses
    for alphabet, longest in (("ab王c", 9), ("aab", 7), ("ab王cd", 40)):  # 40 汉字-ish: past the 62-byte bit set
        for _ in range(60):
            a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))
            b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))
            pairs.append((a, b))
    return pairs


def test_string_distances_are_duckdbs_to_the_last_bit(spark_sample):
    """jaro(_winkler), (damerau-)levenshtein on Spark equal DuckDB's exactly: bytes, NULLs, ties."""
    import linkage.scoring.spark as spark_linkage

    pairs = _tricky_pairs(spark_sample.records)
    table = pa.table({"i": list(range(len(pairs))), "a": [p[0] for p in pairs], "b": [p[1] for p in pairs]})
    functions = ["jaro_winkler_similarity", "jaro_similarity", "damerau_levenshtein", "levenshtein"]
    con = duckdb.connect()
    con.register("t", table)
    expected = con.sql(f"select {', '.join(f'{f}(a, b) as {f}' for f in functions)} from t order by i").to_arrow_table()

    session = spark_linkage.spark_session(SPARK_MASTER)
    session.createDataFrame(table).createOrReplaceTempView("distance_pairs")
    for inline in (True, False):
        if not inline and not spark_linkage._session_sql_functions:
            continue  # Spark 4.0: no SQL functions, the inline form is what runs
        columns = ", ".join(f"{spark_linkage.to_spark_sql(f'{f}(a, b)', inline=inline)} as {f}" for f in functions)
        actual = session.sql(f"select {columns} from distance_pairs order by i").toArrow()
        for f in functions:
            got, want = actual[f].to_pylist(), expected[f].to_pylist()
            wrong = [(pairs[i], want[i], got[i]) for i in range(len(pairs)) if got[i] != want[i]]
            assert not wrong, f"{f} (inline={inline}): {len(wrong)} differ, e.g. {wrong[:3]}"
    session.catalog.dropTempView("distance_pairs")


def test_a_table_of_parts_reaches_spark_whole(spark_sample):
    """PySpark 4.3 stops reading an Arrow table at an empty record batch; a table concatenated
    from parts has them (the staged records did, and Spark saw a sixth of them)."""
    from linkage.scoring.spark import to_spark

    part = spark_sample.records.select(["record_id"])
    parts = pa.concat_tables([part.slice(0, 0), part.slice(0, 10), part.slice(0, 0), part.slice(10)])
    assert [b.num_rows for b in parts.to_batches()][:2] == [0, 10]
    assert to_spark(spark_sample.session, parts).count() == part.num_rows
