"""The demo people: stable true attributes, one list entry per person, and how many records each
source holds of each of them. Person-level draws are vectorised with numpy, seeded from
(seed, stream name)."""

from __future__ import annotations

import datetime as dt
import random
import re
import zlib
from dataclasses import dataclass, fields

import numpy as np

from demo.pools import (
    CN_CITIES,
    CN_EMAIL_DOMAINS,
    CN_ESTATES,
    CN_MOBILE_PREFIXES,
    CN_STREETS,
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    FEMALE_CHARS,
    FEMALE_COMMON,
    MALE_CHARS,
    MALE_COMMON,
    SURNAMES,
    US_CITIES,
    US_STREETS,
    US_SUFFIXES,
    WEST_EMAIL_DOMAINS,
    WEST_FEMALE,
    WEST_LAST,
    WEST_MALE,
)

# Source order of the per-person event counts.
TMALL, SHOPIFY, SALES, CALL, HELP = range(5)

# Preferred sources by kind of person (normalised per row); tuned so the record shares come out
# near Tmall 31%, Shopify 17%, sales 27%, call centre 15%, help desk 11%.
_PREFS = {
    "cn": [0.43, 0.035, 0.27, 0.15, 0.11],
    "west_cn": [0.20, 0.21, 0.27, 0.15, 0.11],
    "west": [0.0, 0.40, 0.27, 0.15, 0.11],
}


@dataclass
class People:
    pid: list  # person id written to the truth file
    cn: list  # Chinese name (else Western)
    female: list
    sur: list  # Chinese surname / given name and their pinyin ('' for Western people)
    given: list
    sur_py: list
    given_py: list
    first: list  # Western first / last name ('' for Chinese people)
    last: list
    in_cn: list  # lives at a Chinese address
    province: list  # CN province, or US state
    city: list
    district: list  # '' for US addresses
    street: list  # street line: '解放路57号20栋577室' / ('2734', 'Moore', suffix index, apt)
    postcode: list
    phone: list  # 11-digit CN mobile or 10-digit US number
    phone_us: list
    phone2: list  # second CN mobile or ''
    office: list  # shared office landline or ''
    company: list
    email: list
    wechat: list  # own WeChat ID, '' when none or when the phone number is the ID
    wechat_same: list  # the phone number is the WeChat ID (微信同号)
    birthday: list  # datetime.date
    opted_out: list
    nick: list  # Taobao member name
    events: np.ndarray  # (n, 5) records per source: Tmall, Shopify, sales, call, help desk

    def __len__(self) -> int:
        return len(self.pid)

    def concat(self, other: People) -> People:
        parts = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            parts[f.name] = np.concatenate([a, b]) if f.name == "events" else a + b
        return People(**parts)

    def taken(self) -> set:
        """Identifiers in use, so people added later never collide with these."""
        return set(self.phone) | set(self.phone2) | set(self.email) | set(self.nick) | set(self.wechat)


def _seed_seq(seed: int, stream: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed) % (1 << 63), zlib.crc32(stream.encode())])


def streams(seed: int, stream: str) -> tuple[np.random.Generator, random.Random]:
    # random.Random seeded with a str hashes it with SHA-512: stable across runs and platforms.
    return np.random.default_rng(_seed_seq(seed, stream)), random.Random(f"{seed}:{stream}")


def pick_one(r: random.Random, seq):
    return seq[int(r.random() * len(seq))]


def _unique(values: list, taken: set, regen) -> list:
    """Replace values already taken by fresh ones (phones and e-mails are personal)."""
    for k, v in enumerate(values):
        if not v:
            continue
        while v in taken:
            v = regen(v)
        taken.add(v)
        values[k] = v
    return values


def _cn_mobiles(rng: np.random.Generator, n: int) -> list:
    prefixes = np.array(CN_MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(CN_MOBILE_PREFIXES), n)]
    return [str(x) for x in (prefixes * 10**8 + rng.integers(0, 10**8, n)).tolist()]


def _us_phones(rng: np.random.Generator, n: int) -> list:
    nums = rng.integers(201, 990, n) * 10**7 + rng.integers(200, 1000, n) * 10**4 + rng.integers(0, 10**4, n)
    return [str(x) for x in nums.tolist()]


def given_name(r: random.Random, female: bool) -> tuple[str, str]:
    if r.random() < 0.45:
        return pick_one(r, FEMALE_COMMON if female else MALE_COMMON)
    pool = FEMALE_CHARS if female else MALE_CHARS
    a = pick_one(r, pool)
    if r.random() < 0.3:
        return a
    b = a if r.random() < 0.04 else pick_one(r, pool)  # 婷婷-style doubled names exist
    return a[0] + b[0], a[1] + b[1]


