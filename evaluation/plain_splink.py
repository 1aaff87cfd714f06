"""The yardstick: plain Splink 5 on DuckDB with straightforward cleaning, on the same staged records.

What a competent engineer would do in an afternoon: lower-case and trim names, keep the digits of
phones, lower-case emails, Splink's stock comparisons, EM training, connected components at the
same threshold. Its accuracy and its seconds are what this project must beat (accuracy) and stay
close to (speed).

It adapts to the columns the records have, as that engineer would: a column is compared only when
some value in it occurs twice (else no two records can agree on it); a blocking rule is used only
when its columns are so and it makes at most MAX_PAIRS pairs (checked before predicting, as
Splink's docs advise); the prior comes from the identifier rules the data has (else from exact
name with birth date or address, else Splink's default prior); EM runs on the usual blocks the
data has, plus a fallback block for a compared column no usual block left to estimate, and an EM
session that Splink cannot finish (an m probability that underflows, as on a block of records that
share a placeholder phone) is left out: Splink keeps the estimates of the sessions that finished.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from linkage.evaluate import assignment

THRESHOLD = 0.9
SEED = 42
MAX_PAIRS = 20_000_000  # one blocking rule's pairs: a few GB in DuckDB; past it, the rule is left out

CLEAN_SQL = """
select row_number() over (order by source_file, source_sheet, source_row) as unique_id,
       source_file, source_sheet, source_row,
       nullif(lower(trim(coalesce(full_name, concat_ws(' ', given_name, family_name)))), '') as full_name,
       nullif(right(regexp_replace(split_part(phone, '/', 1), '[^0-9]', '', 'g'), 11), '') as phone,
       nullif(lower(trim(email)), '') as email,
       nullif(lower(trim(wechat)), '') as wechat,
       nullif(trim(birth_date), '') as birth_date,
       nullif(lower(trim(address_line)), '') as address_line,
       nullif(lower(trim(city)), '') as city,
       nullif(lower(trim(province)), '') as province,
       nullif(trim(postcode), '') as postcode,
       nullif(trim(national_id), '') as national_id
