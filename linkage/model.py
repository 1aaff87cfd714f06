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
import math

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import SplinkException

from common.arrow_sql import connection, database

TRAINING_SEED = 42
logger = logging.getLogger(__name__)


SURNAME_AGREES = "surname_py_l = surname_py_r"
SURNAME_IN_OTHER_NAME = (
    "(name_tokens_l IS NULL AND list_contains(string_split(name_tokens_r, ' '), surname_py_l))"
    " OR (name_tokens_r IS NULL AND list_contains(string_split(name_tokens_l, ' '), surname_py_r))"
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
            cll.CustomLevel(
                "name_tokens_l = name_tokens_r", label_for_charts="same pinyin tokens (any order or script)"
            ),
            cll.CustomLevel(
                "name_chars_l = name_chars_r", label_for_charts="same characters in another order (强龙徐)"
            ),
            cll.CustomLevel(f"{tokens_jw} >= 0.92", label_for_charts="pinyin tokens similar"),
            cll.CustomLevel(
                f"(name_tokens_l IS NULL OR name_tokens_r IS NULL) AND {SURNAME_AGREES}",
                label_for_charts="surname only, agrees",
            ),
            cll.CustomLevel(SURNAME_IN_OTHER_NAME, label_for_charts="surname only, found in the other name"),
            cll.CustomLevel(f"{tokens_jw} >= 0.80", label_for_charts="pinyin tokens loosely similar"),
            # one part agrees, the other is another name (a nickname, a married surname): weak
            # for common surnames, which EM learns from how often strangers share a part
            cll.CustomLevel(
                "len(list_intersect(string_split(name_tokens_l, ' '), string_split(name_tokens_r, ' '))) > 0",
                label_for_charts="share a name part",
            ),
            cll.ElseLevel(),
        ],
    )


def _phone_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            cll.CustomLevel(
                "len(phones_l) = 0 OR len(phones_r) = 0 OR phones_l IS NULL OR phones_r IS NULL",
                label_for_charts="phone missing",
            ).configure(is_null_level=True),
            # a shared office number is common: term frequencies weaken it
            cll.ExactMatchLevel("phone_e164").configure(tf_adjustment_column="phone_e164", tf_adjustment_weight=0.5),
            cll.CustomLevel("len(list_intersect(phones_l, phones_r)) > 0", label_for_charts="share another phone"),
            # the same national number under another country code (a US number written 1xxxxxxxxxx)
            cll.CustomLevel(
                "right(phone_e164_l, 10) = right(phone_e164_r, 10)", label_for_charts="same last ten digits"
            ),
            cll.CustomLevel(
                "damerau_levenshtein(phone_e164_l, phone_e164_r) <= 1", label_for_charts="phone one typo apart"
            ),
            cll.ElseLevel(),
        ],
    )


EMAIL_TYPO = "damerau_levenshtein(email_std_l, email_std_r) <= 1"
SAME_MAILBOX = "email_local_l = email_local_r"
SIMILAR_MAILBOX = "jaro_winkler_similarity(email_local_l, email_local_r) >= 0.9"


def _email_comparison() -> cl.CustomComparison:
    # Two mailboxes each made of its owner's name (wei.zhang@163.com, wei.zhang@qq.com,
    # zhangwei1234 / zhangwei1235) say no more than the names, which the name comparison counts;
    # strangers of one name share them. Weighed as a near mailbox (random pairs never show one, so
    # u sat at its floor: +20 bits), they made 94% of the wrong links at 340,000 records.
    alike = f"({EMAIL_TYPO} OR {SAME_MAILBOX} OR {SIMILAR_MAILBOX})"
    return cl.CustomComparison(
        output_column_name="email",
        comparison_levels=[
            cll.NullLevel("email_std"),
            cll.ExactMatchLevel("email_std").configure(tf_adjustment_column="email_std", tf_adjustment_weight=0.5),
            cll.CustomLevel(
                f"mailbox_named_l AND mailbox_named_r AND {alike}",
                label_for_charts="mailboxes alike, named after people",
            ).configure(is_null_level=True),
            cll.CustomLevel(EMAIL_TYPO, label_for_charts="email one typo apart"),
            cll.CustomLevel(SAME_MAILBOX, label_for_charts="same mailbox name, other domain"),
            cll.CustomLevel(SIMILAR_MAILBOX, label_for_charts="mailbox name similar"),
            cll.ElseLevel(),
        ],
    )


