"""The model adapts to the fields the records carry, guards generic values, and never scores NaN."""

from __future__ import annotations

import math
import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from linkage.features import link_records
from linkage.model import (
    MAX_U_CORRECTION,
    prediction_blocks,
    prior_rule_recall,
    settings,
    train_model,
    training_plan,
    without_matches_in_u,
)
from linkage.pairs import deterministic_pairs, shared_contact_pairs
from linkage.profile import data_profile, generic_values, without_generic_values
from linkage.scoring.duckdb import score_pairs
from sources.canonical import standardise
from sources.ingest import ingest

NAME_FIELDS = {"name_full", "name_tokens", "name_chars", "surname_py"}
SUBSETS = {
    "names + birth date": NAME_FIELDS | {"birth_date_std"},
    "names + address": NAME_FIELDS | {"address_std", "city_std", "district_std", "postcode_std"},
    "names + birthplace": NAME_FIELDS | {"birth_date_std", "city_std"},
    "contacts only": {"phone_e164", "phones", "email_std", "email_local", "wechat_std"},
    "names only": NAME_FIELDS,
    "one phone for everyone": {"phone_e164", "phones"},
}


@pytest.fixture(scope="module")
def links(sample_sources):
    return link_records(standardise(ingest(sample_sources).staged))


def _only(links: pa.Table, keep: set[str]) -> pa.Table:
    """The link records with every field outside keep emptied (ids and system stay)."""
    for name in links.column_names:
        if name in keep | {"record_id", "source_system"}:
            continue
        column = links.column(name)
        empty = pa.array([[]] * len(links), column.type) if name == "phones" else pa.nulls(len(links), column.type)
        links = links.set_column(links.schema.get_field_index(name), name, empty)
    return links


def _everyone_shares_one_phone(links: pa.Table) -> pa.Table:
    phone = pa.array(["+8613800138000"] * len(links), pa.string())
    links = links.set_column(links.schema.get_field_index("phone_e164"), "phone_e164", phone)
    phones = pa.array([["+8613800138000"]] * len(links), links.schema.field("phones").type)
    return links.set_column(links.schema.get_field_index("phones"), "phones", phones)


@pytest.mark.parametrize("subset", list(SUBSETS))
def test_every_column_subset_trains_and_scores_without_a_nan(links, subset):
    records = _only(links, SUBSETS[subset])
    if subset == "one phone for everyone":
        records = _everyone_shares_one_phone(records)
    fields = data_profile(records)["fields"]
    model = train_model(records, fields)
    probabilities = score_pairs(records, model, 0.0).column("match_probability").to_pylist()
    assert all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in probabilities)
    prior = model["probability_two_random_records_match"]
    assert 0 < prior < 1
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert math.isfinite(level["m_probability"]) and level["m_probability"] > 0
                assert math.isfinite(level["u_probability"]) and level["u_probability"] > 0


def test_degenerate_records_never_fail_training(links):
    rng = random.Random(3)
    for _ in range(4):
        keep = set(rng.sample(sorted(set(links.column_names) - {"record_id", "source_system"}), 3))
        records = _only(links.slice(0, rng.choice([2, 5, 40])), keep)
        model = train_model(records, data_profile(records)["fields"])
        pairs = score_pairs(records, model, 0.0)
        assert pc.all(pc.is_finite(pairs.column("match_probability"))).as_py() in (True, None)


def test_the_design_follows_the_fields_present(links):
    names_and_dates = data_profile(_only(links, SUBSETS["names + birth date"]))["fields"]
    assert names_and_dates == ["birth_date_std", "name_tokens", "surname_py"]
    compared = [c.create_comparison_dict("duckdb")["output_column_name"] for c in settings(names_and_dates).comparisons]
    assert compared == ["name", "birth_date_std"]
    blocks = prediction_blocks(names_and_dates)
    assert ("name_tokens", "birth_date_std") in blocks and (
        "birth_date_std",
    ) in blocks  # no contact key: looser blocks
    assert all("phone" not in key and "email" not in key for keys in blocks for key in keys)
    assert ("birth_date_std",) not in prediction_blocks(data_profile(links)["fields"])  # contacts make them needless


def test_without_deterministic_pairs_the_prior_falls_back_instead_of_zero(links):
    records = _only(links, SUBSETS["names + birth date"])
    plan = training_plan(records, data_profile(records)["fields"])
    assert plan["prior_rules"] == [("name_tokens", "birth_date_std")]
    assert plan["em_sessions"], "names and birth dates train each other"


def test_a_value_shared_by_many_different_people_is_generic_and_kept_out_of_linkage(links):
    shared = _everyone_shares_one_phone(links)
    assert generic_values(shared)["phone_e164"] == ["+8613800138000"]
    cleaned = without_generic_values(shared, generic_values(shared))
    assert cleaned.column("phone_e164").null_count == len(cleaned)
    assert all(phones == [] for phones in cleaned.column("phones").to_pylist())
    # the sample's own phones are personal: none is generic
    assert "phone_e164" not in generic_values(links)


def test_one_person_repeated_is_not_generic(links):
    person = pa.table(
        {
            "name_tokens": ["wang wei"] * 300,
            "surname_py": ["wang"] * 300,
            "email_std": ["wang.wei.88@163.com"] * 300,
            "phone_e164": ["+8613912345678"] * 300,
            "wechat_std": [None] * 300,
        },
        schema=pa.schema(
            [(n, pa.string()) for n in ("name_tokens", "surname_py", "email_std", "phone_e164", "wechat_std")]
        ),
    )
    assert generic_values(person, ("phone_e164", "email_std")) == {}


