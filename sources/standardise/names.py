"""Person names: Han (simplified, surname split, pinyin) and Latin (cleaned, nickname-folded).

Pinyin spelling: lower-case ASCII without tones; ü is written "v" (吕 -> "lv"), which is what
pypinyin's lazy_pinyin produces and how the sources themselves romanise it ("Jun Lv", lvjun@...).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc
from pypinyin import lazy_pinyin

_T2S = opencc.OpenCC("t2s")


@dataclass(frozen=True)
class ParsedName:
    name: str | None
    surname: str | None
    given: str | None
    pinyin: str | None
    is_partial: bool
    script: str  # "han" | "latin" | "empty"


EMPTY = ParsedName(None, None, None, None, False, "empty")

# ---------------------------------------------------------------- tables

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 司空 夏侯 令狐 澹台 万俟 "
    "单于 钟离 呼延 端木 南宫 西门 轩辕 闻人 东郭 公冶 百里 第五 濮阳 淳于 太史 申屠 拓跋".split()
)

# Common single-character surnames (not those that are mostly given-name characters, 明 玉 海 ...):
# decides whether "老王"/"小李" is an honorific form.
SINGLE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常"
    "温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂"
    "成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜"
    "冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝官封谈匡鞠惠荆乐"
    "冀郁胥班储栗燕楚鄢劳谌奚皮粟冼蔺楼闻厉区郜阚屠朴盖索相门薄逯茹诸蔚尉秘种黑"
)

# Surname readings where the everyday reading (what pypinyin picks) is wrong for a surname.
SURNAME_PINYIN = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "查": "zha",
    "朴": "piao",
    "区": "ou",
    "盖": "ge",
    "秘": "bi",
    "种": "chong",
    "黑": "he",
    "乐": "yue",
    "覃": "qin",
    "翟": "zhai",
    "缪": "miao",
    "华": "hua",
    "任": "ren",
    "尉": "yu",
    "员": "yun",
    "繁": "po",
    "能": "nai",
    "句": "gou",
    "召": "shao",
    "隗": "wei",
    "阚": "kan",
    "谌": "chen",
    "眭": "sui",
    "宿": "su",
    "相": "xiang",
    "应": "ying",
    "长": "chang",
    "朝": "chao",
    "重": "chong",
    "沈": "shen",
    "柏": "bai",
    "薄": "bo",
    "褚": "chu",
    "贾": "jia",
    "燕": "yan",
    "纪": "ji",
    "都": "du",
    "折": "she",
    "洗": "xian",
    "冼": "xian",
    "蕃": "pi",
    "祭": "zhai",
    "牟": "mou",
    "藏": "zang",
    "尉迟": "yuchi",
    "万俟": "moqi",
    "单于": "chanyu",
    "长孙": "zhangsun",
    "澹台": "tantai",
    "令狐": "linghu",
    "皇甫": "huangfu",
    "宇文": "yuwen",
    "慕容": "murong",
    "夏侯": "xiahou",
    "东方": "dongfang",
    "公孙": "gongsun",
    "司马": "sima",
    "诸葛": "zhuge",
    "上官": "shangguan",
    "欧阳": "ouyang",
    "钟离": "zhongli",
    "呼延": "huyan",
    "端木": "duanmu",
    "南宫": "nangong",
    "司徒": "situ",
    "司空": "sikong",
    "轩辕": "xuanyuan",
    "闻人": "wenren",
    "淳于": "chunyu",
}

# Removed from a full name too (王丽女士 -> 王丽); longest first so 小姐 wins over 姐.
HONORIFIC_SUFFIXES = tuple(
    sorted(
        "先生 女士 小姐 老师 经理 老板 老板娘 阿姨 总监 主任 师傅 医生 大夫 律师 教授 博士 同学 太太 夫人 "
        "老总 总经理 董事长 大哥 大姐 姐姐 哥哥 叔叔 校长 院长 处长 局长 科长 部长 厂长 行长 所长 书记 "
        "会计 工程师 助理 专员 顾客 客户".split(),
        key=len,
        reverse=True,
    )
)
# Single characters that are honorific only after a bare surname (陈姐, 王总; not 王丽姐).
SHORT_SUFFIXES = frozenset("总姐哥叔姨老工董太嫂伯婶")
HONORIFIC_PREFIXES = frozenset("老小阿")

LATIN_TITLES = frozenset("mr mrs ms miss mx dr prof sir madam mme mlle mister missus herr frau rev".split())
LATIN_SUFFIXES = frozenset("jr sr ii iii iv phd md esq".split())
SURNAME_PARTICLES = frozenset("van von der den de la le da di del della du dos das bin al st".split())

# Values that mean "no name was given".
PLACEHOLDER_NAMES = frozenset(
    "未知 无名 匿名 无 客户 顾客 买家 收货人 联系人 测试 unknown anonymous none null test customer na".split()
) | {"n a"}

# Common English nicknames -> formal given name (compared in pinyin / name_tokens only). Names that
# stand on their own today (Jack, Harry, Liam, Tina) are left out: folding them would merge people.
NICKNAMES = {
    "bill": "william",
    "billy": "william",
    "will": "william",
    "willy": "william",
    "bob": "robert",
    "bobby": "robert",
    "rob": "robert",
    "robbie": "robert",
    "dick": "richard",
    "rick": "richard",
    "ricky": "richard",
    "rich": "richard",
    "richie": "richard",
    "jim": "james",
    "jimmy": "james",
    "jamie": "james",
    "mike": "michael",
    "mikey": "michael",
    "mick": "michael",
    "dave": "david",
    "davy": "david",
    "tom": "thomas",
    "tommy": "thomas",
    "tony": "anthony",
    "chris": "christopher",
    "kate": "katherine",
    "katie": "katherine",
    "kathy": "katherine",
    "cathy": "catherine",
    "kat": "katherine",
    "sue": "susan",
    "susie": "susan",
    "pat": "patricia",
    "patty": "patricia",
    "trish": "patricia",
    "danny": "daniel",
    "ben": "benjamin",
    "benny": "benjamin",
    "sam": "samuel",
    "sammy": "samuel",
    "alex": "alexander",
    "andy": "andrew",
    "drew": "andrew",
    "joe": "joseph",
    "joey": "joseph",
    "nick": "nicholas",
    "matt": "matthew",
    "steve": "steven",
    "stevie": "steven",
    "greg": "gregory",
    "jeff": "jeffrey",
    "jen": "jennifer",
    "jenny": "jennifer",
    "jess": "jessica",
    "jessie": "jessica",
    "becky": "rebecca",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "betty": "elizabeth",
    "lizzie": "elizabeth",
    "peggy": "margaret",
    "maggie": "margaret",
    "meg": "margaret",
    "ted": "edward",
    "ed": "edward",
    "eddie": "edward",
    "fred": "frederick",
    "freddie": "frederick",
    "hank": "henry",
    "larry": "lawrence",
    "pete": "peter",
    "phil": "philip",
    "ron": "ronald",
    "ronnie": "ronald",
    "tim": "timothy",
    "timmy": "timothy",
    "walt": "walter",
    "abby": "abigail",
    "cindy": "cynthia",
    "debbie": "deborah",
    "deb": "deborah",
    "mandy": "amanda",
    "pam": "pamela",
    "vicky": "victoria",
    "josh": "joshua",
    "zach": "zachary",
    "ken": "kenneth",
    "kenny": "kenneth",
    "chuck": "charles",
    "charlie": "charles",
    "jerry": "gerald",
    "doug": "douglas",
    "don": "donald",
    "donny": "donald",
    "gabe": "gabriel",
    "jon": "jonathan",
    "nate": "nathan",
    "stan": "stanley",
    "al": "albert",
    "ray": "raymond",
    "russ": "russell",
    "vince": "vincent",
    "dan": "daniel",
    "johnny": "john",
}
# Nicknames that are also pinyin syllables: not folded when the surname looks Chinese ("Dan Wang" = 王丹).
PINYIN_LIKE_NICKNAMES = frozenset({"dan", "ken", "ben"})

# ---------------------------------------------------------------- patterns

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{_HAN}]")
_HAN_PART_RE = re.compile(f"[{_HAN}·]+")
_MIDDLE_DOTS_RE = re.compile(f"(?<=[{_HAN}])\\s*[·•・‧∙･.．]\\s*(?=[{_HAN}])")
_NOT_HAN_RE = re.compile(f"[^{_HAN}·]")
_LATIN_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_CAMEL_RE = re.compile(r"^([A-Z][a-z]{3,})([A-Z][a-z]{2,})$")  # JenniferAllen; not McDonald, DeAndre
_NON_ASCII_RE = re.compile(r"[^a-z]")
_LATIN_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
        "’": "'",
    }
)


# ---------------------------------------------------------------- public API


@lru_cache(maxsize=200_000)
def to_simplified(text: str) -> str:
    return _T2S.convert(text)


def parse_name(raw: str | None) -> ParsedName:
    if not raw or not isinstance(raw, str):
        return EMPTY
    text = unicodedata.normalize("NFKC", raw).strip()
    if _HAN_RE.search(text):
        return _parse_han_or_mixed(text)
    if _LATIN_WORD_RE.search(text):
        return _parse_latin(text)
    return EMPTY


def name_tokens(pinyin: str | None) -> str | None:
    if not pinyin:
        return None
    return " ".join(sorted(pinyin.split()))


# ---------------------------------------------------------------- Han names


def _parse_han_or_mixed(text: str) -> ParsedName:
    han = _clean_han(text)
    latin = _latin_words(_HAN_PART_RE.sub(" ", text))
    if latin and _is_bare_surname(han):
        return _mixed(han, latin)  # 张Wei: Han surname, romanised given name
    return _parse_han(han) if han.strip("·") else _parse_latin(text)


def _clean_han(text: str) -> str:
    """Simplified Han characters only; the minority-name separator kept as a single '·'."""
    simplified = to_simplified(_MIDDLE_DOTS_RE.sub("·", text))
    return re.sub("·+", "·", _NOT_HAN_RE.sub("", simplified)).strip("·")


def _parse_han(name: str) -> ParsedName:
    if name in PLACEHOLDER_NAMES or name in HONORIFIC_SUFFIXES:
        return EMPTY
    if "·" in name:  # transliterated minority / foreign name: no surname split
        return ParsedName(name, None, None, _join(_syllables(part) for part in name.split("·")), False, "han")
    bare = _strip_honorific(name)
    if bare is not None:
        return ParsedName(bare, bare, None, _surname_pinyin(bare) or None, True, "han")
    name = _strip_long_suffix(name)
    surname, given = _split_han(name)
    pinyin = _join([_surname_pinyin(surname), _syllables(given)])
    return ParsedName(name, surname, given or None, pinyin, not given, "han")


def _strip_honorific(name: str) -> str | None:
    """The surname when name is surname + honorific (王总, 张先生, 老王, 欧阳女士), else None."""
    for suffix in HONORIFIC_SUFFIXES:
        if name.endswith(suffix) and _is_bare_surname(name[: -len(suffix)], loose=True):
            return name[: -len(suffix)]
    if len(name) >= 2 and name[-1] in SHORT_SUFFIXES and _is_bare_surname(name[:-1], loose=True):
        return name[:-1]
    if len(name) >= 2 and name[0] in HONORIFIC_PREFIXES and _is_bare_surname(name[1:]):
        return name[1:]
    return None


def _strip_long_suffix(name: str) -> str:
    """王丽女士 -> 王丽: a multi-character honorific after a full name."""
    for suffix in HONORIFIC_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _is_bare_surname(text: str, loose: bool = False) -> bool:
    """A known surname; loose also accepts any single character (秀女士: context says surname)."""
    return text in COMPOUND_SURNAMES or text in SINGLE_SURNAMES or (loose and len(text) == 1)


def _split_han(name: str) -> tuple[str, str]:
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _surname_pinyin(surname: str) -> str:
    return SURNAME_PINYIN.get(surname) or "".join(SURNAME_PINYIN.get(c) or _syllables(c) for c in surname)


@lru_cache(maxsize=200_000)  # given names repeat a lot (伟, 秀英): pinyin once per distinct one
def _syllables(han: str) -> str:
    """Toneless pinyin, syllables joined; characters pypinyin does not know are dropped."""
    return "".join(lazy_pinyin(han, errors="ignore"))


def _join(parts) -> str | None:
    return " ".join(p for p in parts if p) or None


def _mixed(surname: str, latin: list[str]) -> ParsedName:
    given = " ".join(w.lower() for w in latin)
    display = surname + " ".join(_title(w) for w in latin)
    pinyin = _ascii_tokens([_surname_pinyin(surname), *(_fold_accents(w).lower() for w in latin)])
    return ParsedName(display, surname, given, pinyin, False, "han")


# ---------------------------------------------------------------- Latin names


def _parse_latin(text: str) -> ParsedName:
    words = _drop_titles_and_initials(_latin_words(_reorder_comma(_fold_accents(text))))
    if not words or " ".join(words).lower() in PLACEHOLDER_NAMES:
        return EMPTY
    start, end = _surname_span(words)
    surname = " ".join(w.lower() for w in words[start:end])
    given = " ".join(w.lower() for w in words[:start] + words[end:]) or None
    pinyin = _ascii_tokens(_fold_nicknames([w.lower() for w in words], start, end, surname))
    display = " ".join(
        w.lower() if 0 < i < len(words) - 1 and _is_particle(w) else _title(w) for i, w in enumerate(words)
    )
    return ParsedName(display, surname, given, pinyin, len(words) == 1, "latin")


def _latin_words(text: str) -> list[str]:
    words = []
    for word in _LATIN_WORD_RE.findall(text):
        camel = _CAMEL_RE.match(word)
        words.extend(camel.groups() if camel else (word,))
    return words


def _reorder_comma(text: str) -> str:
    """'Smith, John' -> 'John Smith' (but not 'John Smith, Jr.')."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 2 and all(parts) and parts[1].lower().rstrip(".") not in LATIN_SUFFIXES:
        return f"{parts[1]} {parts[0]}"
    return text


