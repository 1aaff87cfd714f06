"""What a role may see of a customer's contact details: phones, emails, WeChat IDs and addresses
masked for everyone but admins, unless a field is unmasked (an audited action, search/views.py).

Pure functions over values and rows, shared by the pages and the API so the two mask alike:
- a phone keeps its last four digits and, when long enough, its first three (`138****5678`),
  with at least four digits hidden; a Chinese landline keeps its area code (`010-****5678`), a
  foreign number its country code (`+44 79****3456`); several phones in one text are masked one by one;
- an email keeps the first character of its mailbox and the domain (`z***@qq.com`), a one-character
  mailbox shows none (`***@qq.com`); a WeChat ID keeps its first character;
- an address becomes its city and district only; the postcode is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

MASK = "*"
HIDDEN = "***"
# a field that can be unmasked -> the row columns it covers
MASKED_FIELDS = {
    "phone": ("phone", "phone_display"),
    "email": ("email",),
    "wechat": ("wechat", "external_id"),  # a shop account is a handle too
    "address": ("address", "postcode"),
}
FIELD_OF_COLUMN = {column: name for name, columns in MASKED_FIELDS.items() for column in columns}
_SEVERAL_PHONES_RE = re.compile(r"\s*[/,;、，；]\s*")
_KEPT_RE = re.compile(r"[\d*]")  # digits and digits a source already masked (138****5678)
_EMAIL_IN_TEXT_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE_IN_TEXT_RE = re.compile(r"\+?\d[\d \-]{5,}\d")  # seven digits or more, maybe spaced


def mask_digits(digits: str) -> str:
    """Hide at least four digits (all of four or fewer): the last four stay from eight digits on,
    the first three from eleven on."""
    n = len(digits)
    tail = 4 if n >= 8 else max(n - 4, 0)
    head = max(0, min(3, n - tail - 4))
    return digits[:head] + MASK * (n - head - tail) + digits[n - tail :]


def mask_phone(text: str | None) -> str | None:
    """A phone in any dress (E.164, as a source wrote it, several in one text) masked."""
    if not text or not text.strip():
        return text
    return " / ".join(_mask_one_phone(piece) for piece in _SEVERAL_PHONES_RE.split(text.strip()) if piece)


def _mask_one_phone(piece: str) -> str:
    if MASK not in piece:
        try:
            number = phonenumbers.parse(piece, "CN")
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_possible_number(number):
            national = phonenumbers.national_significant_number(number)
            if number.country_code != 86:
                return f"+{number.country_code} {mask_digits(national)}"
            area = phonenumbers.length_of_geographical_area_code(number)
            if area and len(national) > area:  # a landline: its area code says only the city
                return f"0{national[:area]}-{mask_digits(national[area:])}"
            return mask_digits(national)
    kept = "".join(_KEPT_RE.findall(piece))
    return ("+" if piece.lstrip().startswith("+") else "") + mask_digits(kept) if kept else HIDDEN


def mask_email(email: str | None) -> str | None:
    if not email or not email.strip():
        return email
    mailbox, at, domain = email.strip().rpartition("@")
    if not at:
        return mask_handle(email)
    return (mailbox[0] if len(mailbox) > 1 else "") + HIDDEN + "@" + domain


def mask_handle(handle: str | None) -> str | None:
    """A WeChat ID (or any other handle): its first character only."""
    if not handle or not handle.strip():
        return handle
    handle = handle.strip()
    return (handle[0] if len(handle) > 1 else "") + HIDDEN


def mask_address(address: str | None, city: str | None, district: str | None) -> str | None:
    """City and district only (what a viewer needs to place the customer); HIDDEN without either."""
    if not address or not address.strip():
        return address
    return " ".join(part for part in (city, district) if part) or HIDDEN


def mask_row(row: dict | None, unmasked: Iterable[str] = ()) -> dict | None:
    """A copy of a record or golden row with every masked field's columns masked, except the fields
    in unmasked (names of MASKED_FIELDS). Columns the row lacks stay absent."""
    if row is None:
        return None
    shown = set(unmasked)
    masked = dict(row)
    for name in ("phone", "phone_display"):
        if "phone" not in shown and name in masked:
            masked[name] = mask_phone(masked[name])
    if "email" not in shown and "email" in masked:
        masked["email"] = mask_email(masked["email"])
    if "wechat" not in shown and "wechat" in masked:
        masked["wechat"] = mask_handle(masked["wechat"])
    if "wechat" not in shown and masked.get("external_id"):  # platform:account -> platform:first character***
        platform, _, account = masked["external_id"].partition(":")
        masked["external_id"] = f"{platform}:{mask_handle(account)}" if account else mask_handle(platform)
    if "address" not in shown:
        if "address" in masked:
            masked["address"] = mask_address(masked["address"], row.get("city"), row.get("district"))
        if masked.get("postcode"):
            masked["postcode"] = HIDDEN
    return masked


def mask_value(field: str, value, row: dict | None = None, unmasked: Iterable[str] = ()):
    """One column's value masked as mask_row would (row: for an address, the city and district)."""
    if value is None or not isinstance(value, str):
        return value
    return mask_row({**(row or {}), field: value}, unmasked).get(field, value)


def mask_text(text: str | None) -> str | None:
    """Free text (a ticket's summary) with the emails and phone-like digit runs in it masked."""
    if not text:
        return text
    text = _EMAIL_IN_TEXT_RE.sub(lambda m: mask_email(m.group()), text)
    return _PHONE_IN_TEXT_RE.sub(lambda m: mask_phone(m.group()), text)


def mask_contact(channel: str | None, address: str | None) -> str | None:
    """A marketing audience entry's address: an email or a phone, by its channel."""
    return mask_email(address) if channel == "email" else mask_phone(address)


def masked_fields(unmasked: Iterable[str] = ()) -> list[str]:
    """The fields still masked when these are unmasked: what an answer says it hid."""
    shown = set(unmasked)
    return [f for f in MASKED_FIELDS if f not in shown]
