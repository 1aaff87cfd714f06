"""Addresses: Chinese ones split into province / city / district / street, Western ones folded.

The region table below is ours: all 34 provincial-level divisions, most prefecture-level cities,
and districts for the municipalities and the largest cities. Names are matched longest first,
only at the start of what is left, so street names (中山路, 南京路) are never read as places.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from sources.standardise.names import to_simplified


@dataclass(frozen=True)
class Address:
    province: str | None
    city: str | None
    district: str | None
    street: str | None


EMPTY_ADDRESS = Address(None, None, None, None)

# ---------------------------------------------------------------- tables

# Province full name -> (short form, its prefecture-level cities; "市" is implied unless the
# name already ends in 州/地区/盟).
PROVINCES: dict[str, tuple[str, str]] = {
    "北京市": ("北京", ""),
    "天津市": ("天津", ""),
    "上海市": ("上海", ""),
    "重庆市": ("重庆", ""),
    "香港特别行政区": ("香港", ""),
    "澳门特别行政区": ("澳门", ""),
    "台湾省": ("台湾", "台北 新北 桃园 台中 台南 高雄 基隆 新竹 嘉义"),
    "河北省": ("河北", "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水"),
    "山西省": ("山西", "太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁"),
    "内蒙古自治区": ("内蒙古", "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布"),
    "辽宁省": ("辽宁", "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛"),
    "吉林省": ("吉林", "长春 吉林 四平 辽源 通化 白山 松原 白城 延边朝鲜族自治州"),
    "黑龙江省": ("黑龙江", "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化"),
    "江苏省": ("江苏", "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁"),
    "浙江省": ("浙江", "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水"),
    "安徽省": ("安徽", "合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城"),
    "福建省": ("福建", "福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德"),
    "江西省": ("江西", "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶"),
    "山东省": ("山东", "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽"),
    "河南省": ("河南", "郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店"),
    "湖北省": ("湖北", "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施土家族苗族自治州"),
    "湖南省": ("湖南", "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底"),
    "广东省": (
        "广东",
        "广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮",
    ),
    "广西壮族自治区": ("广西", "南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左"),
    "海南省": ("海南", "海口 三亚 三沙 儋州"),
    "四川省": ("四川", "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳"),
    "贵州省": ("贵州", "贵阳 六盘水 遵义 安顺 毕节 铜仁"),
    "云南省": ("云南", "昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧 大理白族自治州 西双版纳傣族自治州"),
    "西藏自治区": ("西藏", "拉萨 日喀则 昌都 林芝 山南 那曲"),
    "陕西省": ("陕西", "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛"),
    "甘肃省": ("甘肃", "兰州 嘉峪关 金昌 白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南"),
    "青海省": ("青海", "西宁 海东"),
    "宁夏回族自治区": ("宁夏", "银川 石嘴山 吴忠 固原 中卫"),
    "新疆维吾尔自治区": ("新疆", "乌鲁木齐 克拉玛依 吐鲁番 哈密"),
}
# Municipalities and SARs: the city is the province itself.
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市", "香港特别行政区", "澳门特别行政区"})

# City (or municipality) -> its county-level divisions.
DISTRICTS: dict[str, str] = {
    "北京市": "东城区 西城区 朝阳区 丰台区 石景山区 海淀区 门头沟区 房山区 通州区 顺义区 昌平区 大兴区 怀柔区 平谷区 密云区 延庆区",
    "上海市": "黄浦区 徐汇区 长宁区 静安区 普陀区 虹口区 杨浦区 闵行区 宝山区 嘉定区 浦东新区 金山区 松江区 青浦区 奉贤区 崇明区 闸北区 卢湾区",
    "天津市": "和平区 河东区 河西区 南开区 河北区 红桥区 东丽区 西青区 津南区 北辰区 武清区 宝坻区 滨海新区 宁河区 静海区 蓟州区",
    "重庆市": "万州区 涪陵区 渝中区 大渡口区 江北区 沙坪坝区 九龙坡区 南岸区 北碚区 綦江区 大足区 渝北区 巴南区 黔江区 长寿区 "
    "江津区 合川区 永川区 南川区 璧山区 铜梁区 潼南区 荣昌区 开州区 梁平区 武隆区 城口县 丰都县 垫江县 忠县 云阳县 奉节县 "
    "巫山县 巫溪县 石柱土家族自治县 秀山土家族苗族自治县 酉阳土家族苗族自治县 彭水苗族土家族自治县",
    "广州市": "荔湾区 越秀区 海珠区 天河区 白云区 黄埔区 番禺区 花都区 南沙区 从化区 增城区",
    "深圳市": "罗湖区 福田区 南山区 宝安区 龙岗区 盐田区 龙华区 坪山区 光明区 大鹏新区",
    "成都市": "锦江区 青羊区 金牛区 武侯区 成华区 龙泉驿区 青白江区 新都区 温江区 双流区 郫都区 新津区 简阳市 都江堰市 "
    "彭州市 邛崃市 崇州市 金堂县 大邑县 蒲江县 高新区 天府新区",
    "杭州市": "上城区 拱墅区 西湖区 滨江区 萧山区 余杭区 临平区 钱塘区 富阳区 临安区 建德市 桐庐县 淳安县 下城区 江干区",
    "武汉市": "江岸区 江汉区 硚口区 汉阳区 武昌区 青山区 洪山区 东西湖区 汉南区 蔡甸区 江夏区 黄陂区 新洲区",
    "南京市": "玄武区 秦淮区 建邺区 鼓楼区 浦口区 栖霞区 雨花台区 江宁区 六合区 溧水区 高淳区",
    "西安市": "新城区 碑林区 莲湖区 灞桥区 未央区 雁塔区 阎良区 临潼区 长安区 高陵区 鄠邑区 蓝田县 周至县",
    "苏州市": "姑苏区 虎丘区 吴中区 相城区 吴江区 苏州工业园区 常熟市 张家港市 昆山市 太仓市",
    "郑州市": "中原区 二七区 管城回族区 金水区 上街区 惠济区 中牟县 巩义市 荥阳市 新密市 新郑市 登封市",
    "长沙市": "芙蓉区 天心区 岳麓区 开福区 雨花区 望城区 长沙县 浏阳市 宁乡市",
    "青岛市": "市南区 市北区 黄岛区 崂山区 李沧区 城阳区 即墨区 胶州市 平度市 莱西市",
    "沈阳市": "和平区 沈河区 大东区 皇姑区 铁西区 苏家屯区 浑南区 沈北新区 于洪区 辽中区 新民市 康平县 法库县",
    "合肥市": "瑶海区 庐阳区 蜀山区 包河区 长丰县 肥东县 肥西县 庐江县 巢湖市",
    "佛山市": "禅城区 南海区 顺德区 三水区 高明区",
    "济南市": "历下区 市中区 槐荫区 天桥区 历城区 长清区 章丘区 济阳区 莱芜区 钢城区 平阴县 商河县",
    "宁波市": "海曙区 江北区 北仑区 镇海区 鄞州区 奉化区 余姚市 慈溪市 象山县 宁海县",
    "厦门市": "思明区 海沧区 湖里区 集美区 同安区 翔安区",
    "福州市": "鼓楼区 台江区 仓山区 马尾区 晋安区 长乐区 福清市 闽侯县 连江县 罗源县 闽清县 永泰县",
    "无锡市": "梁溪区 锡山区 惠山区 滨湖区 新吴区 江阴市 宜兴市",
    "大连市": "中山区 西岗区 沙河口区 甘井子区 旅顺口区 金州区 普兰店区 瓦房店市 庄河市 长海县",
    "金华市": "婺城区 金东区 义乌市 东阳市 永康市 兰溪市 武义县 浦江县 磐安县",
    "温州市": "鹿城区 龙湾区 瓯海区 洞头区 乐清市 瑞安市 龙港市 永嘉县 平阳县 苍南县 文成县 泰顺县",
    "绍兴市": "越城区 柯桥区 上虞区 诸暨市 嵊州市 新昌县",
    "泉州市": "鲤城区 丰泽区 洛江区 泉港区 晋江市 石狮市 南安市 惠安县 安溪县 永春县 德化县",
}

# Pinyin that pypinyin reads wrongly for a place, and English names that are not pinyin.
PLACE_PINYIN = {"长治": "changzhi", "朝阳": "chaoyang", "漯河": "luohe", "六安": "luan", "蚌埠": "bengbu"}
CITY_EXONYMS = {
    "peking": "北京市",
    "canton": "广州市",
    "amoy": "厦门市",
    "harbin": "哈尔滨市",
    "urumqi": "乌鲁木齐市",
    "hohhot": "呼和浩特市",
    "lhasa": "拉萨市",
    "hongkong": "香港特别行政区",
    "macau": "澳门特别行政区",
    "macao": "澳门特别行政区",
    "suzhou": "苏州市",
    "fuzhou": "福州市",  # the big namesake wins
}

# Western street designators (and unit words) in one spelling.
WESTERN_ABBREVIATIONS = {
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "rd": "road",
    "dr": "drive",
    "blvd": "boulevard",
    "ln": "lane",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "pkwy": "parkway",
    "hwy": "highway",
    "fwy": "freeway",
    "tpke": "turnpike",
    "trl": "trail",
    "ter": "terrace",
    "cir": "circle",
    "cres": "crescent",
    "mt": "mount",
    "ft": "fort",
    "apartment": "apt",
    "ste": "suite",
    "fl": "floor",
    "bldg": "building",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "ne": "northeast",
    "nw": "northwest",
    "se": "southeast",
    "sw": "southwest",
}

_UNIT_WORDS = frozenset({"apt", "apartment", "suite", "ste", "unit", "room", "rm", "floor", "fl", "building", "bldg"})

# ---------------------------------------------------------------- derived lookups

_PREFECTURE_SUFFIXES = ("自治州", "地区", "盟")


def _full_city(name: str) -> str:
    return name if name.endswith(_PREFECTURE_SUFFIXES) else name + "市"


CITY_PROVINCE: dict[str, str] = {p: p for p in MUNICIPALITIES} | {
    _full_city(c): p for p, (_, cities) in PROVINCES.items() for c in cities.split()
}
# Short forms: 杭州 -> 杭州市, 上海 -> 上海市 (自治州 names have no agreed short form).
CITY_SHORT: dict[str, str] = {PROVINCES[p][0]: p for p in MUNICIPALITIES} | {
    c[:-1]: c for c in CITY_PROVINCE if c.endswith("市") and c not in MUNICIPALITIES
}
PROVINCE_SHORT: dict[str, str] = {short: p for p, (short, _) in PROVINCES.items()}
DISTRICT_CITIES: dict[str, tuple[str, ...]] = {}
for _city, _names in DISTRICTS.items():
    for _d in _names.split():
        DISTRICT_CITIES[_d] = (*DISTRICT_CITIES.get(_d, ()), _city)


# A short form (杭州, 浙江, 中山) is a place only if no street/level word follows it: 中山路, 南京路.
_NOT_AFTER_SHORT = "路街道巷弄号里村大桥区县市省镇乡园"


def _prefix_re(full_names, short_names=()) -> re.Pattern:
    """One anchored alternation, longest name first; short forms guarded by a lookahead."""
    guarded = {name: f"{re.escape(name)}(?![{_NOT_AFTER_SHORT}])" for name in short_names}
    names = sorted({*full_names, *short_names}, key=len, reverse=True)
    return re.compile("|".join(guarded.get(n, re.escape(n)) for n in names))


_PROVINCE_RE = _prefix_re(PROVINCES, PROVINCE_SHORT)
_CITY_RE = _prefix_re(CITY_PROVINCE, CITY_SHORT)
_ANY_DISTRICT_RE = _prefix_re(DISTRICT_CITIES)
_CITY_DISTRICT_RE = {city: _prefix_re(names.split()) for city, names in DISTRICTS.items()}
_ROAD_WORDS_RE = re.compile(r"[路街道巷弄号村栋室楼园场厦]")
_GENERIC_CITY_RE = re.compile(r"^[\u4e00-\u9fff]{2,10}?(?:自治州|地区|盟|市)")
_GENERIC_DISTRICT_RE = re.compile(r"^[\u4e00-\u9fff]{1,8}?(?:新区|区|县|旗|市)")
_COUNTRY_PREFIX_RE = re.compile(r"^(?:中华人民共和国|中国大陆|中国|china)[,，]?", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")

# ---------------------------------------------------------------- Chinese addresses


def parse_cn_address(raw: str | None) -> Address:
    text = _clean_cn(raw)
    if not text:
        return EMPTY_ADDRESS
    province, text = _take(text, _PROVINCE_RE, PROVINCE_SHORT)
    city, text = _take_city(text, province)
    province = province or (CITY_PROVINCE.get(city) if city else None)
    district, text = _take_district(text, city)
    if district and not city:
        city = _unique_city(district, province)
        province = province or CITY_PROVINCE.get(city)
    return Address(province, city, district, text or None)


def is_chinese_address(raw) -> bool:
    return isinstance(raw, str) and len(_HAN_RE.findall(raw)) >= 2


def normalise_city(raw: str | None) -> tuple[str | None, str | None]:
    """A city cell -> (city, province); a province cell -> (None, province); unknown -> (cleaned, None)."""
    if not raw or not isinstance(raw, str):
        return None, None
    cleaned = _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", raw)).strip()
    if not cleaned:
        return None, None
    if not _HAN_RE.search(cleaned):
        city = _city_from_latin(cleaned)
        return (city, CITY_PROVINCE[city]) if city else (cleaned, None)
    parsed = parse_cn_address(cleaned)
    if parsed.street is None and (parsed.city or parsed.province):
        return parsed.city, parsed.province
    return _clean_cn(cleaned), None


def _clean_cn(raw: str | None) -> str:
    if not raw or not isinstance(raw, str):
        return ""
    text = _SPACE_RE.sub("", to_simplified(unicodedata.normalize("NFKC", raw)))
    return _COUNTRY_PREFIX_RE.sub("", text)


def _take(text: str, pattern: re.Pattern | None, short_to_full: dict[str, str]) -> tuple[str | None, str]:
    """The place text starts with, as its full name, and the rest."""
    match = pattern.match(text) if pattern else None
    if not match:
        return None, text
    return short_to_full.get(match.group(0), match.group(0)), text[match.end() :]


def _take_city(text: str, province: str | None) -> tuple[str | None, str]:
    if province in MUNICIPALITIES:
        # 上海市上海市浦东新区 / 北京市市辖区: the city level repeats or is a placeholder
        for repeat in (province, PROVINCES[province][0], "市辖区", "城区"):
            if text.startswith(repeat):
                return province, text[len(repeat) :]
        return province, text
    city, rest = _take(text, _CITY_RE, CITY_SHORT)
    if city and (province is None or CITY_PROVINCE.get(city) == province):
        return city, rest
    generic = _GENERIC_CITY_RE.match(text) if province else None
    if generic and not _ROAD_WORDS_RE.search(generic.group(0)) and generic.group(0) not in DISTRICT_CITIES:
        return generic.group(0), text[generic.end() :]
    return None, text


def _take_district(text: str, city: str | None) -> tuple[str | None, str]:
    district, rest = _take(text, _CITY_DISTRICT_RE.get(city) if city else _ANY_DISTRICT_RE, {})
    if district:
        return district, rest
    generic = _GENERIC_DISTRICT_RE.match(text) if city else None
    if generic and not _ROAD_WORDS_RE.search(generic.group(0)):
        return generic.group(0), text[generic.end() :]
    return None, text


def _unique_city(district: str, province: str | None) -> str | None:
    """The city of a district named without one, when the table has only one such district."""
    cities = [c for c in DISTRICT_CITIES.get(district, ()) if province is None or CITY_PROVINCE.get(c) == province]
    return cities[0] if len(cities) == 1 else None


# ---------------------------------------------------------------- Latin city names


def _city_from_latin(text: str) -> str | None:
    key = re.sub(r"[^a-z]", "", text.lower())
    key = re.sub(r"(?:shi|city)$", "", key) or key
    return CITY_EXONYMS.get(key) or _pinyin_cities().get(key)


@lru_cache(maxsize=1)
def _pinyin_cities() -> dict[str, str]:
    """pinyin of every table city -> city; a spelling shared by two cities maps to neither."""
    seen: dict[str, set[str]] = {}
    for short, full in CITY_SHORT.items():
        key = PLACE_PINYIN.get(short) or "".join(lazy_pinyin(short))
        seen.setdefault(key, set()).add(full)
    return {key: next(iter(cities)) for key, cities in seen.items() if len(cities) == 1}


# ---------------------------------------------------------------- Western addresses


def normalise_western_address(raw: str | None) -> str | None:
    if not raw or not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKD", raw.lower()).replace("'", "").replace("’", "")  # o'neil -> oneil
    text = "".join(c for c in text if not unicodedata.combining(c))
    tokens = re.sub(r"[^\w]+|_", " ", text).split()
    words = [_expand(token, i, tokens) for i, token in enumerate(tokens)]
    return " ".join(words) or None


def _expand(token: str, i: int, tokens: list[str]) -> str:
    previous = tokens[i - 1] if i else ""
    # "St" right after the house number (or first) is Saint: 12 St Marks Place
    if token == "st" and i + 1 < len(tokens) and (i == 0 or previous.isdigit()):
        return "saint"
    if len(token) == 1 and previous in _UNIT_WORDS:
        return token  # Apt E is a unit letter, not East
    return WESTERN_ABBREVIATIONS.get(token, token)
