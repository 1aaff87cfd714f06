"""How one record shows a person, with the noise of the system that wrote it: honorifics,
traditional characters, typos and homophones, masked and placeholder phones, e-mail typos. A
``random.Random`` per file, seeded from (seed, stream name), so files do not depend on each
other's draws; a profile (demo/profiles.py) sets how hard the messes are."""

from __future__ import annotations

import random

from demo.people import People, given_name
from demo.pools import FEMALE_CHARS, MALE_CHARS, SURNAMES, US_SUFFIXES, parse_pool
from demo.profiles import PROFILES, Profile

# Characters that only appear as typos: same reading as a pool character, wrong character.
_TYPO_ONLY_CHARS = """玮wei 炜wei 薇wei 婧jing 菁jing 俐li 桦hua 骅hua 珉min 君jun 婕jie 滔tao 铭ming
鸣ming 钢gang 晖hui 朋peng 馨xin 雨yu 羽yu 皓hao 剑jian 智zhi 岚lan 霖lin 瑛ying 彦yan 鹃juan
亭ting 虹hong 玫mei 琇xiu 芸yun 钰yu 锋feng 枫feng 扬yang 恺kai 俪li 萱xuan 侠xia 雯wen"""

# Surnames misheard on the phone or mistyped by a pinyin IME.
_SURNAME_TYPOS = {
    "张": "章",
    "章": "张",
    "王": "汪",
    "汪": "王",
    "徐": "许",
    "许": "徐",
    "刘": "柳",
    "吴": "武",
    "武": "吴",
    "杨": "阳",
    "李": "黎",
    "黎": "李",
    "黄": "王",
    "周": "邹",
    "邹": "周",
}

_EMAIL_DOMAIN_TYPOS = {
    "gmail.com": "gmial.com",
    "qq.com": "qqcom",
    "163.com": "163.cm",
    "sina.com": "sian.com",
    "126.com": "126.con",
    "outlook.com": "outlok.com",
    "yahoo.com": "yaho.com",
    "hotmail.com": "hotmal.com",
    "foxmail.com": "foxmial.com",
}

# Typed when the real value is unknown or withheld, for many different people (hard profile).
_PLACEHOLDER_PHONES = ["13800138000", "12345678901", "400-123-4567"]

_PLACEHOLDER_EMAILS = ["test@test.com", "test@test.com", "123456@qq.com"]

# A shop's own service mobile typed for buyers who gave none (Profile.generic_phone, make bench):
# unlike the placeholders above it looks like any customer's number, so only the data shows it is generic.
GENERIC_PHONE = "13916802577"


def _homophones() -> dict[str, list[str]]:
    """Given-name character -> other characters with the same reading (for IME typos)."""
    by_py: dict[str, list[str]] = {}
    for ch, py in MALE_CHARS + FEMALE_CHARS + parse_pool(_TYPO_ONLY_CHARS):
        if ch not in by_py.setdefault(py, []):
            by_py[py].append(ch)
    return {ch: [o for o in group if o != ch] for group in by_py.values() for ch in group if len(group) > 1}


_HOMOPHONES = _homophones()

_TRAD_CACHE: dict[str, str] = {}


def _to_traditional(text: str) -> str:
    """Simplified -> traditional, character by character (names have no context to use)."""
    out = []
    for ch in text:
        t = _TRAD_CACHE.get(ch)
        if t is None:
            t = _TRAD_CACHE[ch] = _opencc().convert(ch)
        out.append(t)
    return "".join(out)


_OPENCC = []


def _opencc():
    if not _OPENCC:
        import opencc  # imported lazily: only traditional-name noise needs it

        _OPENCC.append(opencc.OpenCC("s2t"))
    return _OPENCC[0]