def _place_comparison(fields: frozenset[str]) -> cl.CustomComparison:
    # without cities (an address-only source) the address alone says whether place is known
    known = "city_std" if "city_std" in fields else "address_std"
    words = "string_split(address_std_{}, ' ')"
    shared_words = f"len(list_intersect({words.format('l')}, {words.format('r')}))"
    most_words = f"greatest(len({words.format('l')}), len({words.format('r')}))"
    return cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            cll.CustomLevel(f"{known}_l IS NULL OR {known}_r IS NULL", label_for_charts="place missing").configure(
                is_null_level=True
            ),
            cll.CustomLevel("address_std_l = address_std_r", label_for_charts="same address"),
            cll.CustomLevel(
                "jaro_winkler_similarity(address_std_l, address_std_r) >= 0.9", label_for_charts="similar address"
            ),
            cll.CustomLevel(f"{shared_words} * 3 >= {most_words} * 2", label_for_charts="most address words shared"),
            cll.CustomLevel(
                "city_std_l = city_std_r AND district_std_l = district_std_r", label_for_charts="same district"
            ),
            cll.CustomLevel("city_std_l = city_std_r", label_for_charts="same city"),
            cll.CustomLevel(
                "jaro_winkler_similarity(city_std_l, city_std_r) >= 0.9", label_for_charts="city one typo apart"
            ),
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
            cll.CustomLevel(
                f"damerau_levenshtein({column}_l, {column}_r) <= 1", label_for_charts=f"{label} one typo apart"
            ),
            cll.ElseLevel(),
        ],
    )


def _external_id_comparison() -> cl.CustomComparison:
    # ids are 'platform:id' (tmall:nick, zendesk:42): two platforms' ids say nothing about each other
    other_platform = "split_part(external_id_l, ':', 1) <> split_part(external_id_r, ':', 1)"
    return cl.CustomComparison(
        output_column_name="external_id",
        comparison_levels=[
            cll.CustomLevel(f"external_id_l IS NULL OR external_id_r IS NULL OR {other_platform}").configure(
                is_null_level=True
            ),
            cll.ExactMatchLevel("external_id"),
            cll.ElseLevel(),
        ],
    )


# Each comparison with the profiled fields it needs (any one of them): a field the data does not
# carry adds nothing EM could learn, and a comparison on it only invites degenerate estimates.
COMPARISONS = (
    (("name_tokens", "surname_py"), lambda fields: _name_comparison()),
    (("phone_e164",), lambda fields: _phone_comparison()),
    (("email_std",), lambda fields: _email_comparison()),
    (("wechat_std",), lambda fields: cl.ExactMatch("wechat_std")),
    (("birth_date_std",), lambda fields: _typo_tolerant("birth_date_std", "birth date")),
    (("city_std", "address_std"), _place_comparison),
    (("postcode_std",), lambda fields: _typo_tolerant("postcode_std", "postcode")),
    (("national_id",), lambda fields: _typo_tolerant("national_id", "national id")),
    (("external_id",), lambda fields: _external_id_comparison()),
)
ALL_FIELDS = frozenset(f for needs, _ in COMPARISONS for f in needs)
CONTACT_KEYS = frozenset({"phone_e164", "email_std", "wechat_std", "national_id", "external_id"})


def settings(fields=ALL_FIELDS) -> SettingsCreator:
    """The model for records carrying these fields (linkage.profile.data_profile chooses them)."""
    fields = frozenset(fields)
    comparisons = [make(fields) for needs, make in COMPARISONS if fields & set(needs)]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons or [_name_comparison()],
        blocking_rules_to_generate_predictions=prediction_blocking_rules(fields),
        probability_two_random_records_match=DEFAULT_PRIOR,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


