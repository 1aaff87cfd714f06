"""Consent: opt-out wording in notes and tickets, and yes/no cells."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.standardise.consent import OPT_OUT_KEYWORDS, mentions_opt_out, parse_yes_no


@pytest.mark.parametrize(
    "text",
    [
        "不要再发广告",  # samples
        "退订",
        "客户要求不再接收营销短信",
        "请勿扰",
        "拒收短信",
        "不要打扰我",
        "取消订阅",
        "不要推销了",
        "Please UNSUBSCRIBE me",
        "customer unsubscribed",
        "Do not contact",
        "do  not   contact",
        "opt-out",
        "Opt out of all emails",
        "opted out last year",
        "no marketing",
        "STOP",
        "stop.",
        "Stop sending me texts",
        "please stop calling",
    ],
)
def test_opt_out_requests(text):
    assert mentions_opt_out(text) is True


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "老客户",
        "价格敏感",
        "要发票",
        "点读笔无法开机",
        "Question about my order",
        "可以发广告",
        "不退订",
        "客户没有退订",
        "取消退订",  # = subscribes again
        "【星火英语】新品上市，回复TD退订",  # the marketing footer itself
        "The pen won't stop beeping",
        "it stopped working",
        "I did not opt out",
        "nonstop support",
        "topt outlet",
    ],
)
def test_not_opt_out(text):
    assert mentions_opt_out(text) is False


def test_custom_keywords():
    assert mentions_opt_out("客户说别烦我", keywords=("别烦我",)) is True
    assert mentions_opt_out("退订", keywords=("别烦我",)) is False
    assert mentions_opt_out("anything", keywords=()) is False


def test_keywords_are_configurable_tuple():
    assert isinstance(OPT_OUT_KEYWORDS, tuple)
    assert {"不要再发广告", "退订", "unsubscribe", "opt-out"} <= set(OPT_OUT_KEYWORDS)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("N", False),
        ("y", True),
        (" yes ", True),
        ("No", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        (1.0, True),
        (True, True),
        (False, False),
        ("同意", True),
        ("不同意", False),
        ("✓", True),
        ("√", True),
        ("✗", False),
        ("×", False),
        ("x", True),
        ("是。", True),
        (None, None),
        ("", None),
        ("  ", None),
        ("maybe", None),
        ("未知", None),
        (2, None),
        (float("nan"), None),
    ],
)
def test_yes_no(value, expected):
    assert parse_yes_no(value) is expected


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=40), st.none(), st.integers(), st.floats(), st.booleans()))
def test_any_value(value):
    assert parse_yes_no(value) in (True, False, None)
    assert mentions_opt_out(value if isinstance(value, str) else None) in (True, False)