def _drop_titles_and_initials(words: list[str]) -> list[str]:
    while words and words[0].lower().rstrip(".") in LATIN_TITLES:
        words = words[1:]
    while words and words[-1].lower().rstrip(".") in LATIN_SUFFIXES:
        words = words[:-1]
    # middle initials carry little and are often omitted elsewhere
    return [w for i, w in enumerate(words) if len(w) > 1 or i in (0, len(words) - 1)]


def _surname_span(words: list[str]) -> tuple[int, int]:
    """Where the surname is: an ALL-CAPS word among mixed-case ones (ZHANG Wei), else the last
    word together with lower-case particles before it (van der Berg)."""
    caps = [i for i, w in enumerate(words) if len(w) > 1 and w.isupper()]
    if len(caps) == 1 and len(words) > 1:
        return caps[0], caps[0] + 1
    start = len(words) - 1
    while start > 1 and _is_particle(words[start - 1]):
        start -= 1
    return start, len(words)


def _is_particle(word: str) -> bool:
    return word.lower() in SURNAME_PARTICLES and word[0].islower()


def _fold_nicknames(tokens: list[str], start: int, end: int, surname: str) -> list[str]:
    chinese_surname = surname in _chinese_surname_romanisations()

    def formal(token: str) -> str:
        if chinese_surname and token in PINYIN_LIKE_NICKNAMES:
            return token
        return NICKNAMES.get(token, token)

    return [token if start <= i < end else formal(token) for i, token in enumerate(tokens)]


@lru_cache(maxsize=1)
def _chinese_surname_romanisations() -> frozenset[str]:
    return frozenset(_surname_pinyin(s) for s in SINGLE_SURNAMES | COMPOUND_SURNAMES)


# ---------------------------------------------------------------- helpers


def _fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _ascii_tokens(tokens: list[str]) -> str | None:
    """Lower-case ASCII tokens: hyphens/apostrophes dropped (o'brien -> obrien), other scripts removed."""
    cleaned = [_NON_ASCII_RE.sub("", _fold_accents(t).lower()) for t in tokens]
    return " ".join(t for t in cleaned if t) or None


def _title(word: str) -> str:
    """Title Case, but keep deliberate inner capitals (McDonald, DeAndre)."""
    if word[:1].isupper() and not word.isupper() and any(c.isupper() for c in word[1:]):
        return word
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)
