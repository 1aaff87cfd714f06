"""Phone cells -> E.164 identifiers, one cell possibly holding several numbers.

A number is an identifier when phonenumbers calls it *possible* (not necessarily *valid*: the
sources hold Faker-style numbers such as +1 (116) 535-5157 and CN mobiles in 14x/16x/17x/19x
ranges that strict validation rejects), and, for CN mobiles, it is 11 digits 1[3-9]xxxxxxxxx.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult


@dataclass(frozen=True)
class ParsedPhone:
    e164: str | None
    display: str
    is_masked: bool
    reason: str | None  # why e164 is None: masked, fake, unparseable, too_short, too_long, invalid


_SEPARATORS_RE = re.compile(r"\s*(?:[/／,，;；、|｜\n]|或者|或|\bor\b|\band\b)\s*", re.IGNORECASE)
_SPACED_NUMBERS_RE = re.compile(r"^\+?\d{11,}(?:\s+\+?\d{11,})+$")  # "13812345678 13912345678"
_LABEL_RE = re.compile(r"^(?:tel|phone|mobile|mob|cell|手机号?码?|电话|座机|固话|联系电话)\s*[:：.]?\s*", re.IGNORECASE)
_MASK_RE = re.compile(r"[*＊]|\d[xX×]+\d|[xX×]{2,}")  # 138****5678, 138xxxx5678
_EXTENSION_RE = re.compile(r"\s*(?:ext\.?|extension|x|转|分机)\s*\d+$", re.IGNORECASE)
_ALLOWED_RE = re.compile(r"^\+?[\d\s\-.()（）]+$")
_NON_DIGIT_RE = re.compile(r"\D")
_CN_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# a North American number written without its +1: "(509) 919-7956", "509-919-7956" — ten digits
# in 3-3-4 groups, which no Chinese number uses
_NANP_RE = re.compile(r"^\(?[2-9]\d{2}\)?[\s.\-]?[2-9]\d{2}[\s.\-]\d{4}$")
# 7+ equal digits in a row (13888888888), a whole 0-9 run, or the number every tutorial uses
_FAKE_RE = re.compile(r"(\d)\1{6,}|1234567890|0123456789|9876543210|^(\d)\2{4,}$|^13800138000$")

_POSSIBLE_REASONS = {
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too_short",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "invalid",
    ValidationResult.INVALID_COUNTRY_CODE: "invalid",
}


def parse_phones(raw: str | None, default_region: str = "CN") -> list[ParsedPhone]:
    if raw is None:
        return []
    parts = []
    for part in _SEPARATORS_RE.split(str(raw).strip()):
        parts.extend(part.split() if _SPACED_NUMBERS_RE.match(part) else [part])
    return [parse_phone(part, default_region) for part in parts if part.strip()]


def usable_phones(raw: str | None, default_region: str = "CN") -> tuple[str, ...]:
    numbers = (p.e164 for p in parse_phones(raw, default_region) if p.e164)
    return tuple(dict.fromkeys(numbers))


@lru_cache(maxsize=500_000)
def parse_phone(part: str, default_region: str = "CN") -> ParsedPhone:
    """One number as written."""
    display = part.strip()
    text = unicodedata.normalize("NFKC", display)  # full-width digits and punctuation
    if _MASK_RE.search(text):
        return ParsedPhone(None, display, True, "masked")
    e164, reason = _to_e164(_EXTENSION_RE.sub("", _LABEL_RE.sub("", text)), default_region)
    return ParsedPhone(e164, display, False, reason)


def _to_e164(text: str, region: str) -> tuple[str | None, str | None]:
    if not _ALLOWED_RE.match(text):
        return None, "unparseable"  # letters in a number are typos (152077v3524), not vanity numbers
    if _is_fake(_NON_DIGIT_RE.sub("", text)):
        return None, "fake"
    fast = _common_e164(text) if region == "CN" else None
    return (fast, None) if fast else _parsed_e164(text, region)


def _common_e164(text: str) -> str | None:
    """The E.164 form of the few shapes most numbers come in, without phonenumbers' full parse
    (a hundred times faster, and the same answer): CN mobiles with or without +86/0086/86, and
    +1 numbers. Anything else returns None and takes the full parse."""
    digits = _NON_DIGIT_RE.sub("", text)
    plus = text.lstrip().startswith("+")
    if not plus and digits.startswith("0086"):
        digits, plus = digits[2:], True
    if plus and digits.startswith("86") and _CN_MOBILE_RE.match(digits[2:]):
        return "+" + digits
    if not plus and len(digits) == 13 and digits.startswith("86") and _CN_MOBILE_RE.match(digits[2:]):
        return "+" + digits
    if not plus and _CN_MOBILE_RE.match(digits):
        return "+86" + digits
    if plus and digits.startswith("1") and len(digits) == 11:
        return "+" + digits
    return None


def _parsed_e164(text: str, region: str) -> tuple[str | None, str | None]:
    try:
        number = phonenumbers.parse(_international_prefix(text), region)
    except NumberParseException:
        return None, "unparseable"
    national = str(number.national_number)
    if _is_fake(national):
        return None, "fake"
    reason = _cn_reason(number, text) if number.country_code == 86 else _possible_reason(number)
    if reason and _NANP_RE.match(text.strip()):
        number, reason = phonenumbers.parse(text, "US"), None
    if reason:
        return None, reason
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def _international_prefix(text: str) -> str:
    """0086... and a bare 86 + CN mobile (8613812345678) are international forms."""
    digits = _NON_DIGIT_RE.sub("", text)
    if text.lstrip().startswith("+"):
        return text
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        return "+" + digits
    return text


def _is_fake(national: str) -> bool:
    return bool(_FAKE_RE.search(national))


def _cn_reason(number: phonenumbers.PhoneNumber, text: str) -> str | None:
    """CN: mobiles are exactly 11 digits 1[3-9]..., landlines need their area code (0xx-)."""
    national = str(number.national_number)
    if national.startswith("1") and not national.startswith("10"):  # 10 is Beijing's area code
        if len(national) < 11:
            return "too_short"
        if len(national) > 11:
            return "too_long"
        return None if _CN_MOBILE_RE.match(national) else "invalid"
    written = _NON_DIGIT_RE.sub("", text)
    if not text.lstrip().startswith("+") and not written.startswith("0"):
        return "too_short" if len(written) < 10 else "invalid"  # local number or mangled mobile
    return _possible_reason(number)


def _possible_reason(number: phonenumbers.PhoneNumber) -> str | None:
    result = phonenumbers.is_possible_number_with_reason(number)
    if result == ValidationResult.IS_POSSIBLE:
        return None
    return _POSSIBLE_REASONS.get(result, "invalid")