from staged
"""

# column -> its comparison, in the order of the settings
COMPARISONS = {
    "full_name": lambda: cl.NameComparison("full_name"),
    "phone": lambda: cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
    "email": lambda: cl.EmailComparison("email"),
    "wechat": lambda: cl.ExactMatch("wechat"),
    "birth_date": lambda: cl.ExactMatch("birth_date"),
    "address_line": lambda: cl.JaroWinklerAtThresholds("address_line"),
    "city": lambda: cl.ExactMatch("city"),
    "province": lambda: cl.ExactMatch("province"),
    "postcode": lambda: cl.ExactMatch("postcode"),
    "national_id": lambda: cl.ExactMatch("national_id"),
}
# the usual keys; a name alone would make blocks of every 王总 and 张先生. The last ones are the
# weaker keys of data without identifiers; MAX_PAIRS keeps them out of large data.
BLOCKING_RULES = (
    ("phone",),
    ("email",),
    ("full_name", "city"),
    ("full_name", "birth_date"),
    ("national_id",),
    ("birth_date", "postcode"),
    ("wechat",),
    ("full_name", "postcode"),
    ("address_line",),
    ("birth_date",),
)
IDENTIFIER_RULES = (("phone",), ("email",), ("national_id",))
FALLBACK_PRIOR_RULES = (("full_name", "birth_date"), ("full_name", "address_line"), ("full_name", "postcode"))
EM_BLOCKS = (("phone",), ("email",), ("full_name", "city"), ("national_id",))
FALLBACK_EM_BLOCKS = (("full_name",), ("birth_date",), ("postcode",), ("city",))


def clean(staged: pa.Table) -> pa.Table:
    con = duckdb.connect()
    con.register("staged", staged)
    return con.sql(CLEAN_SQL).to_arrow_table()


def repeated_columns(records: pa.Table) -> set[str]:
    """The compared columns in which some non-null value occurs twice."""
    con = duckdb.connect()
    con.register("r", records)
    found = set()
    for column in COMPARISONS:
        sql = f"select 1 from r where {column} is not null group by {column} having count(*) > 1 limit 1"
        if con.execute(sql).fetchall():
            found.add(column)
    return found


def pair_count(records: pa.Table, columns: tuple[str, ...]) -> int:
    """Pairs of records that agree on all these columns (none null): what block_on(*columns) makes."""
    con = duckdb.connect()
    con.register("r", records)
    keys = ", ".join(columns)
    present = " and ".join(f"{c} is not null" for c in columns)
    sql = f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) n from r where {present} group by {keys})"
    return int(con.execute(sql).fetchone()[0])


def usable(rules, columns: set[str], pairs) -> list[tuple[str, ...]]:
    """The rules whose columns are all compared and that make some pairs, at most MAX_PAIRS."""
    return [rule for rule in rules if set(rule) <= columns and 0 < pairs(rule) <= MAX_PAIRS]


def em_blocks(columns: set[str], pairs) -> list[tuple[str, ...]]:
    """The usual EM blocks the data has; then, for a compared column every chosen block fixes (so
    no session estimates it), the first fallback block that leaves it free."""
    chosen = usable(EM_BLOCKS, columns, pairs)
    fallbacks = usable(FALLBACK_EM_BLOCKS, columns, pairs)
    for column in sorted(columns):
        if all(column in block for block in chosen):
            chosen += [block for block in fallbacks if column not in block][:1]
    return list(dict.fromkeys(chosen))


def settings(columns: set[str], rules: list[tuple[str, ...]]) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[make() for column, make in COMPARISONS.items() if column in columns],
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in rules],
    )


def _names(rules) -> str:
    return "; ".join(", ".join(rule) for rule in rules) or "none"


def run(staged: pa.Table, notes: list[str] | None = None) -> tuple[dict[tuple, str], dict[str, float]]:
    """(lineage key -> cluster id, seconds per stage) for plain Splink on these staged records;
    what it chose from the columns (and any EM session it left out) is appended to notes."""
    notes = [] if notes is None else notes
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    records = clean(staged)
    columns = repeated_columns(records)
    counts: dict[tuple, int] = {}

    def pairs(rule: tuple[str, ...]) -> int:
        if rule not in counts:
            counts[rule] = pair_count(records, rule)
        return counts[rule]

    rules = usable(BLOCKING_RULES, columns, pairs)
    if not rules:
        raise ValueError(f"no blocking rule fits these columns ({', '.join(sorted(columns)) or 'none'})")
    notes += [f"compared: {', '.join(c for c in COMPARISONS if c in columns)}", f"blocking: {_names(rules)}"]
    seconds["clean"] = time.perf_counter() - start

    start = time.perf_counter()
    db_api = DuckDBAPI()
    # errors only: Splink warns of every level EM could not train, which would bury the eval's table
    linker = Linker(db_api.register(records), settings(columns, rules), log_level=logging.ERROR)
    deterministic = usable(IDENTIFIER_RULES, columns, pairs) or usable(FALLBACK_PRIOR_RULES, columns, pairs)
    if deterministic:  # else Splink's default prior
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*rule) for rule in deterministic], recall=0.7
        )
    notes.append(f"prior from: {_names(deterministic) if deterministic else 'none (Splink default)'}")
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
    for block in em_blocks(columns, pairs):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*block))
            notes.append(f"EM blocked on {_names([block])}")
        except ValueError as exc:  # the session trained a copy of the settings: nothing half-done stays
            notes.append(f"EM blocked on {_names([block])} left out: {str(exc).split('. ')[0]}")
    seconds["train"] = time.perf_counter() - start

    start = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    seconds["predict"] = time.perf_counter() - start

    start = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, THRESHOLD)
    rows = clusters.as_duckdbpyrelation().select("source_file, source_sheet, source_row, cluster_id").fetchall()
    seconds["cluster"] = time.perf_counter() - start
    return assignment(rows), seconds


def main(argv: list[str]) -> None:
    """python -m evaluation.plain_splink WORK_DIR TRUTH.csv: figures as one JSON line, on the
    staged records of the work area."""
    import json

    from assets.resources import WorkArea
    from assets.work_tables import STAGED
    from linkage.evaluate import pairwise_scores, read_truth

    staged = WorkArea(path=argv[0]).read(STAGED)
    start = time.perf_counter()
    assignment, stages = run(staged)
    seconds = time.perf_counter() - start
    scores = pairwise_scores(assignment, read_truth(Path(argv[1])))
    figures = {
        "seconds": round(seconds, 1),
        "records_per_second": round(staged.num_rows / seconds),
        "stages": {k: round(v, 1) for k, v in stages.items()},
    }
    figures.update({k: round(v, 4) for k, v in scores.as_dict().items() if k in ("precision", "recall", "f1")})
    print(json.dumps(figures))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
