"""Phones: every written form of a usable number gives one E.164; the rest say why not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.standardise.phones import ParsedPhone, parse_phones, usable_phones


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("13812345678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138.1234.5678", "+8613812345678"),
        ("(138)1234-5678", "+8613812345678"),
        ("+8613812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("0086 138 1234 5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("手机：13812345678", "+8613812345678"),
        ("010-12345678", "+861012345678"),
        ("0571 8888 6666", "+8657188886666"),
        ("(0571)88886666", "+8657188886666"),
        ("+86 10 1234 5678", "+861012345678"),
        ("+1 (116) 535-5157", "+11165355157"),  # Faker-style, area code invalid but possible
        ("+1 (003) 505-8457", "+10035058457"),
        ("+1 650-253-0000 ext. 123", "+16502530000"),
        ("+1 650-253-0000 x89", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("153-5660-8293", "+8615356608293"),  # samples from here on
        ("+86 196 8238 3072", "+8619682383072"),
        ("8613055697540", "+8613055697540"),
        ("14332592578", "+8614332592578"),
        ("16325117535", "+8616325117535"),
        ("17086975795", "+8617086975795"),
        ("+86 140 2748 5654", "+8614027485654"),
        ("19469355736", "+8619469355736"),
    ],
)
def test_usable_numbers(raw, e164):
    assert usable_phones(raw) == (e164,)
    [parsed] = parse_phones(raw)
    assert parsed == ParsedPhone(e164, raw.strip(), False, None)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("138****5678", "masked"),
        ("155****9388", "masked"),
        ("138xxxx5678", "masked"),
        ("138XXXX5678", "masked"),
        ("138 xxxx 5678", "masked"),
        ("13800138000", "fake"),
        ("13888888888", "fake"),
        ("12345678901", "fake"),
        ("11111111111", "fake"),
        ("00000", "fake"),
        ("1701869831", "too_short"),  # a mobile missing a digit (sample)
        ("1402748554", "too_short"),
        ("12345678", "too_short"),
        ("88886666", "too_short"),  # a landline without its area code
        ("138123456789", "too_long"),
        ("7018619831", "invalid"),  # a mobile missing its leading 1 (sample)
        ("11012853115", "invalid"),  # no CN mobile starts 11/12 (sample)
        ("12979632919", "invalid"),
        ("152077v3524", "unparseable"),  # typed letters (samples)
        ("162q1034308", "unparseable"),
        ("1699546e064", "unparseable"),
        ("abc", "unparseable"),
        ("+1 555", "too_short"),
    ],
)
def test_unusable_numbers_say_why(raw, reason):
    [parsed] = parse_phones(raw)
    assert (parsed.e164, parsed.reason, parsed.display) == (None, reason, raw)
    assert parsed.is_masked is (reason == "masked")
    assert usable_phones(raw) == ()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+86 184 4156 5981 / 18010758137", ("+8618441565981", "+8618010758137")),
        ("13483233506 / 19950491392", ("+8613483233506", "+8619950491392")),
        ("13812345678,13912345678", ("+8613812345678", "+8613912345678")),
        ("13812345678，13912345678；13712345678", ("+8613812345678", "+8613912345678", "+8613712345678")),
        ("13812345678或13912345678", ("+8613812345678", "+8613912345678")),
        ("13812345678、13912345678", ("+8613812345678", "+8613912345678")),
        ("13812345678 13912345678", ("+8613812345678", "+8613912345678")),
        ("13812345678 / 138-1234-5678", ("+8613812345678",)),  # distinct, first kept
        ("1701869831 / 12979632919", ()),  # both broken (sample)
        ("+86 146 8347 5184 / 11012853115", ("+8614683475184",)),
    ],
)
def test_several_numbers_in_one_cell(raw, expected):
    assert usable_phones(raw) == expected


def test_display_keeps_each_number_as_written():
    parsed = parse_phones(" 138****5678 / +86 139 1234 5678 ")
    assert [p.display for p in parsed] == ["138****5678", "+86 139 1234 5678"]
    assert [p.is_masked for p in parsed] == [True, False]


@pytest.mark.parametrize("raw", [None, "", "   ", " / "])
def test_empty_cells(raw):
    assert parse_phones(raw) == []
    assert usable_phones(raw) == ()


def test_other_default_region():
    assert usable_phones("(650) 253-0000", default_region="US") == ("+16502530000",)
    assert usable_phones("(650) 253-0000") == ("+16502530000",)  # a 3-3-4 number is North American whatever the default


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses(text):
    for parsed in parse_phones(text):
        assert (parsed.e164 is None) == (parsed.reason is not None)
        assert parsed.e164 is None or parsed.e164.startswith("+")


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_cn_mobile_shape_is_accepted_or_fake(mobile):
    [parsed] = parse_phones(mobile)
    assert parsed.e164 == "+86" + mobile or parsed.reason == "fake"


@pytest.mark.parametrize("raw", ["(509) 919-7956", "509-919-7956", "509.919.7956", "(509)919-7956"])
def test_north_american_numbers_without_country_code(raw):
    assert usable_phones(raw) == ("+15099197956",)


def test_chinese_numbers_are_not_mistaken_for_north_american():
    assert usable_phones("0571-8888-6666") == ("+8657188886666",)
    assert usable_phones("150-9919-7956") == ("+8615099197956",)
