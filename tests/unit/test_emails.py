"""E-mails: one comparable form; placeholders and broken addresses are not identifiers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.standardise.emails import email_local_part, normalise_email, qq_number


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("jesse.ramirez44@gmail.com", "jesse.ramirez44@gmail.com"),
        (" Jesse.Ramirez44@Gmail.COM ", "jesse.ramirez44@gmail.com"),
        ("ｊｅｓｓｅ＠ｇｍａｉｌ．ｃｏｍ", "jesse@gmail.com"),
        ("abc＠qq.com", "abc@qq.com"),
        ("abc@qq。com", "abc@qq.com"),
        ("mailto:abc@qq.com", "abc@qq.com"),
        ("MAILTO:Abc@QQ.com", "abc@qq.com"),
        ("张伟 <ZW@qq.com>", "zw@qq.com"),
        ("abc@qq.com;", "abc@qq.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("lvjun5985@qq.com", "lvjun5985@qq.com"),  # samples from here on
        ("982393834@qq.com", "982393834@qq.com"),
        ("65608338@5qq.com", "65608338@5qq.com"),  # typo, but a well-formed address
        ("wangdan7253@12.com", "wangdan7253@12.com"),
    ],
)
def test_valid_addresses(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "n/a",
        "none",
        "无",
        "125952194@qqcom",  # sample: no dot in the domain
        "abc@",
        "@qq.com",
        "a@b",
        "a@@b.com",
        "a b@qq.com",
        "abc@qq .com",
        "a..b@qq.com",
        "a@qq..com",
        ".abc@qq.com",
        "abc.@qq.com",
        "abc@-qq.com",
        "abc@qq.c0m",
        "none@none.com",
        "test@test.com",
        "noemail@qq.com",
        "someone@example.com",
        "null@163.com",
    ],
)
def test_invalid_or_placeholder(raw):
    assert normalise_email(raw) is None


@pytest.mark.parametrize(
    "raw, qq",
    [
        ("123456789@qq.com", "123456789"),
        ("12345@QQ.COM", "12345"),
        ("12345678901@vip.qq.com", "12345678901"),
        ("1234@qq.com", None),  # QQ numbers are 5-11 digits
        ("123456789012@qq.com", None),
        ("0123456@qq.com", None),
        ("lvjun5985@qq.com", None),
        ("123456789@163.com", None),
        (None, None),
        ("not an email", None),
    ],
)
def test_qq_number(raw, qq):
    assert qq_number(raw) == qq


@pytest.mark.parametrize(
    "raw, local",
    [("Jesse.Ramirez44@gmail.com", "jesse.ramirez44"), ("123456789@qq.com", "123456789"), ("bad", None), (None, None)],
)
def test_local_part(raw, local):
    assert email_local_part(raw) == local


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_any_text(text):
    result = normalise_email(text)
    assert result is None or (result.count("@") == 1 and result == result.strip().lower())
    assert result is None or normalise_email(result) == result  # idempotent
    qq_number(text)
    email_local_part(text)


@settings(max_examples=50, deadline=None)
@given(st.emails())
def test_generated_addresses_are_idempotent(address):
    result = normalise_email(address)
    assert result is None or normalise_email(result) == result
