"""Marketing consent: statements per channel, opt-out requests in free text, and yes/no cells.

A consent statement says one thing about one channel (or, naming none, every marketing channel):
opt_in, opt_out or withdrawal (an opt-in taken back), with its date and expiry when the source
gives them. A staged record carries its statements as text in its `consent` column, e.g.
"sms:opt_out" or "email:opt_in@2024-02-07T15:30:00~2026-02-07T00:00:00"; the least-permissive
rule that turns them into a customer's standing per channel is linkage/consent.py.

What a yes/no means (营销许可=否 is an opt-out, Do not contact=Y is an opt-out) is the caller's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

PURPOSE = "marketing"  # the one purpose statements are read for so far
CHANNELS = ("email", "sms", "phone", "wechat", "mail")
ALL = "all"  # a statement naming no channel covers every marketing channel
KINDS = ("opt_in", "opt_out", "withdrawal")
REFUSALS = ("opt_out", "withdrawal")

# The words that name a channel in a request, looked for from the request's wording to the end of
# its clause: "不再接收营销短信" -> sms, "unsubscribe email" -> email. Words before the request are
# not read: "客户来电要求退订" (the customer phoned in) asks to stop everything, not calls.
# Latin words match whole words only, in the forms listed.
CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "sms": ("短信", "短讯", "sms", "text", "texts", "texting", "text message", "text messages"),
    "phone": ("电话", "来电", "致电", "外呼", "call", "calls", "calling", "phone", "phone calls", "telephone"),
    "email": ("邮件", "电邮", "邮箱", "email", "emails", "emailing", "newsletter", "newsletters", "mailing list"),
    "wechat": ("微信", "公众号", "wechat", "weixin"),
    "mail": (
        "邮寄",
        "寄",
        "信件",
        "宣传册",
        "mail",
        "postal",
        "by post",
        "letters",
        "catalog",
        "catalogue",
        "brochures",
    ),
}

OPT_OUT_KEYWORDS: tuple[str, ...] = (
    "不要再发广告",
    "不要发广告",
    "别再发广告",
    "别发广告",
    "退订",
    "不再接收营销",
    "不再接收短信",
    "不接收营销",
    "拒收",
    "勿扰",
    "不要打扰",
    "别打扰",
    "取消订阅",
    "不要推销",
    "别推销",
    "不要再联系",
    "不要联系",
    "别再联系",
    "不要再打",
    "别再打电话",
    "拉黑",
    "unsubscribe",
    "do not contact",
    "don't contact",
    "do not call",
    "opt out",
    "opt-out",
    "optout",
    "opted out",
    "no marketing",
    "stop",
    # requests that name their channel (the channel word inside says which)
    "不要来电",
    "别来电",
    "勿来电",
    "不要打电话",
    "别打电话",
    "不要发短信",
    "别发短信",
    "不要再发短信",
    "不再接收",
    "不要发邮件",
    "别发邮件",
    "不要再发邮件",
    "取消邮件订阅",
    "取消短信订阅",
    "不要寄",
    "别寄",
    "不要再寄",
    "don't call",
    "do not text",
    "don't text",
    "do not email",
    "don't email",
    "no calls",
    "no more calls",
    "no phone calls",
    "no texts",
    "no more texts",
    "no sms",
    "no emails",
    "no more emails",
)

# Words that cancel a keyword right before it: 不退订, 没有退订, 取消退订 (= re-subscribe), not opt out.
_NEGATION_RE = re.compile(r"(?:不|没|没有|未|无需|不用|不想|不是|取消|not|n't|never|no need to)\s*$")
# Text that contains a keyword but is not a request: the footer of the marketing message itself.
_NOT_A_REQUEST_RE = re.compile(
    r"回复?\s*(?:td|t|n)\s*退订|reply\s+stop\s+to\s+(?:unsubscribe|opt[\s-]?out)|退订回\s*(?:td|t)"
)
# "stop" alone is too common ("won't stop beeping"): only as a whole reply or about messages.
_STOP_RE = re.compile(
    r"^\W*stop\W*$|\bstop\s+(?:all\s+)?(?:sending|texting|calling|emailing|contacting|messaging|"
    r"sms|texts?|e-?mails?|messages|calls|marketing|ads|spam|promotions?)\b"
)

YES_VALUES = frozenset(
    {
        "是",
        "是的",
        "对",
        "同意",
        "允许",
        "可以",
        "接受",
        "愿意",
        "y",
        "yes",
        "true",
        "t",
        "1",
        "✓",
        "✔",
        "√",
        "☑",
        "x",
        "ok",
        "on",
    }
)
NO_VALUES = frozenset(
    {
        "否",
        "不",
        "不是",
        "不同意",
        "拒绝",
        "不允许",
        "不可以",
        "不接受",
        "不愿意",
        "n",
        "no",
        "false",
        "f",
        "0",
        "✗",
        "✘",
        "×",
        "☐",
        "off",
    }
)


# A request's channel words stop at the end of its clause, or where the text turns: "退订邮件但不退订短信".
_CLAUSE_END_RE = re.compile(r"[，,。;；!！?？\n、]|但|可以|只|\bbut\b|\bexcept\b|\bonly\b|\bhowever\b|\bkeep\b")


@dataclass(frozen=True)
class Statement:
    channel: str  # one of CHANNELS, or ALL
    kind: str  # one of KINDS
    at: datetime | None = None  # when it was given, where the source says; else the record's date counts
    expires: datetime | None = None  # when it stops counting, where the source says

    def text(self) -> str:
        at = f"@{self.at.isoformat()}" if self.at else ""
        return f"{self.channel}:{self.kind}{at}" + (f"~{self.expires.isoformat()}" if self.expires else "")


_STATEMENT_RE = re.compile(r"^(\w+):(\w+)(?:@([^~]+))?(?:~(.+))?$")


def parse_statements(text: str | None) -> list[Statement]:
    """The statements of a `consent` cell (the inverse of joined); unknown channels or kinds are errors."""
    statements = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        found = _STATEMENT_RE.match(part.strip())
        if not found or found[1] not in (*CHANNELS, ALL) or found[2] not in KINDS:
            raise ValueError(f"not a consent statement: {part!r} (channel:kind[@date][~expiry])")
        at, expires = (datetime.fromisoformat(v) if v else None for v in (found[3], found[4]))
        statements.append(Statement(found[1], found[2], at, expires))
    return statements


def joined(statements: Iterable[Statement | str | None]) -> str | None:
    """Statements (or cells of them) as one `consent` cell: each once, in order; None when there are none."""
    texts = []
    for s in statements:
        for text in [s.text()] if isinstance(s, Statement) else (s or "").split(";"):
            if text and text not in texts:
                texts.append(text)
    return ";".join(texts) or None


def summary(consent: str | None) -> bool | None:
    """The staged marketing_opt_out of a record: True when it refuses any channel, False when it only
    opts in, None when it says nothing."""
    kinds = {s.kind for s in parse_statements(consent)}
    return True if kinds & set(REFUSALS) else False if kinds else None


def general(opted_out: bool | None) -> str | None:
    """A source's channel-less yes/no (a mapped marketing_opt_out, 营销许可) as a statement about all channels."""
    return None if opted_out is None else Statement(ALL, "opt_out" if opted_out else "opt_in").text()


