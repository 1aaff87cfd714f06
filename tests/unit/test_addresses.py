"""Addresses: Chinese ones split by level, city cells resolved, Western ones folded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.standardise.addresses import (
    DISTRICTS,
    MUNICIPALITIES,
    PROVINCES,
    Address,
    is_chinese_address,
    normalise_city,
    normalise_western_address,
    parse_cn_address,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        # samples
        ("浙江省 杭州市 西湖区 天府大道525号7栋1713室", ("浙江省", "杭州市", "西湖区", "天府大道525号7栋1713室")),
        ("上海市浦东新区人民路492号6栋316室", ("上海市", "上海市", "浦东新区", "人民路492号6栋316室")),
        ("武汉市洪山区南京路963号", ("湖北省", "武汉市", "洪山区", "南京路963号")),
        ("北京市 东城区 文三路5号29栋1440室", ("北京市", "北京市", "东城区", "文三路5号29栋1440室")),
        ("四川省成都市青羊区中山路386号21栋1305室", ("四川省", "成都市", "青羊区", "中山路386号21栋1305室")),
        ("东莞市文三路713号15栋1191室", ("广东省", "东莞市", None, "文三路713号15栋1191室")),
        ("广东省 东莞市 天府大道837号9栋1575室", ("广东省", "东莞市", None, "天府大道837号9栋1575室")),
        ("浦东新区 人民路344号11栋1105室", ("上海市", "上海市", "浦东新区", "人民路344号11栋1105室")),
        ("静安区南京路366号24栋831室", ("上海市", "上海市", "静安区", "南京路366号24栋831室")),
        ("东城区 天府大道490号1栋2460室", ("北京市", "北京市", "东城区", "天府大道490号1栋2460室")),
        ("江苏省 南京市 江宁区 科技园路461号13栋1384室", ("江苏省", "南京市", "江宁区", "科技园路461号13栋1384室")),
        ("广东省深圳市宝安区中山路875号21栋2288室", ("广东省", "深圳市", "宝安区", "中山路875号21栋2288室")),
        ("湖北省武汉市武昌区建国路928号1栋246室", ("湖北省", "武汉市", "武昌区", "建国路928号1栋246室")),
        # short forms, repeats, traditional characters, other levels
        ("浙江 杭州 西湖区 文三路", ("浙江省", "杭州市", "西湖区", "文三路")),
        ("杭州西湖区文三路", ("浙江省", "杭州市", "西湖区", "文三路")),
        ("上海上海市浦东新区", ("上海市", "上海市", "浦东新区", None)),
        ("中国浙江省杭州市", ("浙江省", "杭州市", None, None)),
        ("臺灣省臺北市", ("台湾省", "台北市", None, None)),
        ("广西南宁市青秀区民族大道", ("广西壮族自治区", "南宁市", "青秀区", "民族大道")),
        ("江苏省苏州市昆山市花桥镇", ("江苏省", "苏州市", "昆山市", "花桥镇")),
        ("江苏省昆山市花桥镇", ("江苏省", "苏州市", "昆山市", "花桥镇")),
        ("温州市鹿城区五马街", ("浙江省", "温州市", "鹿城区", "五马街")),
        ("云南省大理白族自治州大理市", ("云南省", "大理白族自治州", "大理市", None)),
        ("吉林市船营区", ("吉林省", "吉林市", "船营区", None)),
        ("辽宁省朝阳市双塔区", ("辽宁省", "朝阳市", "双塔区", None)),
        ("朝阳区建国路", ("北京市", "北京市", "朝阳区", "建国路")),
        ("鼓楼区中山路", (None, None, "鼓楼区", "中山路")),  # Nanjing or Fuzhou: not guessed
        # street names that are also place names stay streets
        ("南京路699号", (None, None, None, "南京路699号")),
        ("中山路133号", (None, None, None, "中山路133号")),
        ("东莞市科技园区", ("广东省", "东莞市", None, "科技园区")),
    ],
)
def test_parse_cn_address(raw, expected):
    assert parse_cn_address(raw) == Address(*expected)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_address(raw):
    assert parse_cn_address(raw) == Address(None, None, None, None)


def test_table_covers_every_provincial_division():
    assert len(PROVINCES) == 34
    assert MUNICIPALITIES <= set(PROVINCES)
    assert sum(len(cities.split()) for _, cities in PROVINCES.values()) >= 120
    assert {"北京市", "上海市", "天津市", "重庆市"} <= set(DISTRICTS)
    assert len(DISTRICTS) >= 19


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("杭州", ("杭州市", "浙江省")),
        ("杭州市", ("杭州市", "浙江省")),
        (" 深圳市 ", ("深圳市", "广东省")),
        ("上海市", ("上海市", "上海市")),
        ("北京", ("北京市", "北京市")),
        ("东莞市", ("东莞市", "广东省")),
        ("Hangzhou", ("杭州市", "浙江省")),
        ("HANG ZHOU", ("杭州市", "浙江省")),
        ("Shanghai", ("上海市", "上海市")),
        ("Beijing Shi", ("北京市", "北京市")),
        ("Xi'an", ("西安市", "陕西省")),
        ("Suzhou", ("苏州市", "江苏省")),  # the well-known namesake
        ("Taizhou", ("Taizhou", None)),  # 台州 or 泰州: not guessed
        ("浙江", (None, "浙江省")),
        ("South Scott", ("South Scott", None)),  # samples: Faker US towns
        ("Port  Nichole", ("Port Nichole", None)),
        ("某某镇", ("某某镇", None)),
        (None, (None, None)),
        ("", (None, None)),
    ],
)
def test_normalise_city(raw, expected):
    assert normalise_city(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2734 Moore Freeway Suite 352", "2734 moore freeway suite 352"),  # samples
        ("8525 Green Manor Apt. 820", "8525 green manor apt 820"),
        ("199 Charles Fall Apt. 611, Carlsonside, GA", "199 charles fall apt 611 carlsonside ga"),
        ("12 Main St.", "12 main street"),
        ("12 Main Street", "12 main street"),
        ("500 5th Ave, Apartment 3", "500 5th avenue apt 3"),
        ("1 N. Main Ave., Ste 5", "1 north main avenue suite 5"),
        ("123 Main St, Apt E", "123 main street apt e"),
        ("12 St. Marks Pl.", "12 saint marks place"),
        ("  10   Downing  St  ", "10 downing street"),
        ("José's Plaza #5", "joses plaza 5"),
        (None, None),
        ("", None),
        (" , . ", None),
    ],
)
def test_normalise_western_address(raw, expected):
    assert normalise_western_address(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("浙江省 杭州市 西湖区 天府大道525号7栋1713室", True),
        ("浦东新区人民路492号", True),
        ("2734 Moore Freeway Suite 352", False),
        ("Apt 5 杭", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_is_chinese_address(raw, expected):
    assert is_chinese_address(raw) is expected


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_any_text(text):
    parsed = parse_cn_address(text)
    assert parsed.street is None or not any(c.isspace() for c in parsed.street)
    city, province = normalise_city(text)
    assert province is None or province in PROVINCES
    normalise_western_address(text)
    is_chinese_address(text)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(PROVINCES)), st.text(alphabet="人民路中山大道号栋室0123456789", max_size=12))
def test_province_prefix_is_always_found(province, rest):
    assert parse_cn_address(province + rest).province == province
