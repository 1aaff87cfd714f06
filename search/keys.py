"""Search keys: what staff type and what records hold, reduced to the same exact keys.

Both sides meet halfway through sources/standardise: a query is parsed with the same name, phone
and email standardisers the pipeline used on the records, so '黃桂芝', 'huang guizhi',
'Guizhi Huang' and 'huangguizhi' all become keys the record '黄桂芝' was indexed under.

A key is (kind, value); the index stores DuckDB's 64-bit hash(kind, value), computed in bulk when
indexing and by key_hashes here when searching (the same function, so the two always agree).
"""

from __future__ import annotations

import re
import threading
import unicodedata

import duckdb

from sources.standardise.emails import normalise_email
from sources.standardise.names import parse_name
from sources.standardise.phones import usable_phones

Key = tuple[str, str]

# How much a match on each kind of key says that this is the customer the caller means.
KIND_SCORE = {
    "customer_id": 100.0,
    "phone": 100.0,
    "email": 100.0,
    "ref": 100.0,
    "wechat": 95.0,
    "nick": 95.0,
    "tail": 90.0,
    "name4": 92.0,
    "last4": 85.0,
    "name": 80.0,
    "pinyin": 75.0,
    "tokens": 70.0,
}
FUZZY_SCORE = 60.0  # times the Jaro-Winkler similarity of the pinyin

KIND_LABEL = {
    "customer_id": "客户号 customer ID",
    "phone": "电话 phone",
    "tail": "电话 phone (last 8 digits)",
    "email": "邮箱 email",
    "wechat": "微信 WeChat",
    "nick": "店铺昵称 shop nickname",
    "ref": "订单/工单 order/ticket",
    "name4": "姓名 + 尾号 name + last 4",
    "last4": "姓 + 尾号 surname + last 4",
    "name": "姓名 name",
    "pinyin": "拼音 pinyin",
    "tokens": "姓名 name (any order)",
    "fuzzy": "相似姓名 similar name",
}
# which displayed field a match on each kind lights up
KIND_FIELD = {
    "customer_id": "customer_id",
    "phone": "phone",
    "tail": "phone",
    "last4": "phone",
    "name4": "phone",
    "email": "email",
    "wechat": "wechat",
    "nick": "nickname",  # not a result column: nothing to highlight
    "ref": "ref",
    "name": "display_name",
    "pinyin": "display_name",
    "tokens": "display_name",
    "fuzzy": "display_name",
}

MAX_QUERY_LENGTH = 200
_PHONE_LIKE_RE = re.compile(r"^[+\d\s\-.()（）]+$")
_LAST4_RE = re.compile(r"^(?P<before>[^\d]*?)\s*(?P<digits>\d{4})\s*(?P<after>[^\d]*)$")
_BARE_TAIL_RE = re.compile(r"^\d{4}$")
_WECHAT_RE = re.compile(r"^[a-z0-9_\-]{3,40}$")
_REF_LIKE_RE = re.compile(r"^[#№]?\s*[0-9A-Za-z][0-9A-Za-z\-_/ ]*$")
_ID_LIKE_RE = re.compile(r"^[A-Za-z]+\d+$")
_NOT_ALNUM_RE = re.compile(r"[^0-9A-Za-z]")
_DIGIT_RE = re.compile(r"\d")
_WORD_RE = re.compile(r"\w")  # a letter, digit or character: punctuation alone is no account name


def clean_query(text: str) -> str:
    """Full-width forms folded (１３８ -> 138), whitespace trimmed, overlong input cut."""
    return unicodedata.normalize("NFKC", text or "").strip()[:MAX_QUERY_LENGTH]


_hashing = duckdb.connect()  # an empty in-memory database: only its hash function is used
_cursors = threading.local()  # one cursor per thread: DuckDB connections are not shared across threads