# Candidate pairs: anything sharing a strong key, plus name-based blocks for typos. Each block is
# used when the data carries its fields (`phones`, exploded, is added with the phone).
PREDICTION_BLOCKS = (
    ("email_std",),
    ("wechat_std",),
    ("external_id",),
    ("name_tokens", "city_std"),
    ("name_tokens", "birth_date_std"),
    ("name_tokens", "substr(phone_e164, 1, 9)"),
    ("email_local",),
    ("surname_py", "substr(phone_e164, -4)"),
    ("right(phone_e164, 10)",),
    ("national_id",),
    ("birth_date_std", "postcode_std"),
    ("postcode_std", "substr(name_tokens, 1, 2)"),
    ("address_std",),
    ("city_std", "birth_date_std"),
)
# Where no contact key exists (names with birth dates, addresses or places only), typos in the
# name must still meet: looser blocks. No budget caps their pairs yet (a name or birth date shared
# by thousands would multiply them); FEBRL-sized and demo-sized sets stay within seconds.
LOOSE_BLOCKS = (
    ("birth_date_std",),
    ("name_tokens",),
    ("substr(name_tokens, 1, 3)", "postcode_std"),
    ("substr(name_tokens, 1, 3)", "city_std"),
    ("substr(birth_date_std, 1, 7)", "substr(name_tokens, 1, 1)"),
)
_EXPRESSION_FIELDS = {"email_local": "email_std"}


def needed_fields(keys: tuple[str, ...]) -> set[str]:
    """The profiled fields a block's keys read (an expression reads the field it names)."""
    found = set()
    for key in keys:
        names = {f for f in ALL_FIELDS if f in key} | {v for k, v in _EXPRESSION_FIELDS.items() if k in key}
        found |= names
    return found


def prediction_blocks(fields) -> list[tuple[str, ...]]:
    fields = frozenset(fields)
    blocks = [keys for keys in PREDICTION_BLOCKS if needed_fields(keys) <= fields]
    if not fields & CONTACT_KEYS:
        blocks += [keys for keys in LOOSE_BLOCKS if needed_fields(keys) <= fields]
    return blocks


def prediction_blocking_rules(fields=ALL_FIELDS) -> list:
    phones = [block_on("phones", arrays_to_explode=["phones"])] if "phone_e164" in fields else []
    return phones + [block_on(*keys) for keys in prediction_blocks(fields)]


# EM sessions: each fixes some fields so the others' m values can be learnt. A session whose
# fields the data lacks, or that finds too few pairs, is skipped; one that finds more pairs than
# the budget (a value shared by thousands) is trained on a sample of its blocks.
TRAINING_KEYS = [
    ("phone_e164",), ("email_std",), ("name_tokens", "city_std"), ("national_id",), ("birth_date_std", "postcode_std"),
]  # fmt: skip
# for data with fewer than two of those: names, birth dates and places train each other
FALLBACK_TRAINING_KEYS = [("birth_date_std",), ("name_tokens",), ("postcode_std",), ("city_std",), ("address_std",)]
MIN_TRAINING_PAIRS = 50
MAX_TRAINING_PAIRS = 2_000_000  # EM's pairs in one session: bounded time and memory at any size
U_SAMPLE_PAIRS = 1e6  # enough to see exact-phone agreement (u about 2e-5) a few dozen times

# pairs these rules find are almost all true matches: they size the prior
PRIOR_RULES = [("phone_e164", "name_tokens"), ("email_std", "name_tokens"), ("national_id", "birth_date_std")]
# for data without contact keys: the same name born the same day, or living at the same address
FALLBACK_PRIOR_RULES = [
    ("name_tokens", "birth_date_std"), ("name_tokens", "address_std"), ("name_tokens", "postcode_std"),
    ("phone_e164", "email_std"), ("phone_e164", "wechat_std"), ("email_std", "wechat_std"),
]  # fmt: skip
PRIOR_RECALL = 0.7
# when no rule finds a pair: one record in a thousand has a duplicate among ten thousand others
DEFAULT_PRIOR = 1e-4
PRIOR_BOUNDS = (1e-9, 0.5)


