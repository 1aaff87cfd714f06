"""The yardstick: plain Splink 5 on DuckDB with straightforward cleaning, on the same staged records.

What a competent engineer would do in an afternoon: lower-case and trim names, keep the digits of
phones, lower-case emails, Splink's stock comparisons, EM training, connected components at the
same threshold. Its accuracy and its seconds are what this project must beat (accuracy) and stay
close to (speed).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

THRESHOLD = 0.9
SEED = 42

CLEAN_SQL = """
select row_number() over (order by source_file, source_sheet, source_row) as unique_id,
       source_file, source_sheet, source_row,
       nullif(lower(trim(coalesce(full_name, concat_ws(' ', given_name, family_name)))), '') as full_name,
       nullif(right(regexp_replace(split_part(phone, '/', 1), '[^0-9]', '', 'g'), 11), '') as phone,
       nullif(lower(trim(email)), '') as email,
       nullif(lower(trim(wechat)), '') as wechat,
       nullif(trim(birth_date), '') as birth_date,
       nullif(lower(trim(city)), '') as city,
       nullif(trim(postcode), '') as postcode,
       nullif(trim(national_id), '') as national_id
from staged
"""


def clean(staged: pa.Table) -> pa.Table:
    con = duckdb.connect()
    con.register("staged", staged)
    return con.sql(CLEAN_SQL).to_arrow_table()


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("full_name"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("wechat"),
            cl.ExactMatch("birth_date"),
            cl.ExactMatch("city"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("national_id"),
        ],
        # the usual keys; a name alone would make blocks of every 王总 and 张先生
        blocking_rules_to_generate_predictions=[
            block_on("phone"),
            block_on("email"),
            block_on("full_name", "city"),
            block_on("full_name", "birth_date"),
            block_on("national_id"),
            block_on("birth_date", "postcode"),
            block_on("wechat"),
        ],
    )


def _has_pairs(records: pa.Table, column: str) -> bool:
    con = duckdb.connect()
    con.register("r", records)
    (n,) = con.execute(f"select count(*) from (select {column} from r where {column} is not null group by 1 having count(*) > 1)").fetchone()
    return n > 0


def run(staged: pa.Table) -> tuple[dict[tuple, str], dict[str, float]]:
    """(lineage key -> cluster id, seconds per stage) for plain Splink on these staged records."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    records = clean(staged)
    seconds["clean"] = time.perf_counter() - start

    start = time.perf_counter()
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(records), settings(), log_level=logging.WARNING)
    deterministic = [block_on(c) for c in ("phone", "email", "national_id") if _has_pairs(records, c)]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
    for columns in (("phone",), ("email",), ("full_name", "city"), ("national_id",)):
        if all(_has_pairs(records, c) for c in columns):
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
    seconds["train"] = time.perf_counter() - start

    start = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    seconds["predict"] = time.perf_counter() - start

    start = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, THRESHOLD)
    rows = clusters.as_duckdbpyrelation().select("source_file, source_sheet, source_row, cluster_id").fetchall()
    seconds["cluster"] = time.perf_counter() - start
    return {(f, s, int(r)): str(c) for f, s, r, c in rows}, seconds


def main(argv: list[str]) -> None:
    """python -m evaluation.plain_splink WORK_DIR TRUTH.csv: figures as one JSON line, on the
    staged records of the work area."""
    import json

    from assets.resources import WorkArea
    from linkage.evaluate import pairwise_scores, read_truth

    staged = WorkArea(path=argv[0]).read("staged")
    start = time.perf_counter()
    assignment, stages = run(staged)
    seconds = time.perf_counter() - start
    scores = pairwise_scores(assignment, read_truth(Path(argv[1])))
    figures = {"seconds": round(seconds, 1), "records_per_second": round(staged.num_rows / seconds), "stages": {k: round(v, 1) for k, v in stages.items()}}
    figures.update({k: round(v, 4) for k, v in scores.as_dict().items() if k in ("precision", "recall", "f1")})
    print(json.dumps(figures))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
