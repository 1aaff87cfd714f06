"""The Splink model: which fields are compared how, how candidates are blocked, how it is trained.

Chinese names are compared on pinyin tokens (DuckDB's string distances count UTF-8 bytes, so a
one-character difference in 汉字 looks like three edits) with exact character levels on top.
A surname-only name (王总) is weak evidence: it can only agree with the other record's surname.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from sources.arrow_sql import connection

TRAINING_SEED = 42
logger = logging.getLogger(__name__)

# The columns linkage reads (built by linkage.features from canonical records).
LINK_COLUMNS = (
    "record_id", "source_system", "name_full", "name_tokens", "name_chars", "surname_py",
    "phone_e164", "phones", "email_std", "email_local", "wechat_std", "birth_date_std",
    "city_std", "district_std", "address_std", "postcode_std", "national_id", "external_id",
)


def _name_comparison() -> cl.CustomComparison:
    # name_full and name_tokens are null for surname-only names, which only have surname_py
    tokens_jw = "jaro_winkler_similarity(name_tokens_l, name_tokens_r)"
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.CustomLevel(
                "(name_tokens_l IS NULL AND surname_py_l IS NULL) OR (name_tokens_r IS NULL AND surname_py_r IS NULL)",
                label_for_charts="name missing",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("name_full").configure(tf_adjustment_column="name_full", tf_adjustment_weight=0.6),
            cll.CustomLevel("name_tokens_l = name_tokens_r", label_for_charts="same pinyin tokens (any order or script)"),
            cll.CustomLevel("name_chars_l = name_chars_r", label_for_charts="same characters in another order (强龙徐)"),
            cll.CustomLevel(f"{tokens_jw} >= 0.92", label_for_charts="pinyin tokens similar"),
            cll.CustomLevel(
                "(name_tokens_l IS NULL OR name_tokens_r IS NULL) AND surname_py_l = surname_py_r",
                label_for_charts="surname only, agrees",
            ),
            cll.CustomLevel(
                "(name_tokens_l IS NULL AND list_contains(string_split(name_tokens_r, ' '), surname_py_l))"
                " OR (name_tokens_r IS NULL AND list_contains(string_split(name_tokens_l, ' '), surname_py_r))",
                label_for_charts="surname only, found in the other name",
            ),
            cll.CustomLevel(f"{tokens_jw} >= 0.80", label_for_charts="pinyin tokens loosely similar"),
            cll.ElseLevel(),
        ],
    )


def _phone_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            cll.CustomLevel("len(phones_l) = 0 OR len(phones_r) = 0 OR phones_l IS NULL OR phones_r IS NULL", label_for_charts="phone missing").configure(is_null_level=True),
            # a shared office number is common: term frequencies weaken it
            cll.ExactMatchLevel("phone_e164").configure(tf_adjustment_column="phone_e164", tf_adjustment_weight=0.5),
            cll.CustomLevel("len(list_intersect(phones_l, phones_r)) > 0", label_for_charts="share another phone"),
            # the same national number under another country code (a US number written 1xxxxxxxxxx)
            cll.CustomLevel("right(phone_e164_l, 10) = right(phone_e164_r, 10)", label_for_charts="same last ten digits"),
            cll.CustomLevel("damerau_levenshtein(phone_e164_l, phone_e164_r) <= 1", label_for_charts="phone one typo apart"),
            cll.ElseLevel(),
        ],
    )


def _email_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="email",
        comparison_levels=[
            cll.NullLevel("email_std"),
            cll.ExactMatchLevel("email_std").configure(tf_adjustment_column="email_std", tf_adjustment_weight=0.5),
            cll.CustomLevel("damerau_levenshtein(email_std_l, email_std_r) <= 1", label_for_charts="email one typo apart"),
            cll.CustomLevel("email_local_l = email_local_r", label_for_charts="same mailbox name, other domain"),
            cll.CustomLevel("jaro_winkler_similarity(email_local_l, email_local_r) >= 0.9", label_for_charts="mailbox name similar"),
            cll.ElseLevel(),
        ],
    )


def _place_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            cll.CustomLevel("city_std_l IS NULL OR city_std_r IS NULL", label_for_charts="city missing").configure(is_null_level=True),
            cll.CustomLevel("address_std_l = address_std_r", label_for_charts="same address"),
            cll.CustomLevel("jaro_winkler_similarity(address_std_l, address_std_r) >= 0.9", label_for_charts="similar address"),
            cll.CustomLevel("city_std_l = city_std_r AND district_std_l = district_std_r", label_for_charts="same district"),
            cll.CustomLevel("city_std_l = city_std_r", label_for_charts="same city"),
            cll.ElseLevel(),
        ],
    )


def _typo_tolerant(column: str, label: str) -> cl.CustomComparison:
    """Exact, one keystroke apart (a mistyped digit or two swapped), or different."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.CustomLevel(f"damerau_levenshtein({column}_l, {column}_r) <= 1", label_for_charts=f"{label} one typo apart"),
            cll.ElseLevel(),
        ],
    )


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            _name_comparison(),
            _phone_comparison(),
            _email_comparison(),
            cl.ExactMatch("wechat_std"),
            _typo_tolerant("birth_date_std", "birth date"),
            _place_comparison(),
            cl.ExactMatch("postcode_std"),
            _typo_tolerant("national_id", "national id"),
            cl.ExactMatch("external_id"),
        ],
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