def build_people(
    n: int, seed: int, first_id: int = 1, stream: str = "people", china_only: bool = False, taken: set | None = None
) -> People:
    """The person pool for (n, seed, stream): every draw comes from this stream only."""
    rng, r = streams(seed, stream)
    taken = set() if taken is None else taken
    cn = (rng.random(n) < (0.95 if china_only else 0.70)).tolist()
    female = (rng.random(n) < 0.5).tolist()
    in_cn = [c or w for c, w in zip(cn, (rng.random(n) < (1.0 if china_only else 0.3)).tolist())]

    sur_w = np.array([w for _, _, w in SURNAMES])
    sur_idx = rng.choice(len(SURNAMES), n, p=sur_w / sur_w.sum()).tolist()
    sur, sur_py, given, given_py, first, last = [], [], [], [], [], []
    for i in range(n):
        if cn[i]:
            s = SURNAMES[sur_idx[i]]
            g = given_name(r, female[i])
            sur.append(s[0])
            sur_py.append(s[1])
            given.append(g[0])
            given_py.append(g[1])
            first.append("")
            last.append("")
        else:
            sur.append("")
            sur_py.append("")
            given.append("")
            given_py.append("")
            first.append(pick_one(r, WEST_FEMALE if female[i] else WEST_MALE))
            last.append(pick_one(r, WEST_LAST))

    province, city, district, street, postcode = _addresses(rng, r, in_cn)
    _common_name_pairs(r, cn, in_cn, [sur, sur_py, given, given_py], [province, city, district, postcode])

    phone_us = [not c and (rng_u > 0.15) for c, rng_u in zip(in_cn, rng.random(n).tolist())]
    mobiles, us = _cn_mobiles(rng, n), _us_phones(rng, n)
    phone = _unique(
        [u if is_us else m for m, u, is_us in zip(mobiles, us, phone_us)],
        taken,
        lambda v: v[:3] + f"{r.randrange(10 ** (len(v) - 3)):0{len(v) - 3}d}",
    )
    has2 = (rng.random(n) < 0.18).tolist()
    phone2 = _unique(
        [m if h else "" for m, h in zip(_cn_mobiles(rng, n), has2)],
        taken,
        lambda v: v[:3] + f"{r.randrange(10**8):08d}",
    )

    company = [_company(r, city[i]) if r.random() < 0.3 else "" for i in range(n)]
    office = [""] * n
    _shared_offices(r, in_cn, city, company, office, taken)

    email = _unique(
        [_email(r, i, cn, sur_py, given_py, first, last) for i in range(n)],
        taken,
        lambda v: v.replace("@", str(r.randrange(10)) + "@", 1),
    )
    wechat, wechat_same = _wechats(r, n, in_cn, cn, phone_us, sur_py, given_py, first, last)
    wechat = _unique(wechat, taken, lambda v: v + str(r.randrange(10)))
    nick = _unique(
        [_nick(r, i, cn, sur_py, given_py, first) for i in range(n)], taken, lambda v: v + str(r.randrange(10))
    )

    lo, hi = dt.date(1955, 1, 1).toordinal(), dt.date(2006, 12, 31).toordinal()
    birthday = [dt.date.fromordinal(o) for o in rng.integers(lo, hi + 1, n).tolist()]
    opted_out = (rng.random(n) < 0.12).tolist()
    events = _events(rng, cn, in_cn)
    return People(
        pid=list(range(first_id, first_id + n)),
        cn=cn,
        female=female,
        sur=sur,
        given=given,
        sur_py=sur_py,
        given_py=given_py,
        first=first,
        last=last,
        in_cn=in_cn,
        province=province,
        city=city,
        district=district,
        street=street,
        postcode=postcode,
        phone=phone,
        phone_us=phone_us,
        phone2=phone2,
        office=office,
        company=company,
        email=email,
        wechat=wechat,
        wechat_same=wechat_same,
        birthday=birthday,
        opted_out=opted_out,
        nick=nick,
        events=events,
    )


def _addresses(rng, r, in_cn):
    n = len(in_cn)
    w = np.array([c[4] for c in CN_CITIES], dtype=float)
    cn_city = rng.choice(len(CN_CITIES), n, p=w / w.sum()).tolist()
    us_city = rng.integers(0, len(US_CITIES), n).tolist()
    province, city, district, street, postcode = [], [], [], [], []
    for i in range(n):
        if in_cn[i]:
            prov, cty, pc, _, _, dists = CN_CITIES[cn_city[i]]
            province.append(prov)
            city.append(cty)
            district.append(pick_one(r, dists.split()))
            street.append(_cn_street(r))
            postcode.append(f"{pc}{r.randrange(1000):03d}")
        else:
            cty, state, zp = US_CITIES[us_city[i]]
            province.append(state)
            city.append(cty)
            district.append("")
            apt = ""
            if r.random() < 0.3:
                apt = f"{pick_one(r, ['Apt.', 'Suite', 'Unit'])} {r.randrange(1, 999)}"
            street.append((str(r.randrange(10, 99999)), pick_one(r, US_STREETS), r.randrange(len(US_SUFFIXES)), apt))
            postcode.append(f"{zp}{r.randrange(100):02d}")
    return province, city, district, street, postcode


def _cn_street(r: random.Random) -> str:
    road = f"{pick_one(r, CN_STREETS)}{r.randrange(1, 999)}号"
    if r.random() < 0.3:
        return f"{road}{pick_one(r, CN_ESTATES)}{r.randrange(1, 30)}栋{r.randrange(1, 5)}单元{r.randrange(101, 2899)}室"
    return f"{road}{r.randrange(1, 30)}栋{r.randrange(101, 2899)}室"