def training_plan(records, fields) -> dict:
    """Which prior rules and EM sessions these records support, from their fields and pair counts."""
    fields = frozenset(fields)

    def usable(keys):
        return set(keys) <= fields

    def leaves_something_to_learn(keys):  # EM learns only the comparisons whose fields it does not block on
        return any(not set(needs) & set(keys) for needs, _ in COMPARISONS if set(needs) & fields)

    candidates = {*TRAINING_KEYS, *FALLBACK_TRAINING_KEYS}
    counts = {k: pairs_sharing(records, k) for k in candidates if usable(k) and leaves_something_to_learn(k)}
    sessions = [k for k in TRAINING_KEYS if counts.get(k, 0) >= MIN_TRAINING_PAIRS]
    if len(sessions) < 2:
        sessions += [k for k in FALLBACK_TRAINING_KEYS if counts.get(k, 0) >= MIN_TRAINING_PAIRS and k not in sessions]
    prior = [k for k in PRIOR_RULES if usable(k) and pairs_sharing(records, k) > 0]
    if not prior:
        prior = [k for k in FALLBACK_PRIOR_RULES if usable(k) and pairs_sharing(records, k) > 0]
    return {"prior_rules": prior, "em_sessions": [(k, counts[k]) for k in sessions]}


def train(linker: Linker, records, fields=ALL_FIELDS) -> dict:
    """Prior, u and m of the linker's model; returns the plan it followed (rules and sessions,
    and the recall the prior rules were found to have)."""
    plan = training_plan(records, fields)
    rules = [block_on(*keys) for keys in plan["prior_rules"]]
    if rules:
        _guarded(lambda: linker.training.estimate_probability_two_random_records_match(rules, recall=PRIOR_RECALL))
    # one deterministic sample: Splink's chunked probing re-scores the sample several times
    _guarded(
        lambda: linker.training.estimate_u_using_random_sampling(
            max_pairs=U_SAMPLE_PAIRS, seed=TRAINING_SEED, num_chunks=1
        )
    )
    for keys, pairs in plan["em_sessions"]:
        rule = block_on(*keys) if pairs <= MAX_TRAINING_PAIRS else _sampled_block(keys, pairs)
        _guarded(
            lambda rule=rule: linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        )
    if rules and plan["em_sessions"]:  # the prior again, with the recall EM's m values give its rules
        plan["prior_recall"] = prior_rule_recall(linker.misc.save_model_to_json(), plan["prior_rules"], records)
        _guarded(
            lambda: linker.training.estimate_probability_two_random_records_match(rules, recall=plan["prior_recall"])
        )
    return plan


# where a pair agrees on a prior rule's key: the comparison and its levels (after the null level)
KEY_AGREEMENT = {
    "name_tokens": ("name", (1, 2)),  # the same name, or the same tokens in another order
    "phone_e164": ("phone", (1,)),
    "email_std": ("email", (1,)),
    "wechat_std": ("wechat_std", (1,)),
    "birth_date_std": ("birth_date_std", (1,)),
    "address_std": ("place", (1,)),
    "postcode_std": ("postcode_std", (1,)),
    "national_id": ("national_id", (1,)),
}
RECALL_BOUNDS = (0.02, 1.0)


def prior_rule_recall(model: dict, rules: list[tuple[str, ...]], records) -> float:
    """The share of true matches the prior rules find, from the trained m values: a match is found
    by a rule when both records carry its keys and agree on each. Assumed rather than measured
    (PRIOR_RECALL), the prior came out ten times too low on messy data (Splink's fake_1000), where
    typos and blanks leave exact rules a fraction of the matches."""
    comparisons = {c["output_column_name"]: c["comparison_levels"] for c in model["comparisons"]}
    present = _present_shares(records, {k for rule in rules for k in rule})
    missed = 1.0
    for rule in rules:
        found = 1.0
        for key in rule:
            name, levels = KEY_AGREEMENT[key]
            agree = (
                sum(_finite(comparisons[name][i].get("m_probability"), 0) for i in levels) if name in comparisons else 0
            )
            found *= agree * present[key] ** 2
        missed *= 1 - found
    low, high = RECALL_BOUNDS
    return PRIOR_RECALL if missed == 1.0 else min(max(1 - missed, low), high)


