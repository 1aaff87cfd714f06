"""E-mail addresses: one comparable form, placeholders rejected, QQ numbers recognised."""

from __future__ import annotations

import re
import unicodedata

# Deliberately simple: a local part, one @, a dotted domain with an alphabetic TLD.
_EMAIL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.\-]+@(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}$")
_ANGLE_RE = re.compile(r"<([^<>]+@[^<>]+)>")
_QQ_RE = re.compile(r"^[1-9]\d{4,10}$")
_EDGE_JUNK = " \t\r\n\"'<>()[]{},;:。，；：、"

PLACEHOLDER_DOMAINS = frozenset(
    "example.com example.org example.net test.com none.com noemail.com nomail.com null.com "
    "xxx.com abc.com 123.com email.test invalid.invalid".split()
)
PLACEHOLDER_LOCALS = frozenset(
    "none noemail no-email nomail no.email null na n.a test unknown xxx nobody noreply no-reply "
    "dummy fake asdf qwerty".split()
)
QQ_DOMAINS = frozenset({"qq.com", "vip.qq.com"})


def normalise_email(raw: str | None) -> str | None:
    if not raw or not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).replace("。", ".").strip()
    bracketed = _ANGLE_RE.search(text)  # 'Zhang Wei <zw@qq.com>'
    if bracketed:
        text = bracketed.group(1)
    text = text.strip(_EDGE_JUNK).lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :].strip(_EDGE_JUNK)
    if not _EMAIL_RE.match(text) or ".." in text or _is_placeholder(text):
        return None
    return text


def email_local_part(email: str | None) -> str | None:
    normalised = normalise_email(email)
    return normalised.split("@", 1)[0] if normalised else None


def qq_number(email: str | None) -> str | None:
    normalised = normalise_email(email)
    if not normalised:
        return None
    local, domain = normalised.split("@", 1)
    return local if domain in QQ_DOMAINS and _QQ_RE.match(local) else None


def _is_placeholder(email: str) -> bool:
    local, domain = email.split("@", 1)
    return domain in PLACEHOLDER_DOMAINS or local in PLACEHOLDER_LOCALS or local.startswith(".") or local.endswith(".")