def key_hashes(keys: list[Key]) -> list[int]:
    """DuckDB's hash(kind, value) of each key, in order: what the index was built with."""
    if not keys:
        return []
    cursor = getattr(_cursors, "cursor", None)
    if cursor is None:
        cursor = _cursors.cursor = _hashing.cursor()
    kinds, values = [k for k, _ in keys], [v for _, v in keys]
    return [
        row[0]
        for row in cursor.execute(
            "select hash(unnest($1::varchar[]), unnest($2::varchar[]))", [kinds, values]
        ).fetchall()
    ]


def query_keys(text: str) -> list[Key]:
    """Every exact key the query could mean, without duplicates."""
    q = clean_query(text)
    if not q:
        return []
    keys = [*_id_keys(q), *_phone_keys(q), *_last4_keys(q), *_name_keys(q), *_nickname_keys(q)]
    email = normalise_email(q) if "@" in q else None
    if email:
        keys.append(("email", email))
    return list(dict.fromkeys(keys))


def query_pinyin(text: str) -> str | None:
    """The query as a name in pinyin without spaces (what fuzzy matching compares), if it is one."""
    q = clean_query(text)
    if _DIGIT_RE.search(q) or "@" in q:
        return None
    parsed = parse_name(q)
    return parsed.pinyin.replace(" ", "") if parsed.pinyin else None


def _id_keys(q: str) -> list[Key]:
    """Order and ticket numbers (#1056, W-50490), WeChat IDs and customer IDs."""
    keys = []
    if _ID_LIKE_RE.match(q):
        keys.append(("customer_id", q.upper()))
    ref = _NOT_ALNUM_RE.sub("", q).upper()
    if _REF_LIKE_RE.match(q) and 3 <= len(ref) <= 40 and _DIGIT_RE.search(ref):
        keys.append(("ref", ref))
    if _WECHAT_RE.match(q.lower()):
        keys.append(("wechat", q.lower()))
    return keys


def _nickname_keys(q: str) -> list[Key]:
    """A shop account name as the buyer chose it (Tmall 买家会员名, JD 下单帐号): any text of a few characters."""
    return [("nick", q.lower())] if 2 <= len(q) <= 60 and "@" not in q and _WORD_RE.search(q) else []


def _phone_keys(q: str) -> list[Key]:
    """A phone in any format: its E.164 form, and its last 8 digits (country code and trunk
    prefix written or not, the last 8 digits are the same)."""
    if not _PHONE_LIKE_RE.match(q):
        return []
    digits = re.sub(r"\D", "", q)
    if not 7 <= len(digits) <= 15:
        return []
    keys = [("phone", e164) for e164 in usable_phones(q)]
    if len(digits) >= 8:
        keys.append(("tail", digits[-8:]))
    return keys


def bare_tail_hint(text: str) -> str | None:
    """A phone's last four digits alone would list every customer who has them: the search asks for a name too."""
    if not _BARE_TAIL_RE.match(clean_query(text)):
        return None
    return "尾号请配上姓名 Add a name to a phone's last 4 digits, e.g. 张伟 6394 or Wang 6394"


def _last4_keys(q: str) -> list[Key]:
    """'王 5305', '5305王', 'wang 5305', '张伟 6394': a name part and the phone's last four digits
    (a full name, in either order, is a key of its own: it outranks a surname alone)."""
    match = _LAST4_RE.match(q)
    if not match:
        return []
    name = f"{match['before']} {match['after']}".strip()
    parsed = parse_name(name) if name else None
    if not parsed or not parsed.pinyin:
        return []
    tokens = parsed.pinyin.split()
    full = [("name4", f"{''.join(tokens)}:{match['digits']}")] if len(tokens) > 1 else []
    return [*full, *(("last4", f"{token}:{match['digits']}") for token in tokens)]