def yes_no_statement(
    channel: str, value, *, refuses: bool = False, at: datetime | None = None, expires: datetime | None = None
) -> Statement | None:
    """An explicit yes/no column as a statement. In an opt-in column (Accepts SMS Marketing) yes is an
    opt-in and no an opt-out; in an opt-out column (Do Not Call) only yes says something: a 'false'
    there is silence, not consent. A blank or unreadable cell says nothing, never an opt-out."""
    answer = parse_yes_no(value)
    if answer is None or (refuses and answer is False):
        return None
    return Statement(channel, "opt_out" if answer is refuses else "opt_in", at, expires)


def opt_out_channels(text: str | None, keywords=OPT_OUT_KEYWORDS) -> frozenset[str]:
    """The channels the opt-out requests in a text name: {ALL} when a request names none, empty
    when there is no request (negated wording and marketing footers are no requests)."""
    if not text or not isinstance(text, str):
        return frozenset()
    folded = _NOT_A_REQUEST_RE.sub(" ", unicodedata.normalize("NFKC", text).lower().replace("e-mail", "email"))
    named: set[str] = set()
    for pattern in _patterns(tuple(keywords)):
        for match in pattern.finditer(folded):
            if _is_request(folded, match):
                named |= _channels_named(folded, match) or {ALL}
    return frozenset({ALL}) if ALL in named else frozenset(named)


def text_statements(text: str | None, at: datetime | None = None) -> list[Statement]:
    """The opt-out requests of a free text (ticket, note) as statements, one per channel named."""
    return [Statement(channel, "opt_out", at) for channel in sorted(opt_out_channels(text))]


def mentions_opt_out(text: str | None, keywords=OPT_OUT_KEYWORDS) -> bool:
    return bool(opt_out_channels(text, keywords))


def _channels_named(text: str, match: re.Match) -> set[str]:
    start = match.start()
    end = _CLAUSE_END_RE.search(text, match.end())
    span = text[start : end.start() if end else len(text)]
    return {channel for channel, pattern in _channel_patterns().items() if pattern.search(span)}


@lru_cache(maxsize=1)
def _channel_patterns() -> dict[str, re.Pattern]:
    def word(w: str) -> str:
        escaped = re.escape(w).replace(r"\ ", r"\s+")
        return rf"(?<![a-z-]){escaped}(?![a-z])" if w.isascii() else escaped

    return {channel: re.compile("|".join(word(w) for w in words)) for channel, words in CHANNEL_WORDS.items()}


def parse_yes_no(value) -> bool | None:
    """是/否, Y/N, yes/no, true/false, 1/0, 同意/不同意, ✓/✗ (a ticked 'x' counts as yes)."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if not isinstance(value, str):
        return None
    key = unicodedata.normalize("NFKC", value).strip().lower().rstrip(".。!！")
    if key in YES_VALUES:
        return True
    if key in NO_VALUES:
        return False
    return None


@lru_cache(maxsize=8)
def _patterns(keywords: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(_keyword_pattern(k) for k in keywords if k and k.strip())


def _keyword_pattern(keyword: str) -> re.Pattern:
    """Latin keywords match whole words only; 'stop' only in its messaging sense."""
    word = unicodedata.normalize("NFKC", keyword).strip().lower()
    if word == "stop":
        return _STOP_RE
    escaped = re.escape(word).replace(r"\ ", r"\s+")
    # whole words, allowing an inflection: unsubscribed, unsubscribing
    return re.compile(rf"(?<![a-z]){escaped}(?:s|d|ed|ing)?(?![a-z])" if word.isascii() else escaped)


def _is_request(text: str, match: re.Match) -> bool:
    return not _NEGATION_RE.search(text[max(0, match.start() - 12) : match.start()])
