"""Scoring: canonical records -> the columns linkage reads -> scored candidate pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI

from linkage.delta import member, pairs_within
from linkage.model import LINK_COLUMNS, new_linker
from linkage.profile import generic_values, without_generic_values
from sources.arrow_sql import connection, rows_where
from sources.systems import ORDER_SYSTEMS

PAIR_SCHEMA = pa.schema(
    [
        ("record_id_l", pa.int64()),
        ("record_id_r", pa.int64()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("kind", pa.string()),
    ]
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
       email_std, split_part(email_std, '@', 1) as email_local, wechat_std,
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


def score_pairs(records: pa.Table, splink_model: dict, threshold: float) -> pa.Table:
    """All candidate pairs at or above threshold, scored by the saved model."""
    db_api = DuckDBAPI()
    linker = new_linker(records, splink_model, db_api)
    return _pairs(linker.inference.predict(threshold_match_probability=threshold, warning_mode="never"))


def deterministic_pairs(canonical: pa.Table, links: pa.Table | None = None) -> pa.Table:
    """Pairs that are the same customer by definition, whatever the model says: the line-item
    rows of one shop order, a ticket with the order it names, and records sharing both a phone
    and an email that are not generic (a person's decision still parts them)."""
    links = link_records(canonical) if links is None else links
    return pa.concat_tables([_order_pairs(canonical), shared_contact_pairs(links)])


def shared_contact_pairs(links: pa.Table) -> pa.Table:
    """Records with the same phone and the same email: one customer, whatever else the batch
    holds (each joins the first record of its phone and email)."""
    con = connection(links=links.select(["record_id", "phone_e164", "email_std"]))
    return (
        con.sql(
            """
        with shared as (
            select record_id, min(record_id) over (partition by phone_e164, email_std) as first_id
            from links where phone_e164 is not null and email_std is not null
        )
        select first_id as record_id_l, record_id as record_id_r, 1.0 as match_probability,
               null::double as match_weight, 'same phone and email' as kind
        from shared where record_id <> first_id
        """
        )
        .to_arrow_table()
        .cast(PAIR_SCHEMA)
    )


def _order_pairs(canonical: pa.Table) -> pa.Table:
    con = connection(canonical=canonical)
    return (
        con.sql(
            """
        with orders as (
            select record_id, source_record_key as order_id from canonical
            where list_contains($shops, source_system) and source_record_key is not null
        ), first_row as (select order_id, min(record_id) as record_id from orders group by order_id)
        select f.record_id as record_id_l, o.record_id as record_id_r, 1.0 as match_probability,
               null::double as match_weight, 'same order' as kind
        from orders o join first_row f using (order_id) where o.record_id <> f.record_id
        union all
        select least(f.record_id, t.record_id), greatest(f.record_id, t.record_id), 1.0, null, 'ticket names order'
        from canonical t join first_row f on t.related_order_id = f.order_id
        """,
            params={"shops": list(ORDER_SYSTEMS)},
        )
        .to_arrow_table()
        .cast(PAIR_SCHEMA)
    )


def score_new_pairs(existing: pa.Table, new: pa.Table, splink_model: dict, threshold: float) -> pa.Table:
    """Pairs that involve new records, scored by the saved model with term frequencies of all
    records: new x (existing and new) in one predict_between, which costs less than
    predict_between and predict_within apart and finds the same pairs (tested). A pair of two new
    records comes both ways round and each new record meets itself: kept once, and not at all."""
    db_api = DuckDBAPI()
    records = pa.concat_tables([existing, new])
    linker = new_linker(records, splink_model, db_api)
    compute_term_frequencies(linker, splink_model)
    everyone = db_api.register(records, table_name="all_records")
    new_sdf = db_api.register(new, table_name="new_records")
    predictions = linker.inference.predict_between(
        everyone, new_sdf, threshold_match_probability=threshold, warning_mode="never"
    )
    return (
        predictions.as_duckdbpyrelation()
        .query(
            "p",
            f"select {_ORIENTED}, max(match_probability) as match_probability, max(match_weight) as match_weight, 'model' as kind from p where record_id_l <> record_id_r and {_SCORED} group by all",
        )
        .to_arrow_table()
        .cast(PAIR_SCHEMA)
    )


# a pair the model could not score (a probability that is not a number) is no evidence at all;
# regularise keeps every model parameter finite so this should never hold a pair back
_SCORED = "isfinite(match_probability)"
# a pair's record ids, lower first: one orientation whatever order Splink compared them in
_ORIENTED = (
    "least(record_id_l, record_id_r)::bigint as record_id_l, greatest(record_id_l, record_id_r)::bigint as record_id_r"
)


def compute_term_frequencies(linker, splink_model: dict) -> None:
    """Term-frequency tables over the linker's records, for every column the model adjusts by:
    predict_between needs them registered first."""
    columns = {
        lv["tf_adjustment_column"]
        for c in splink_model["comparisons"]
        for lv in c["comparison_levels"]
        if lv.get("tf_adjustment_column")
    }
    for column in sorted(columns):
        linker.table_management.compute_tf_table(column)


def _pairs(predictions) -> pa.Table:
    result = predictions.as_duckdbpyrelation().query(
        "p", f"select {_ORIENTED}, match_probability, match_weight, 'model' as kind from p where {_SCORED}"
    )
    return result.to_arrow_table().cast(PAIR_SCHEMA)


@dataclass(frozen=True)
class Scorer:
    """The engine that scores pairs: the same model and settings on DuckDB or on Spark."""

    all_pairs: Callable[[pa.Table, dict, float], pa.Table]
    new_pairs: Callable[[pa.Table, pa.Table, dict, float], pa.Table]


def scorer(engine: str = "duckdb", spark_master: str = "local[2]") -> Scorer:
    if engine == "duckdb":
        return Scorer(score_pairs, score_new_pairs)
    if engine == "spark":
        from linkage import spark  # only when asked for: pyspark and a JVM are heavy

        return Scorer(
            lambda records, model, threshold: spark.score_pairs_spark(records, model, threshold, spark_master),
            lambda existing, new, model, threshold: spark.score_new_pairs_spark(
                existing, new, model, threshold, spark_master
            ),
        )
    raise ValueError(f"unknown linkage engine {engine!r} (use duckdb or spark)")


def rescore_with_new(
    previous_pairs: pa.Table,
    scored_records: pa.Table,
    records: pa.Table,
    splink_model: dict,
    threshold: float,
    engine: Scorer | None = None,
) -> pa.Table:
    """Model pairs after an incremental read: last run's pairs between link records that are
    still here, plus the pairs that involve records the last scoring did not see."""
    seen = member(records.column("record_id"), scored_records.column("record_id"))
    existing, new = rows_where(records, seen), records.filter(pc.invert(seen))
    model_pairs = previous_pairs.filter(pc.equal(previous_pairs.column("kind"), "model"))
    kept = pairs_within(model_pairs, existing.column("record_id"))
    engine = engine or scorer()
    if new.num_rows == 0:
        return kept
    if existing.num_rows == 0:
        return engine.all_pairs(new, splink_model, threshold)
    return pa.concat_tables([kept, engine.new_pairs(existing, new, splink_model, threshold)])