def _name_keys(q: str) -> list[Key]:
    if _DIGIT_RE.search(q) or "@" in q:
        return []
    parsed = parse_name(q)
    keys = []
    if parsed.name and parsed.script == "han":
        keys.append(("name", parsed.name))
    if parsed.pinyin:
        tokens = parsed.pinyin.split()
        keys += [("pinyin", "".join(tokens)), ("tokens", " ".join(sorted(tokens)))]
    return keys


# The same keys for every published record, as (kind, key, cidx) rows with repeats and empty keys
# (DuckDB SQL over `records`, which carries `cidx`, the position of the record's golden customer;
# `extra_phones`, the numbers of a phone cell beyond the first; `old_ids`, merged-away customer IDs).
RECORD_KEYS_SQL = r"""
with names as (
    select cidx, name, string_split(name_pinyin, ' ') as tokens, phone
    from records where name_pinyin is not null and name_pinyin <> ''
), phones as (
    select cidx, phone from records where phone is not null
    union select cidx, phone from extra_phones
)
select 'customer_id' as kind, customer_id as key, cidx from records
union all select 'customer_id', old_id, cidx from old_ids
union all select 'phone', phone, cidx from phones
union all select 'tail', right(regexp_replace(phone, '\D', '', 'g'), 8), cidx from phones
union all select 'email', email, cidx from records where email is not null
union all select 'wechat', lower(wechat), cidx from records where wechat is not null
union all select 'nick', lower(substr(external_id, strpos(external_id, ':') + 1)), cidx from records
        where split_part(external_id, ':', 1) in ('tmall', 'jd')
union all select 'ref', upper(regexp_replace(source_record_key, '[^0-9A-Za-z]', '', 'g')), cidx
        from records where source_record_key is not null
union all select 'name', name, cidx from records where regexp_matches(name, '[\x{3400}-\x{9fff}]')
union all select 'pinyin', array_to_string(tokens, ''), cidx from names
union all select 'pinyin', array_to_string(list_reverse(tokens), ''), cidx from names
union all select 'tokens', array_to_string(list_sort(tokens), ' '), cidx from names
union all select 'last4', unnest(tokens) || ':' || right(phone, 4), cidx from names where phone is not null
union all select 'name4', array_to_string(tokens, '') || ':' || right(phone, 4), cidx from names where phone is not null
union all select 'name4', array_to_string(list_reverse(tokens), '') || ':' || right(phone, 4), cidx
        from names where phone is not null
"""

# Records whose phone cell held more than one number: they get every usable number indexed.
MULTI_PHONE_SQL = r"""
select distinct phone_display from records
where phone_display is not null and length(regexp_replace(phone_display, '\D', '', 'g')) > 15
"""


def extra_phones(display: str) -> list[str]:
    """Every usable number of a phone cell after the first (the first is the record's phone)."""
    return list(usable_phones(display)[1:])


# Distinct trigrams of each fuzzy name, the same as trigrams() below (DuckDB SQL over fuzzy_names).
TRIGRAMS_SQL = """
select trigram, list(distinct name_id order by name_id) as name_ids
from (select name_id, substr(padded, unnest(range(1, length(padded) - 1)), 3) as trigram
      from (select name_id, '^' || name || '$' as padded from fuzzy_names))
group by trigram
"""


def trigrams(text: str) -> list[str]:
    """Distinct character trigrams of a pinyin string, padded so short names have some."""
    padded = f"^{text}$"
    return list(dict.fromkeys(padded[i : i + 3] for i in range(len(padded) - 2)))


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity (prefix scale 0.1, up to 4 characters), 0..1."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(len(a), len(b)) // 2 - 1
    b_used = [False] * len(b)
    a_matched = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not b_used[j] and b[j] == ch:
                b_used[j] = True
                a_matched.append(ch)
                break
    if not a_matched:
        return 0.0
    b_matched = [b[j] for j in range(len(b)) if b_used[j]]
    transpositions = sum(x != y for x, y in zip(a_matched, b_matched)) / 2
    m = len(a_matched)
    jaro = (m / len(a) + m / len(b) + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)