def test_the_same_phone_and_email_are_one_customer_whatever_else_the_batch_holds(links):
    shared = links.filter(pc.and_(pc.is_valid(links.column("phone_e164")), pc.is_valid(links.column("email_std"))))
    assert shared.num_rows > 10
    first, second = shared.slice(0, 1).to_pylist()[0], shared.slice(1, 1).to_pylist()[0]
    twin = {**second, "phone_e164": first["phone_e164"], "email_std": first["email_std"], "record_id": 10**9}
    alone = pa.Table.from_pylist([first, twin], schema=links.schema)
    crowd = pa.concat_tables([links, pa.Table.from_pylist([twin], schema=links.schema)])
    for batch in (alone, crowd):
        pairs = shared_contact_pairs(batch).to_pylist()
        assert {"record_id_l": first["record_id"], "record_id_r": 10**9} in [
            {k: p[k] for k in ("record_id_l", "record_id_r")} for p in pairs
        ]


def test_a_generic_phone_and_email_link_nobody(links):
    shared = _everyone_shares_one_phone(links)
    email = pa.array(["test@test.com"] * len(shared), pa.string())
    shared = shared.set_column(shared.schema.get_field_index("email_std"), "email_std", email)
    cleaned = without_generic_values(shared, generic_values(shared))
    assert shared_contact_pairs(cleaned).num_rows == 0
    # nor its mailbox name: 'test' would be a block of everyone (the email_local block)
    assert cleaned.column("email_local").null_count == len(cleaned)


def test_a_personal_emails_mailbox_name_stays_beside_a_generic_one(links):
    with_email = links.filter(pc.is_valid(links.column("email_std")))
    generic = {"email_std": [with_email.column("email_std")[0].as_py()]}
    cleaned = without_generic_values(with_email, generic)
    blanked = pc.is_null(cleaned.column("email_local"))
    assert pc.sum(blanked).as_py() == pc.sum(pc.is_null(cleaned.column("email_std"))).as_py() >= 1
    assert pc.sum(blanked).as_py() < len(cleaned)


def test_deterministic_pairs_take_the_link_records_they_are_given(sample_sources):
    canonical = standardise(ingest(sample_sources).staged)
    kinds = set(deterministic_pairs(canonical).column("kind").to_pylist())
    assert {"ticket names order", "same phone and email"} <= kinds


def _level(m, u, null=False):
    return {"m_probability": m, "u_probability": u, **({"is_null_level": True} if null else {})}


def test_identifier_u_loses_the_matches_among_random_pairs():
    # one record in a thousand pairs is a match and 90% of matches share the phone: of the 2e-3
    # of random pairs that share it, 9e-4 are matches
    model = {
        "probability_two_random_records_match": 1e-3,
        "comparisons": [
            {
                "output_column_name": "phone",
                "comparison_levels": [_level(None, None, True), _level(0.9, 2e-3), _level(0.1, 0.998)],
            },
            {"output_column_name": "email", "comparison_levels": [_level(0.9, 5e-4)]},
            {"output_column_name": "name", "comparison_levels": [_level(0.9, 2e-3)]},
            {"output_column_name": "wechat_std", "comparison_levels": [_level(0.5, 1.0)]},  # no pair agreed
        ],
    }
    phone, email, name, wechat = (c["comparison_levels"] for c in without_matches_in_u(model)["comparisons"])
    assert phone[1]["u_probability"] == pytest.approx((2e-3 - 9e-4) / (1 - 1e-3))
    assert phone[2]["u_probability"] == pytest.approx((0.998 - 1e-4) / (1 - 1e-3))
    assert phone[0]["u_probability"] is None  # the null level has no u
    assert email[0]["u_probability"] == pytest.approx(5e-4 / MAX_U_CORRECTION)  # the estimate would be below zero
    assert name[0]["u_probability"] == 2e-3  # different people share names: left as sampled
    assert wechat[0]["u_probability"] == 1.0  # a probability still


def test_the_prior_rules_recall_comes_from_the_trained_m_values():
    model = {
        "comparisons": [
            {
                "output_column_name": "name",
                "comparison_levels": [_level(None, None, True), _level(0.5, 1e-4), _level(0.2, 1e-4), _level(0.3, 0.9)],
            },
            {
                "output_column_name": "phone",
                "comparison_levels": [_level(None, None, True), _level(0.8, 1e-5), _level(0.2, 0.9)],
            },
            {
                "output_column_name": "email",
                "comparison_levels": [_level(None, None, True), _level(0.9, 1e-5), _level(0.1, 0.9)],
            },
        ]
    }
    records = pa.table({"name_tokens": ["a b", "c d"], "phone_e164": ["+861", None], "email_std": ["x@y", "z@y"]})
    # a pair is found when both records carry the keys and agree: phone in half of the records
    by_phone = 0.8 * 0.5**2 * 0.7
    assert prior_rule_recall(model, [("phone_e164", "name_tokens")], records) == pytest.approx(by_phone)
    by_email = 0.9 * 0.7
    either = 1 - (1 - by_phone) * (1 - by_email)
    assert prior_rule_recall(
        model, [("phone_e164", "name_tokens"), ("email_std", "name_tokens")], records
    ) == pytest.approx(either)
