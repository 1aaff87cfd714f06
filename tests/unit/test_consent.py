"""Consent: opt-out wording in notes and tickets and the channels it names, yes/no cells, statements."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.standardise.consent import (
    ALL,
    CHANNEL_WORDS,
    CHANNELS,
    OPT_OUT_KEYWORDS,
    Statement,
    general,
    joined,
    mentions_opt_out,
    opt_out_channels,
    parse_statements,
    parse_yes_no,
    summary,
    text_statements,
    yes_no_statement,
)


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


# ---------------------------------------------------------------- channels named by a request


@pytest.mark.parametrize(
    "text, channels",
    [
        ("客户要求不再接收营销短信", {"sms"}),
        ("已退订短信", {"sms"}),
        ("客户要求退订促销短信", {"sms"}),
        ("不要发短信", {"sms"}),
        ("Please stop texting me", {"sms"}),
        ("no texts", {"sms"}),
        ("客户表示不再接收营销电话", {"phone"}),
        ("别再打电话", {"phone"}),
        ("不要来电", {"phone"}),
        ("no calls please", {"phone"}),
        ("Do not call", {"phone"}),
        ("取消邮件订阅", {"email"}),
        ("unsubscribe email", {"email"}),
        ("Please unsubscribe me from all e-mails", {"email"}),
        ("退订微信推送", {"wechat"}),
        ("不要再寄宣传册", {"mail"}),
        ("opt out of postal mail", {"mail"}),
        # naming no channel: every marketing channel
        ("退订", {ALL}),
        ("不要再发广告了，再发就投诉", {ALL}),
        ("STOP", {ALL}),
        ("Please UNSUBSCRIBE me", {ALL}),
        # how the customer reached us is not what they refused
        ("客户来电要求退订", {ALL}),
        ("Customer called to unsubscribe", {ALL}),
        # mixed: each request names its own channel; what the text allows is no request
        ("退订短信和电话", {"sms", "phone"}),
        ("不要打电话，可以发短信", {"phone"}),
        ("退订邮件但不退订短信", {"email"}),
        ("unsubscribe from email but keep texting me", {"email"}),
        ("不要发短信。退订", {ALL}),  # one request names none: it covers everything
        # negations and footers: no request, no channel
        ("不退订短信", set()),
        ("客户没有退订邮件", set()),
        ("取消退订", set()),
        ("【星火英语】新品上市，回复TD退订", set()),
        ("I did not opt out of texts", set()),
        ("can we call you back?", set()),
    ],
)
def test_requests_name_their_channel_or_cover_all(text, channels):
    assert opt_out_channels(text) == channels


def test_every_channel_has_words_and_all_is_not_a_channel():
    assert set(CHANNEL_WORDS) == set(CHANNELS) and ALL not in CHANNELS


def test_text_statements_are_opt_outs_dated_as_given():
    at = datetime(2025, 2, 13, 18, 39)
    assert text_statements("退订短信和电话", at) == [Statement("phone", "opt_out", at), Statement("sms", "opt_out", at)]
    assert text_statements("老客户") == []


@pytest.mark.parametrize(
    "value, refuses, kind",
    [
        ("yes", False, "opt_in"),  # Accepts SMS Marketing: yes
        ("no", False, "opt_out"),
        ("是", False, "opt_in"),
        ("否", False, "opt_out"),
        ("", False, None),  # a blank opt-in cell says nothing, never an opt-out
        (None, False, None),
        ("maybe", False, None),
        ("true", True, "opt_out"),  # Do Not Call: true
        ("Y", True, "opt_out"),
        ("false", True, None),  # an opt-out column saying false is silence, not consent
        ("", True, None),
    ],
)
def test_yes_no_columns(value, refuses, kind):
    found = yes_no_statement("sms", value, refuses=refuses)
    assert (found.kind if found else None) == kind


def test_statements_round_trip_through_their_cell():
    statements = [
        Statement("email", "opt_in", datetime(2024, 2, 7, 15, 30), datetime(2026, 2, 7)),
        Statement("sms", "withdrawal", datetime(2024, 3, 1)),
        Statement(ALL, "opt_out"),
    ]
    cell = joined([*statements, statements[0]])
    assert cell == "email:opt_in@2024-02-07T15:30:00~2026-02-07T00:00:00;sms:withdrawal@2024-03-01T00:00:00;all:opt_out"
    assert parse_statements(cell) == statements
    assert joined([None, "sms:opt_out", "sms:opt_out;email:opt_in"]) == "sms:opt_out;email:opt_in"
    assert joined([]) is None and parse_statements(None) == []


@pytest.mark.parametrize("cell", ["fax:opt_out", "sms:maybe", "sms", "sms:opt_out@yesterday"])
def test_a_malformed_statement_is_an_error_naming_it(cell):
    with pytest.raises(ValueError, match="consent statement|isoformat|Invalid"):
        parse_statements(cell)


def test_summary_and_general():
    assert summary("email:opt_in;sms:opt_out") is True
    assert summary("sms:withdrawal") is True
    assert summary("email:opt_in") is False
    assert summary(None) is None
    assert general(True) == "all:opt_out" and general(False) == "all:opt_in" and general(None) is None