def prediction_blocking_rules() -> list:
    """Candidate pairs: anything sharing a strong key, plus name-based blocks for typos."""
    return [
        block_on("phones", arrays_to_explode=["phones"]),
        block_on("email_std"),
        block_on("wechat_std"),
        block_on("external_id"),
        block_on("name_tokens", "city_std"),
        block_on("name_tokens", "birth_date_std"),
        block_on("name_tokens", "substr(phone_e164, 1, 9)"),
        block_on("email_local"),
        block_on("surname_py", "substr(phone_e164, -4)"),
        block_on("right(phone_e164, 10)"),
        block_on("national_id"),
        block_on("birth_date_std", "postcode_std"),
        block_on("postcode_std", "substr(name_tokens, 1, 2)"),
        block_on("address_std"),
        block_on("city_std", "birth_date_std"),
    ]


# EM sessions: each fixes some fields so the others' m values can be learnt. A source set without
# a field (no emails, no national ids) has no pairs for that session, which is then skipped.
TRAINING_KEYS = [("phone_e164",), ("email_std",), ("name_tokens", "city_std"), ("national_id",), ("birth_date_std", "postcode_std")]


# pairs these rules find are almost all true matches: they size the prior
DETERMINISTIC_RULES = [
    block_on("phone_e164", "name_tokens"),
    block_on("email_std", "name_tokens"),
    block_on("national_id", "birth_date_std"),
]
MIN_TRAINING_PAIRS = 50
U_SAMPLE_PAIRS = 1e6  # enough to see exact-phone agreement (u about 2e-5) a few dozen times


def train(linker: Linker, records) -> None:
    linker.training.estimate_probability_two_random_records_match(DETERMINISTIC_RULES, recall=0.7)
    # one deterministic sample: Splink's chunked probing re-scores the sample several times
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=TRAINING_SEED, num_chunks=1)
    for keys in TRAINING_KEYS:
        if pairs_sharing(records, keys) >= MIN_TRAINING_PAIRS:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*keys), estimate_without_term_frequencies=True)


def pairs_sharing(records, keys: tuple[str, ...]) -> int:
    """How many record pairs agree on all these (non-null) columns."""
    con = connection(records=records)
    columns = ", ".join(keys)
    not_null = " and ".join(f"{k} is not null" for k in keys)
    (pairs,) = con.execute(f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) n from records where {not_null} group by {columns})").fetchone()
    return int(pairs)


def train_model(records) -> dict:
    """Train a model on these link records; returns Splink's model dictionary."""
    linker = new_linker(records)
    train(linker, records)
    return regularise(linker.misc.save_model_to_json())


M_FLOOR = 0.01


def regularise(model: dict) -> dict:
    """Floor every trained m probability so no single disagreement becomes a veto.

    EM on clean-looking data learns m = 0 for 'emails differ' (weight -87): one typo'd or second
    mailbox would then forbid a match that every other field supports. People do have several
    phones and emails, so each level keeps at least M_FLOOR of the matches."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        trained = [lv for lv in levels if lv.get("m_probability") is not None]
        for level in trained:
            level["m_probability"] = max(level["m_probability"], M_FLOOR)
        total = sum(lv["m_probability"] for lv in trained)
        for level in trained:
            level["m_probability"] /= total
    return model


def new_linker(records, model: dict | SettingsCreator | None = None, db_api: DuckDBAPI | None = None) -> Linker:
    db_api = db_api or DuckDBAPI()
    frame = db_api.register(records, table_name="records")
    # Splink's settings validation only logs, and parses every comparison's SQL to do it (~0.4 s):
    # a saved model was validated when it was trained on these same columns
    return Linker(frame, model if model is not None else settings(), log_level=logging.WARNING, validate_settings=not isinstance(model, dict))


@functools.cache  # the design is code: it cannot change while a process runs
def design_digest() -> str:
    """What a trained model stands for besides its records: the comparisons, the blocking rules
    and how it is trained. A model saved under another design is stale and is trained again."""
    design = {
        "settings": settings().create_settings_dict("duckdb"),
        "prior_rules": [rule.get_blocking_rule("duckdb").blocking_rule_sql for rule in DETERMINISTIC_RULES],
        "em_keys": TRAINING_KEYS,
        "training": [MIN_TRAINING_PAIRS, U_SAMPLE_PAIRS, TRAINING_SEED, M_FLOOR],
    }
    return hashlib.sha256(json.dumps(design, sort_keys=True, default=str).encode()).hexdigest()[:16]