def _present_shares(records, columns: set[str]) -> dict[str, float]:
    """The share of records carrying each column."""
    con = connection(records=records)
    names = sorted(columns)
    counts = con.execute(f"select count(*), {', '.join(f'count({c})' for c in names)} from records").fetchone()
    total = counts[0] or 1
    return {c: n / total for c, n in zip(names, counts[1:])}


def _sampled_block(keys: tuple[str, ...], pairs: int):
    """A block on keys that keeps about MAX_TRAINING_PAIRS of its pairs: both records of a pair
    must also fall in the same one of n hash buckets, which divides the pairs by about n."""
    buckets = -(-pairs // MAX_TRAINING_PAIRS)
    return block_on(*keys, f"hash(record_id) % {buckets}")


def _guarded(step) -> None:
    """A training step that cannot estimate on this data (no pairs, a level never seen: Splink's
    math domain error) leaves its parameters as they were instead of failing the run."""
    try:
        step()
    except (ValueError, ArithmeticError, SplinkException) as error:
        logger.warning("a training step was skipped: %s", type(error).__name__)


def pairs_sharing(records, keys: tuple[str, ...]) -> int:
    """How many record pairs agree on all these (non-null) columns."""
    con = connection(records=records)
    columns = ", ".join(keys)
    not_null = " and ".join(f"{k} is not null" for k in keys)
    (pairs,) = con.execute(
        f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) n from records where {not_null} group by {columns})"
    ).fetchone()
    return int(pairs)


def train_model(records, fields=ALL_FIELDS, refine=None) -> dict:
    """Train a model on these link records; returns Splink's model dictionary, safe to score with.
    refine(linker), when given, runs after the unsupervised training and before regularise
    (linkage.labels adds the m estimate from reviewers' labelled pairs)."""
    linker = new_linker(records, settings(fields))
    train(linker, records, fields)
    if refine is not None:
        refine(linker)
    return regularise(without_matches_in_u(linker.misc.save_model_to_json()))


# Identifiers: different people rarely share one, so nearly all of their random agreement is one
# person's repeated records. Names, places and birth dates are shared by different people too.
IDENTIFIER_COMPARISONS = frozenset({"phone", "email", "wechat_std", "national_id", "external_id"})
MAX_U_CORRECTION = 10  # u is at most divided by this: the prior it rests on is an estimate too


def without_matches_in_u(model: dict) -> dict:
    """u with the true matches among the random pairs taken out. A random pair is a match with
    probability λ (the prior), so a level's share among random pairs is λ·m + (1 - λ)·u: where
    people have several records each, λ·m is most of it (the exact-phone share of the hard demo
    data was 6e-4, of which different people make 4e-7), and every agreement weighed less than
    it should. Each level's u becomes (share - λ·m) / (1 - λ), divided by MAX_U_CORRECTION at most."""
    prior = _finite(model.get("probability_two_random_records_match"), DEFAULT_PRIOR)
    for comparison in (c for c in model["comparisons"] if c["output_column_name"] in IDENTIFIER_COMPARISONS):
        for level in comparison["comparison_levels"]:
            share, m = _finite(level.get("u_probability"), 0), _finite(level.get("m_probability"), 0)
            if share and m and not level.get("is_null_level"):
                corrected = (share - prior * m) / (1 - prior)  # above the share where m is below the prior
                level["u_probability"] = min(max(corrected, share / MAX_U_CORRECTION), 1.0)
    return model


M_FLOOR = 0.01
U_FLOOR = 1e-8  # a level no random pair showed: rare among strangers, never impossible


