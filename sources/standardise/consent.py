"""Marketing consent: opt-out wording in free text, and yes/no cells.

What a yes/no means (营销许可=否 is an opt-out, Do not contact=Y is an opt-out) is the caller's.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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


def mentions_opt_out(text: str | None, keywords=OPT_OUT_KEYWORDS) -> bool:
    if not text or not isinstance(text, str):
        return False
    folded = _NOT_A_REQUEST_RE.sub(" ", unicodedata.normalize("NFKC", text).lower())
    return any(
        _is_request(folded, match) for pattern in _patterns(tuple(keywords)) for match in pattern.finditer(folded)
    )


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