class Render:
    def __init__(self, people: People, seed: int, stream: str, messes: bool, profile: Profile = PROFILES["default"]):
        self.p = people
        self.r = random.Random(f"{seed}:{stream}")
        self.on = messes
        self.profile = profile

    def harder(self, prob: float) -> float:
        """A name mess's chance under this profile."""
        return self.profile.harder(prob)

    def chance(self, prob: float) -> bool:
        """A mess that happens with probability prob, never when messes are off."""
        return self.on and self.r.random() < prob

    def pick(self, seq):
        return seq[int(self.r.random() * len(seq))]

    # names -------------------------------------------------------------------------------
    def name(self, i: int, hon=0.0, trad=0.0, typo=0.0, roman=0.0, reverse=0.0, given_only=0.0, formal=False) -> str:
        p = self.p
        if not p.cn[i]:
            name = f"{p.first[i]} {p.last[i]}"
            return self.latin_typo(name) if self.chance(typo) else name
        hon, trad, roman, reverse = (self.harder(x) for x in (hon, trad, roman, reverse))
        if self.chance(hon):
            return p.sur[i] + self.honorific(p.female[i], formal)
        if self.chance(roman):
            return self.roman(i, typo)
        sur, given = p.sur[i], p.given[i]
        if self.chance(typo):
            if sur in _SURNAME_TYPOS and self.r.random() < 0.2:
                sur = _SURNAME_TYPOS[sur]
            else:
                given = self.cn_typo(given)
        if self.chance(given_only):
            return given
        name = given + sur if self.chance(reverse) else sur + given
        return _to_traditional(name) if self.chance(trad) else name

    def honorific(self, female: bool, formal: bool) -> str:
        if formal:
            return "女士" if female else "先生"
        if female:
            return self.pick(["女士", "女士", "女士", "女士", "姐", "姐", "总", "老师", "老师"])
        return self.pick(["先生", "先生", "先生", "先生", "总", "总", "总", "老师", "哥"])

    def roman(self, i: int, typo=0.0) -> str:
        """Romanised Chinese name, given-first or family-first, sometimes with odd casing."""
        p = self.p
        sur, given = p.sur_py[i].capitalize(), p.given_py[i].capitalize()
        if self.chance(typo):
            given = self.latin_typo(given)
        name = f"{given} {sur}" if self.r.random() < self.profile.given_first else f"{sur} {given}"
        if self.chance(0.05):
            name = f"{sur.upper()} {given}"
        elif self.chance(0.03):
            name = name.lower()
        return name

    def cn_typo(self, given: str) -> str:
        """A wrong character with the same reading, the usual pinyin-IME slip."""
        k = self.r.randrange(len(given))
        options = _HOMOPHONES.get(given[k])
        if not options:
            return given
        return given[:k] + self.pick(options) + given[k + 1 :]

    def latin_typo(self, text: str) -> str:
        """A dropped or swapped letter inside a word."""
        letters = [k for k in range(1, len(text) - 1) if text[k].isalpha() and text[k + 1].isalpha()]
        if not letters:
            return text
        k = self.pick(letters)
        if self.r.random() < 0.6:
            return text[:k] + text[k + 1 :]
        return text[:k] + text[k + 1] + text[k] + text[k + 2 :]

    def family_name(self, i: int) -> str:
        """Someone else in the household: same surname or a spouse with their own."""
        p = self.p
        female = self.r.random() < 0.5
        given = given_name(self.r, female)[0]
        if p.cn[i] and self.r.random() < 0.5:
            return p.sur[i] + given
        return self.pick(SURNAMES[:40])[0] + given

    # contact -----------------------------------------------------------------------------
    def phone(self, i: int, typo=0.0, second=0.0, both=0.0, office=0.0, mask=0.0) -> str:
        p = self.p
        if self.profile.generic_phone and self.chance(self.profile.generic_phone):
            return GENERIC_PHONE
        placeholder = self.profile.placeholder_phone
        if placeholder and self.chance(placeholder):
            return self.pick(_PLACEHOLDER_PHONES)
        if p.office[i] and self.chance(office):
            return p.office[i]
        digits = p.phone[i]
        if p.phone2[i] and self.chance(second):
            digits = p.phone2[i]
        if self.chance(typo):
            digits = self.transpose(digits)
        us = len(digits) == 10
        if not us and self.chance(mask):
            return f"{digits[:3]}****{digits[7:]}"
        text = self.fmt_us(digits) if us else self.fmt_cn(digits)
        if p.phone2[i] and digits != p.phone2[i] and self.chance(both):
            text = f"{text} / {self.fmt_cn(p.phone2[i])}"  # two numbers in one cell
        return text

    def transpose(self, digits: str) -> str:
        k = self.r.randrange(3, len(digits) - 1)
        return digits[:k] + digits[k + 1] + digits[k] + digits[k + 2 :]

    def fmt_cn(self, d: str) -> str:
        if not self.on:
            return d
        x = self.r.random()
        if x < 0.45:
            return d
        if x < 0.65:
            return f"{d[:3]}-{d[3:7]}-{d[7:]}"
        if x < 0.83:
            return f"+86 {d[:3]} {d[3:7]} {d[7:]}"
        if x < 0.93:
            return "86" + d
        if x < 0.97:
            return "0086" + d
        return f"{d[:3]} {d[3:7]} {d[7:]}"

    def fmt_us(self, d: str) -> str:
        if not self.on:
            return "+1" + d
        x = self.r.random()
        if x < 0.5:
            return f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}"
        if x < 0.7:
            return f"{d[:3]}-{d[3:6]}-{d[6:]}"
        if x < 0.85:
            return f"({d[:3]}) {d[3:6]}-{d[6:]}"
        return "1" + d

    def email(self, i: int, typo=0.03) -> str:
        placeholder = self.profile.placeholder_email
        if placeholder and self.chance(placeholder):
            return self.pick(_PLACEHOLDER_EMAILS)
        e = self.p.email[i]
        if not e or not self.on:
            return e
        if self.chance(typo):
            local, domain = e.split("@")
            if self.r.random() < 0.5 and domain in _EMAIL_DOMAIN_TYPOS:
                return f"{local}@{_EMAIL_DOMAIN_TYPOS[domain]}"
            return f"{self.latin_typo(local) if len(local) > 3 else local}@{domain}"
        if self.chance(0.02):
            return e[:1].upper() + e[1:]
        return e

    def wechat(self, i: int) -> str:
        if self.p.wechat_same[i]:
            return "微信同号" if self.on else self.p.phone[i]
        return self.p.wechat[i]

    # places ------------------------------------------------------------------------------
    def address(self, i: int) -> str:
        """One-string address: CN 'province city district street' with varied spacing and
        levels left out; US 'street, city, ST'."""
        p = self.p
        if not p.in_cn[i]:
            return f"{self.us_street(i)}, {p.city[i]}, {p.province[i]}"
        prov, city = p.province[i], p.city[i]
        parts = [city] if prov == city else [prov, city]
        if self.on:
            x = self.r.random()
            if x < 0.15:
                parts = [city]
            elif x < 0.2:
                parts = []
        parts = parts + [p.district[i], p.street[i]]
        return " ".join(parts) if (not self.on or self.r.random() < 0.5) else "".join(parts)

    def street_line(self, i: int) -> str:
        return self.p.street[i] if self.p.in_cn[i] else self.us_street(i)

    def us_street(self, i: int) -> str:
        number, name, suffix, apt = self.p.street[i]
        full, abbr = US_SUFFIXES[suffix]
        line = f"{number} {name} {abbr if self.chance(0.3) else full}"
        if apt:
            line += f" {apt.replace('.', '') if self.chance(0.3) else apt}"
        return line

    def city(self, i: int) -> str:
        c = self.p.city[i]
        return c[:-1] if c.endswith("市") and self.chance(0.2) else c