def regularise(model: dict) -> dict:
    """Every probability of the model finite and positive, so no pair is ever scored NaN.

    The prior stays within PRIOR_BOUNDS. A comparison EM could not train at all (no session left
    it free) gets default m values, halving from its strongest level down. A single level EM never
    saw gets m = u: no evidence either way, as Splink scores a level it has no m for. Every trained m is floored so no single disagreement
    becomes a veto: EM on clean-looking data learns m = 0 for 'emails differ' (weight -87), yet
    people do have several mailboxes."""
    low, high = PRIOR_BOUNDS
    prior = model.get("probability_two_random_records_match")
    model["probability_two_random_records_match"] = min(max(_finite(prior, DEFAULT_PRIOR), low), high)
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            level["u_probability"] = _finite(level.get("u_probability"), U_FLOOR)
        trained = [lv for lv in levels if _finite(lv.get("m_probability"), 0) > 0]
        if not trained:
            _default_m(levels)
            continue
        for level in trained:
            level["m_probability"] = max(level["m_probability"], M_FLOOR)
        total = sum(lv["m_probability"] for lv in trained)
        for level in trained:
            level["m_probability"] /= total
        for level in levels:  # what Splink does with an untrained level (a Bayes factor of 1), made explicit
            if level not in trained:
                level["m_probability"] = level["u_probability"]
    return model


def _default_m(levels: list[dict]) -> None:
    """m for an untrained comparison: levels run from the strongest agreement to 'else', so each
    gets half the one before; 'else' keeps M_FLOOR (a match rarely disagrees everywhere)."""
    weights = [0.5**i for i in range(len(levels) - 1)]
    for level, weight in zip(levels, weights):
        level["m_probability"] = (1 - M_FLOOR) * weight / sum(weights)
    levels[-1]["m_probability"] = M_FLOOR if len(levels) > 1 else 1.0


def _finite(value, default: float) -> float:
    """value when it is a positive finite number, else default."""
    return value if isinstance(value, (int, float)) and math.isfinite(value) and value > 0 else default


def duckdb_api() -> DuckDBAPI:
    """Splink's DuckDB backend on a database of its own under the run's memory limit, spilling
    to the work area (common.arrow_sql.database); it is freed with the linker."""
    return DuckDBAPI(database())


def new_linker(records, model: dict | SettingsCreator | None = None, db_api: DuckDBAPI | None = None) -> Linker:
    db_api = db_api or duckdb_api()
    frame = db_api.register(records, table_name="records")
    # Splink's settings validation only logs, and parses every comparison's SQL to do it (~0.4 s):
    # a saved model was validated when it was trained on these same columns
    return Linker(
        frame,
        model if model is not None else settings(),
        log_level=logging.WARNING,
        validate_settings=not isinstance(model, dict),
    )


def design_digest(fields=ALL_FIELDS) -> str:
    """What a trained model stands for besides its records: the comparisons, the blocking rules
    and how it is trained, for these fields. A model saved under another design is trained again."""
    return _design_digest(frozenset(fields))


@functools.cache  # the design is code: for the same fields it cannot change while a process runs
def _design_digest(fields: frozenset[str]) -> str:
    design = {
        "settings": settings(fields).create_settings_dict("duckdb"),
        "prior_rules": [PRIOR_RULES, FALLBACK_PRIOR_RULES, PRIOR_RECALL, DEFAULT_PRIOR, PRIOR_BOUNDS, RECALL_BOUNDS],
        "em_keys": [TRAINING_KEYS, FALLBACK_TRAINING_KEYS],
        "training": [MIN_TRAINING_PAIRS, MAX_TRAINING_PAIRS, U_SAMPLE_PAIRS, TRAINING_SEED, M_FLOOR, U_FLOOR],
        "u_correction": [sorted(IDENTIFIER_COMPARISONS), MAX_U_CORRECTION],
    }
    return hashlib.sha256(json.dumps(design, sort_keys=True, default=str).encode()).hexdigest()[:16]