def _common_name_pairs(r, cn, in_cn, name_cols, place_cols) -> None:
    """Over-merge trap: about 1% of Chinese people share a name and a city with someone else."""
    chinese = [i for i in range(len(cn)) if cn[i] and in_cn[i]]
    if len(chinese) < 20:
        return
    for _ in range(max(2, len(chinese) // 100)):
        a, b = pick_one(r, chinese), pick_one(r, chinese)
        if a == b:
            continue
        for col in name_cols + place_cols:
            col[b] = col[a]


def _company(r: random.Random, city: str) -> str:
    name = pick_one(r, COMPANY_PREFIXES) + pick_one(r, COMPANY_SUFFIXES)
    if r.random() < 0.2 and city.endswith("市"):
        name = city[:-1] + name
    return name


def _shared_offices(r, in_cn, city, company, office, taken) -> None:
    """Over-merge trap: a few company landlines given by several different people."""
    by_city: dict[str, list[int]] = {}
    for i, c in enumerate(in_cn):
        if c:
            by_city.setdefault(city[i], []).append(i)
    cities = [c for c in by_city if len(by_city[c]) >= 4]
    if not cities:
        return
    area = {c[1]: c[3] for c in CN_CITIES}
    for _ in range(max(2, len(in_cn) // 300)):
        members = by_city[pick_one(r, cities)]
        line = f"{area[city[members[0]]]}-{r.randrange(2, 9)}{r.randrange(10**6, 10**7)}"
        while line in taken:
            line = line[:-1] + str(r.randrange(10))
        taken.add(line)
        firm = _company(r, city[members[0]])
        for _ in range(r.randrange(3, 7)):
            i = pick_one(r, members)
            office[i], company[i] = line, firm


def _email(r, i, cn, sur_py, given_py, first, last) -> str:
    if cn[i]:
        if r.random() < 0.35:
            return ""
        if r.random() < 0.35:
            return f"{r.randrange(10**5, 10**10)}@qq.com"  # QQ-number mailbox
        style = r.random()
        if style < 0.6:
            local = f"{sur_py[i]}{given_py[i]}{r.randrange(10000)}"
        elif style < 0.8:
            local = f"{given_py[i]}.{sur_py[i]}"
        else:
            local = f"{sur_py[i]}_{given_py[i][:1]}{r.randrange(60, 100)}"
        return f"{local}@{pick_one(r, CN_EMAIL_DOMAINS)}"
    given, family = first[i].lower(), re.sub(r"[^a-z]", "", last[i].lower())
    local = f"{given}.{family}{r.randrange(100)}" if r.random() < 0.7 else f"{given[0]}{family}{r.randrange(1000)}"
    return f"{local}@{pick_one(r, WEST_EMAIL_DOMAINS)}"


def _wechats(r, n, in_cn, cn, phone_us, sur_py, given_py, first, last):
    wechat, same = [], []
    for i in range(n):
        if r.random() > (0.7 if in_cn[i] else 0.25):
            wechat.append("")
            same.append(False)
        elif not phone_us[i] and r.random() < 0.45:
            wechat.append("")
            same.append(True)
        else:
            if cn[i]:
                base = pick_one(
                    r,
                    [
                        f"{sur_py[i]}{given_py[i]}",
                        f"{given_py[i]}_{sur_py[i][:1]}",
                        "wxid_" + "".join(pick_one(r, "abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(10)),
                    ],
                )
            else:
                base = f"{first[i].lower()}_{last[i].lower()[:3]}"
            wechat.append(f"{base}{r.randrange(100)}" if not base.startswith("wxid_") else base)
            same.append(False)
    return wechat, same


def _nick(r, i, cn, sur_py, given_py, first) -> str:
    style = r.random()
    if style < 0.15:
        return f"tb{r.randrange(10**9, 10**10)}"
    if cn[i]:
        if style < 0.7:
            return f"{sur_py[i]}{given_py[i]}{r.randrange(100) if r.random() < 0.5 else ''}"
        return f"{given_py[i][:1]}{sur_py[i]}{r.randrange(10, 100)}"
    return f"{first[i].lower()}{r.randrange(10, 10000)}"


def _events(rng: np.random.Generator, cn: list, in_cn: list) -> np.ndarray:
    """Records per person per source: ~3.4 on average with a long tail, in a random subset of
    sources shaped by who the person is (Western customers abroad never order on Tmall)."""
    n = len(cn)
    total = 1 + rng.negative_binomial(1.2, 0.345, n)
    kind = np.where(np.array(cn, dtype=bool), 0, np.where(np.array(in_cn, dtype=bool), 1, 2))
    base = np.array([_PREFS["cn"], _PREFS["west_cn"], _PREFS["west"]])[kind]
    # Gamma draws with small shape give each person a few favourite sources, not all five.
    pref = rng.gamma(base * 2.0 + 1e-9) * (base > 0)
    pref /= pref.sum(axis=1, keepdims=True)
    return rng.multinomial(total, pref)
