"""search.masking: what a viewer sees of phones, emails, WeChat IDs and addresses (pure functions)."""

from __future__ import annotations

import pytest

from search.masking import (
    HIDDEN,
    mask_address,
    mask_contact,
    mask_digits,
    mask_email,
    mask_handle,
    mask_phone,
    mask_row,
    mask_value,
    masked_fields,
)


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("+8613812345678", "138****5678"),  # E.164 Chinese mobile, as the golden record holds it
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("8613812345678", "138****5678"),  # the country code without its plus
        ("010-12345678", "010-****5678"),  # Beijing landline: the area code stays
        ("0755 8888 1234", "0755-****1234"),
        ("+86 21 6432 1234", "021-****1234"),
        ("+1 415 555 2671", "+1 41****2671"),  # a foreign number keeps its country code
        ("+44 7911 123456", "+44 79****3456"),
        ("12345", "****5"),  # short numbers: at least four digits hidden
        ("1234", "****"),
        ("110", "***"),
        ("138****5678", "138****5678"),  # a source's own mask stays as it was
        ("13744269351 / 13373587921", "137****9351 / 133****7921"),  # several phones in one cell
        ("+86 184 4156 5981 / 18010758137", "184****5981 / 180****8137"),
        ("ext. 12", "**"),
        ("无", HIDDEN),  # no digit at all: nothing of it is shown
    ],
)
def test_phones_keep_at_most_their_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_nothing_stays_nothing(empty):
    assert mask_phone(empty) == empty
    assert mask_email(empty) == empty
    assert mask_handle(empty) == empty
    assert mask_address(empty, "上海市", "浦东新区") == empty


@pytest.mark.parametrize("length", range(0, 16))
def test_at_least_four_digits_or_all_are_hidden(length):
    digits = "9876543210123456"[:length]
    masked = mask_digits(digits)
    assert len(masked) == length
    assert masked.count("*") >= min(4, length)
    assert masked.count("*") == length or length > 4


@pytest.mark.parametrize(
    "email, masked",
    [
        ("zhangwei@qq.com", "z***@qq.com"),
        ("ab@163.com", "a***@163.com"),
        ("z@qq.com", "***@qq.com"),  # a one-character mailbox shows none of it
        ("first.last+tag@example.co.uk", "f***@example.co.uk"),
        ("not-an-email", "n***"),
        ("weird@name@qq.com", "w***@qq.com"),  # the domain is what follows the last @
    ],
)
def test_emails_keep_one_character_and_the_domain(email, masked):
    assert mask_email(email) == masked


def test_wechat_ids_keep_their_first_character():
    assert mask_handle("wxid_abc123") == "w***"
    assert mask_handle("a") == HIDDEN


def test_an_address_becomes_city_and_district():
    assert mask_address("上海市浦东新区张杨路500号3楼", "上海市", "浦东新区") == "上海市 浦东新区"
    assert mask_address("12 High Street", "London", None) == "London"
    assert mask_address("somewhere", None, None) == HIDDEN


def test_a_row_is_masked_field_by_field_and_unmasked_fields_stay():
    row = {
        "name": "王小明",
        "phone": "+8613812345678",
        "phone_display": "138 1234 5678",
        "email": "wxm@qq.com",
        "wechat": "wxm_88",
        "address": "浦东新区张杨路500号",
        "postcode": "200120",
        "city": "上海市",
        "district": "浦东新区",
    }
    masked = mask_row(row)
    assert masked == {
        **row,
        "phone": "138****5678",
        "phone_display": "138****5678",
        "email": "w***@qq.com",
        "wechat": "w***",
        "address": "上海市 浦东新区",
        "postcode": HIDDEN,
    }
    assert row["phone"] == "+8613812345678"  # the original is left alone
    shown = mask_row(row, unmasked=["phone", "address"])
    assert (shown["phone"], shown["address"], shown["postcode"]) == (row["phone"], row["address"], "200120")
    assert shown["email"] == "w***@qq.com"
    assert mask_row(None) is None
    assert mask_row({"name": "x"}) == {"name": "x"}  # columns a row lacks stay absent


def test_values_and_marketing_addresses_mask_alike():
    assert mask_value("phone", "+8613812345678") == "138****5678"
    assert mask_value("display_name", "王小明") == "王小明"
    assert mask_value("birth_date", None) is None
    assert mask_value("address", "张杨路500号", {"city": "上海市", "district": "浦东新区"}) == "上海市 浦东新区"
    assert mask_contact("email", "wxm@qq.com") == "w***@qq.com"
    assert mask_contact("phone", "+8613812345678") == "138****5678"


def test_an_answer_names_the_fields_it_hid():
    assert masked_fields() == ["phone", "email", "wechat", "address"]
    assert masked_fields(["email"]) == ["phone", "wechat", "address"]
