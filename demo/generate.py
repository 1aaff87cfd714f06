"""Demo customer sources: messy files in every source format plus the truth of who is who.

The same (customers, seed) always yields the same people and byte-identical files, so the demo,
the accuracy benchmark (precision/recall against the truth file) and the scale benchmark
(~1,000,000 records for 300,000 customers) all stand on repeatable data.

Layout written under ``out_dir`` (formats: shared/contracts/SOURCES.md):

    shop/tmall_orders_2025.csv        Tmall seller export, GBK
    shop/shopify_orders_export.csv    Shopify orders export, UTF-8, multi-line-item orders
    sales/<salesperson>.xlsx|.csv     one sheet per salesperson, four header layouts
    service/call_center_tickets.csv   call-centre tickets, Chinese headers
    service/helpdesk_tickets.jsonl    help-desk tickets, one JSON object per line

and the truth file beside it (``truth_path_for``):
``source_file,sheet,row_number,person_id,opt_out_signal``, one line per data row.

Each person has stable true attributes; each record shows a noisy subset of them, the way the
real system behind that file would. Person-level draws are vectorised with numpy; row rendering
uses a ``random.Random`` per file, seeded from (seed, stream name), so files do not depend on
each other's draws.

A profile (demo/profiles.py) sets how hard the messes are: ``hard`` adds placeholder phones and
e-mails shared by different people and turns the name messes up. The truth is exact in every
profile; the default profile's files are the same as before profiles existed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
import random
import re
import sys
import zipfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from demo.profiles import PROFILES, Profile

__all__ = ["generate_sources", "generate_later_export", "truth_path_for"]

# ----------------------------------------------------------------------------------------------
# Pools. Pinyin is written out rather than computed: surnames such as 曾/单/解/仇/查/朴/区 read
# differently as surnames than pypinyin's default, and real people romanise them correctly.
# ----------------------------------------------------------------------------------------------

_SURNAMES = """王wang7.1 李li7.0 张zhang6.6 刘liu5.4 陈chen4.5 杨yang3.1 黄huang2.2 赵zhao2.1 吴wu2.0
周zhou1.9 徐xu1.3 孙sun1.3 马ma1.2 朱zhu1.2 胡hu1.1 郭guo1.1 何he1.0 高gao1.0 林lin1.0 罗luo0.9
郑zheng0.9 梁liang0.8 谢xie0.7 宋song0.7 唐tang0.7 许xu0.6 韩han0.6 冯feng0.6 邓deng0.6 曹cao0.6
彭peng0.6 曾zeng0.5 肖xiao0.5 田tian0.5 董dong0.5 袁yuan0.5 潘pan0.4 于yu0.4 蒋jiang0.4 蔡cai0.4
余yu0.4 杜du0.4 叶ye0.4 程cheng0.4 苏su0.4 魏wei0.4 吕lv0.3 丁ding0.3 任ren0.3 沈shen0.3 姚yao0.3
卢lu0.3 姜jiang0.3 崔cui0.3 钟zhong0.3 谭tan0.3 陆lu0.3 汪wang0.3 范fan0.3 金jin0.3 石shi0.3
廖liao0.3 贾jia0.3 夏xia0.3 韦wei0.2 付fu0.2 方fang0.2 白bai0.2 邹zou0.2 孟meng0.2 熊xiong0.2
秦qin0.2 邱qiu0.2 江jiang0.2 尹yin0.2 薛xue0.2 闫yan0.2 段duan0.2 雷lei0.2 侯hou0.2 龙long0.2
史shi0.2 陶tao0.2 黎li0.2 贺he0.2 顾gu0.2 毛mao0.2 郝hao0.2 龚gong0.2 邵shao0.2 万wan0.2 钱qian0.2
严yan0.2 武wu0.2 戴dai0.2 莫mo0.1 孔kong0.1 向xiang0.1 汤tang0.1 单shan0.15 解xie0.1 仇qiu0.08
查zha0.08 朴piao0.08 区ou0.08 盖ge0.05 欧阳ouyang0.1 司马sima0.05 诸葛zhuge0.03 上官shangguan0.03
东方dongfang0.03 皇甫huangfu0.03 慕容murong0.02 令狐linghu0.02"""

_MALE_CHARS = """伟wei 强qiang 磊lei 军jun 勇yong 杰jie 涛tao 明ming 超chao 刚gang 平ping 辉hui 鹏peng
华hua 飞fei 鑫xin 波bo 斌bin 宇yu 浩hao 凯kai 健jian 俊jun 帆fan 帅shuai 旭xu 宁ning 龙long 林lin
阳yang 洋yang 峰feng 建jian 国guo 志zhi 文wen 海hai 东dong 亮liang 成cheng 晨chen 博bo 坤kun 毅yi
昊hao 然ran 子zi 轩xuan 家jia 振zhen 德de 永yong 庆qing 春chun 新xin 光guang 天tian 思si 嘉jia
睿rui 泽ze 瑞rui"""

_FEMALE_CHARS = """芳fang 娜na 敏min 静jing 丽li 艳yan 娟juan 霞xia 英ying 兰lan 玲ling 婷ting 雪xue
梅mei 琳lin 慧hui 颖ying 洁jie 红hong 萍ping 欣xin 佳jia 莉li 倩qian 晶jing 璐lu 莹ying 悦yue 琪qi
桂gui 凤feng 珍zhen 华hua 云yun 玉yu 春chun 月yue 淑shu 雅ya 思si 怡yi 涵han 楠nan 婉wan 晓xiao
文wen 丹dan 宁ning 秀xiu 燕yan 菲fei 媛yuan 蓉rong 芬fen 琴qin 瑶yao 露lu 彤tong 妍yan 诗shi"""

# Frequent full given names, so common names collide the way they do in real customer bases.
_MALE_COMMON = """伟wei 强qiang 磊lei 军jun 勇yong 杰jie 涛tao 明ming 超chao 刚gang 平ping 辉hui
鹏peng 斌bin 浩hao 建华jianhua 志强zhiqiang 建国jianguo 建军jianjun 海涛haitao 俊杰junjie
文博wenbo 子轩zixuan 浩然haoran 晓东xiaodong"""

_FEMALE_COMMON = """芳fang 娜na 敏min 静jing 丽li 艳yan 娟juan 霞xia 婷ting 雪xue 丹dan 玲ling
秀英xiuying 秀兰xiulan 桂英guiying 玉兰yulan 桂兰guilan 秀珍xiuzhen 海燕haiyan 红梅hongmei
丽娟lijuan 晓燕xiaoyan 雅婷yating 欣怡xinyi 思雨siyu 佳怡jiayi"""

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

_WEST_MALE = """James John Robert Michael William David Richard Joseph Thomas Charles Christopher
Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kevin Brian George Timothy Ronald
Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon
Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Adam Nathan
Henry Peter Zachary Douglas Kyle Ethan Noah Ian Shane Jesse Oliver Lucas Owen Simon""".split()

_WEST_FEMALE = """Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy
Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie
Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha
Katherine Christine Helen Rachel Carolyn Janet Maria Catherine Heather Diane Olivia Julie Joyce
Victoria Kelly Christina Lauren Megan Andrea Hannah Jacqueline Teresa Sara Madison Abigail Sophia
Alice Danielle Sylvia Rhonda Erin Dana Chloe Grace Natalie""".split()

_WEST_LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores
Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner
Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz
Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez
Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross
Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Fisher
Vasquez Simmons Romero Jordan Patterson Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens
Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Freeman Webb Tucker Guzman
Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Hunt Hicks
Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt
Garza Daniels Ferguson Nichols Stephens Soto Weaver Gardner Payne Grant Dunn Spencer Hawkins Arnold
Pierce Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll
Lane Riley Andrews Berry Perkins Hoffman Johnston Matthews Richards Willis Carpenter Lawrence
O'Brien""".split()

# (province, city, postcode prefix, landline area code, weight, districts)
_CN_CITIES = [
    ("北京市", "北京市", "100", "010", 9, "朝阳区 海淀区 东城区 西城区 丰台区 通州区"),
    ("上海市", "上海市", "200", "021", 9, "浦东新区 徐汇区 静安区 黄浦区 闵行区 长宁区"),
    ("天津市", "天津市", "300", "022", 3, "和平区 南开区 河西区 滨海新区"),
    ("重庆市", "重庆市", "400", "023", 3, "渝中区 江北区 南岸区 沙坪坝区"),
    ("广东省", "广州市", "510", "020", 7, "天河区 越秀区 海珠区 番禺区 白云区"),
    ("广东省", "深圳市", "518", "0755", 7, "南山区 福田区 宝安区 龙岗区 罗湖区"),
    ("广东省", "东莞市", "523", "0769", 3, "莞城街道 南城街道 东城街道 长安镇 虎门镇"),
    ("广东省", "佛山市", "528", "0757", 2, "禅城区 南海区 顺德区"),
    ("浙江省", "杭州市", "310", "0571", 6, "西湖区 滨江区 拱墅区 上城区 余杭区"),
    ("浙江省", "宁波市", "315", "0574", 2, "海曙区 鄞州区 江北区"),
    ("浙江省", "温州市", "325", "0577", 1, "鹿城区 瓯海区 龙湾区"),
    ("江苏省", "南京市", "210", "025", 5, "鼓楼区 玄武区 江宁区 秦淮区 建邺区"),
    ("江苏省", "苏州市", "215", "0512", 4, "姑苏区 吴中区 相城区 虎丘区"),
    ("江苏省", "无锡市", "214", "0510", 2, "梁溪区 滨湖区 新吴区"),
    ("四川省", "成都市", "610", "028", 6, "锦江区 青羊区 武侯区 成华区 金牛区"),
    ("湖北省", "武汉市", "430", "027", 5, "武昌区 洪山区 江汉区 江岸区 汉阳区"),
    ("湖南省", "长沙市", "410", "0731", 3, "岳麓区 芙蓉区 天心区 开福区"),
    ("山东省", "济南市", "250", "0531", 2, "历下区 市中区 槐荫区"),
    ("山东省", "青岛市", "266", "0532", 3, "市南区 市北区 黄岛区 崂山区"),
    ("福建省", "福州市", "350", "0591", 2, "鼓楼区 台江区 仓山区"),
    ("福建省", "厦门市", "361", "0592", 2, "思明区 湖里区 集美区"),
    ("河南省", "郑州市", "450", "0371", 3, "金水区 中原区 二七区"),
    ("陕西省", "西安市", "710", "029", 3, "雁塔区 碑林区 未央区 莲湖区"),
    ("辽宁省", "沈阳市", "110", "024", 2, "和平区 沈河区 皇姑区"),
    ("辽宁省", "大连市", "116", "0411", 2, "中山区 沙河口区 甘井子区"),
    ("安徽省", "合肥市", "230", "0551", 2, "蜀山区 包河区 庐阳区"),
]

_CN_STREETS = """人民路 解放路 中山路 建设路 南京路 文三路 天府大道 科技园路 长江路 和平路 新华路 青年路
东风路 胜利路 光明路 学院路 滨江路 朝阳路 黄河路 延安路 建国路 幸福路 花园路 工业大道 体育路 环城路
迎宾大道 世纪大道 望江路 湖滨路""".split()

_CN_ESTATES = "阳光花园 翠苑小区 金色家园 碧桂园 万科城 锦绣华庭 绿地公馆 名都花园 东方明珠苑 龙湖春江郦城".split()

# (city, state, zip prefix)
_US_CITIES = [
    ("Springfield", "IL", "627"),
    ("Portland", "OR", "972"),
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Columbus", "OH", "432"),
    ("Madison", "WI", "537"),
    ("Raleigh", "NC", "276"),
    ("Boise", "ID", "837"),
    ("Albany", "NY", "122"),
    ("Richmond", "VA", "232"),
    ("Sacramento", "CA", "958"),
    ("San Jose", "CA", "951"),
    ("Seattle", "WA", "981"),
    ("Tucson", "AZ", "857"),
    ("Omaha", "NE", "681"),
    ("Tulsa", "OK", "741"),
    ("Louisville", "KY", "402"),
    ("Nashville", "TN", "372"),
    ("Fairfield", "CT", "064"),
    ("Dover", "DE", "199"),
    ("Bangor", "ME", "044"),
    ("Burlington", "VT", "054"),
    ("Ann Arbor", "MI", "481"),
    ("Des Moines", "IA", "503"),
    ("Wichita", "KS", "672"),
    ("Reno", "NV", "895"),
    ("Santa Fe", "NM", "875"),
    ("Savannah", "GA", "314"),
    ("Orlando", "FL", "328"),
    ("Tampa", "FL", "336"),
    ("Charleston", "SC", "294"),
    ("Pittsburgh", "PA", "152"),
    ("Boston", "MA", "021"),
    ("Providence", "RI", "029"),
    ("Anchorage", "AK", "995"),
    ("Honolulu", "HI", "968"),
    ("Billings", "MT", "591"),
    ("Fargo", "ND", "581"),
    ("Minneapolis", "MN", "554"),
    ("Kansas City", "MO", "641"),
    ("Little Rock", "AR", "722"),
    ("Baton Rouge", "LA", "708"),
    ("Birmingham", "AL", "352"),
    ("Cheyenne", "WY", "820"),
    ("Salt Lake City", "UT", "841"),
    ("Phoenix", "AZ", "850"),
    ("Oakland", "CA", "946"),
    ("Plano", "TX", "750"),
]

_US_STREETS = """Oak Maple Pine Cedar Elm Washington Lake Hill Park Main Church Sunset Highland Lincoln
Jefferson Madison Franklin Willow River Spring Ridge Meadow Forest Cherry Walnut Chestnut Valley
Mill Prospect Adams Jackson Union Broad Center Lakeview Fairview Green Moore Francis Howell
Garfield Hawthorne""".split()

# (full, abbreviated): records disagree on which one they use
_US_SUFFIXES = [
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Road", "Rd"),
    ("Drive", "Dr"),
    ("Lane", "Ln"),
    ("Court", "Ct"),
    ("Boulevard", "Blvd"),
    ("Place", "Pl"),
    ("Way", "Way"),
    ("Trail", "Trl"),
    ("Parkway", "Pkwy"),
]

_COMPANY_PREFIXES = """创联世纪 网新恒天 九方 浙大万朋 迪摩 七喜 华成育卓 信诚致远 商软冠联 良诺 时刻
图龙 天益 东方峻景 毕博诚 戴硕 凌颖 惠派国际 维涛 亿次元 恒通 鼎盛 华宇 博远 汇丰源 金桥 新纪元
中联 智汇 云帆 蓝海 星辰 万达通 立信 百川 创想 卓越 启明 同创 安信""".split()
_COMPANY_SUFFIXES = """信息有限公司 科技有限公司 传媒有限公司 网络有限公司 电子有限公司 贸易有限公司
教育科技有限公司 咨询有限公司""".split()

_PRODUCTS = [
    ("星火英语六级词汇", "29.90"),
    ("星火英语四级真题", "39.80"),
    ("考研英语阅读", "45.00"),
    ("雅思听力训练", "58.00"),
    ("点读笔", "299.00"),
    ("新概念英语全套", "168.00"),
    ("托福核心词汇", "49.00"),
    ("少儿英语绘本套装", "128.00"),
]

_CN_MOBILE_PREFIXES = [
    130,
    131,
    132,
    133,
    134,
    135,
    136,
    137,
    138,
    139,
    147,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    170,
    171,
    173,
    175,
    176,
    177,
    178,
    180,
    181,
    182,
    183,
    184,
    185,
    186,
    187,
    188,
    189,
    191,
    198,
    199,
]

_CN_EMAIL_DOMAINS = (
    ["163.com"] * 5
    + ["126.com"] * 3
    + ["qq.com"] * 4
    + ["sina.com"] * 2
    + ["outlook.com"] * 2
    + ["gmail.com"] * 2
    + ["foxmail.com", "hotmail.com"]
)
_WEST_EMAIL_DOMAINS = ["gmail.com"] * 4 + ["yahoo.com"] * 2 + ["outlook.com"] * 2 + ["hotmail.com"]
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

_OPT_OUT_NOTES = ["不要再发广告", "退订", "不再接收营销", "客户说不要再发广告了", "已退订短信"]
_OPT_OUT_TICKETS = [
    "客户要求不再接收营销短信",
    "客户要求退订促销短信",
    "不要再发广告了，再发就投诉",
    "客户表示不再接收营销电话",
]
_SALES_NOTES = ["老客户", "价格敏感", "要发票", "已加微信", "周末联系", "转介绍客户", "对点读笔感兴趣"]
_CALL_ISSUES = [
    "点读笔无法开机",
    "物流太慢，催发货",
    "想退货",
    "询问发票怎么开",
    "书页有破损",
    "课程激活码无效",
    "点读笔充不进电",
    "咨询新品上市时间",
    "快递显示签收但没收到",
]
_HELP_SUBJECTS = [
    "Question about my order",
    "Device will not turn on",
    "Refund request",
    "Where is my parcel?",
    "Invoice needed",
    "点读笔无法开机",
    "Wrong item received",
]

_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
_FIXED_STAMP = dt.datetime(2025, 1, 1)

TMALL_HEADER = [
    "订单编号",
    "买家会员名",
    "买家支付宝账号",
    "买家应付货款",
    "买家应付邮费",
    "总金额",
    "买家实际支付金额",
    "订单状态",
    "买家留言",
    "收货人姓名",
    "收货地址",
    "运送方式",
    "联系电话",
    "联系手机",
    "订单创建时间",
    "订单付款时间",
    "宝贝标题",
    "宝贝总数量",
    "物流单号",
    "物流公司",
    "订单备注",
    "店铺名称",
]
SHOPIFY_HEADER = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Billing Name",
    "Billing Address1",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Address1",
    "Shipping City",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Id",
    "Phone",
]
CALL_HEADER = ["工单号", "创建时间", "渠道", "客户称呼", "来电号码", "关联订单号", "类型", "状态", "满意度", "问题描述"]
SALES_LAYOUTS = {
    "A": ["姓名", "联系电话", "电子邮件", "公司", "所在城市", "客户类型", "下次跟进", "备注"],
    "B": ["联系人", "电话", "E-mail", "微信号", "收货地址", "生日", "成交金额", "备注"],
    "C": ["客户姓名", "手机", "微信", "邮箱", "地址", "生日", "最近联系日期", "重要程度", "营销许可", "备注"],
    "D": ["Name", "Mobile", "Email", "Company", "City", "Birthday", "Last contact", "Do not contact", "Notes"],
}
TRUTH_HEADER = ["source_file", "sheet", "row_number", "person_id", "opt_out_signal"]

TMALL_FILE = "shop/tmall_orders_2025.csv"
SHOPIFY_FILE = "shop/shopify_orders_export.csv"
CALL_FILE = "service/call_center_tickets.csv"
HELPDESK_FILE = "service/helpdesk_tickets.jsonl"

# Source order of the per-person event counts.
_TMALL, _SHOPIFY, _SALES, _CALL, _HELP = range(5)
# Preferred sources by kind of person (normalised per row); tuned so the record shares come out
# near Tmall 31%, Shopify 17%, sales 27%, call centre 15%, help desk 11%.
_PREFS = {
    "cn": [0.43, 0.035, 0.27, 0.15, 0.11],
    "west_cn": [0.20, 0.21, 0.27, 0.15, 0.11],
    "west": [0.0, 0.40, 0.27, 0.15, 0.11],
}


def _parse_pool(text: str) -> list[tuple[str, str]]:
    """'王wang 李li' -> [('王', 'wang'), ('李', 'li')]."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"([^\sa-z]+)([a-z]+)", text)]


def _parse_weighted(text: str) -> list[tuple[str, str, float]]:
    return [(m.group(1), m.group(2), float(m.group(3))) for m in re.finditer(r"([^\sa-z0-9.]+)([a-z]+)([0-9.]+)", text)]


SURNAMES = _parse_weighted(_SURNAMES)
MALE_CHARS = _parse_pool(_MALE_CHARS)
FEMALE_CHARS = _parse_pool(_FEMALE_CHARS)
MALE_COMMON = _parse_pool(_MALE_COMMON)
FEMALE_COMMON = _parse_pool(_FEMALE_COMMON)


def _homophones() -> dict[str, list[str]]:
    """Given-name character -> other characters with the same reading (for IME typos)."""
    by_py: dict[str, list[str]] = {}
    for ch, py in MALE_CHARS + FEMALE_CHARS + _parse_pool(_TYPO_ONLY_CHARS):
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


# ----------------------------------------------------------------------------------------------
# People: stable true attributes, one list entry per person.
# ----------------------------------------------------------------------------------------------


@dataclass
class _People:
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

    def concat(self, other: _People) -> _People:
        parts = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            parts[f.name] = np.concatenate([a, b]) if f.name == "events" else a + b
        return _People(**parts)

    def taken(self) -> set:
        """Identifiers in use, so people added later never collide with these."""
        return set(self.phone) | set(self.phone2) | set(self.email) | set(self.nick) | set(self.wechat)


def _seed_seq(seed: int, stream: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed) % (1 << 63), zlib.crc32(stream.encode())])


def _streams(seed: int, stream: str) -> tuple[np.random.Generator, random.Random]:
    # random.Random seeded with a str hashes it with SHA-512: stable across runs and platforms.
    return np.random.default_rng(_seed_seq(seed, stream)), random.Random(f"{seed}:{stream}")


def _pick(r: random.Random, seq):
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
    prefixes = np.array(_CN_MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(_CN_MOBILE_PREFIXES), n)]
    return [str(x) for x in (prefixes * 10**8 + rng.integers(0, 10**8, n)).tolist()]


def _us_phones(rng: np.random.Generator, n: int) -> list:
    nums = rng.integers(201, 990, n) * 10**7 + rng.integers(200, 1000, n) * 10**4 + rng.integers(0, 10**4, n)
    return [str(x) for x in nums.tolist()]


def _given_name(r: random.Random, female: bool) -> tuple[str, str]:
    if r.random() < 0.45:
        return _pick(r, FEMALE_COMMON if female else MALE_COMMON)
    pool = FEMALE_CHARS if female else MALE_CHARS
    a = _pick(r, pool)
    if r.random() < 0.3:
        return a
    b = a if r.random() < 0.04 else _pick(r, pool)  # 婷婷-style doubled names exist
    return a[0] + b[0], a[1] + b[1]


def _build_people(
    n: int, seed: int, first_id: int = 1, stream: str = "people", china_only: bool = False, taken: set | None = None
) -> _People:
    """The person pool for (n, seed, stream): every draw comes from this stream only."""
    rng, r = _streams(seed, stream)
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
            g = _given_name(r, female[i])
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
            first.append(_pick(r, _WEST_FEMALE if female[i] else _WEST_MALE))
            last.append(_pick(r, _WEST_LAST))

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
    return _People(
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
    w = np.array([c[4] for c in _CN_CITIES], dtype=float)
    cn_city = rng.choice(len(_CN_CITIES), n, p=w / w.sum()).tolist()
    us_city = rng.integers(0, len(_US_CITIES), n).tolist()
    province, city, district, street, postcode = [], [], [], [], []
    for i in range(n):
        if in_cn[i]:
            prov, cty, pc, _, _, dists = _CN_CITIES[cn_city[i]]
            province.append(prov)
            city.append(cty)
            district.append(_pick(r, dists.split()))
            street.append(_cn_street(r))
            postcode.append(f"{pc}{r.randrange(1000):03d}")
        else:
            cty, state, zp = _US_CITIES[us_city[i]]
            province.append(state)
            city.append(cty)
            district.append("")
            apt = ""
            if r.random() < 0.3:
                apt = f"{_pick(r, ['Apt.', 'Suite', 'Unit'])} {r.randrange(1, 999)}"
            street.append((str(r.randrange(10, 99999)), _pick(r, _US_STREETS), r.randrange(len(_US_SUFFIXES)), apt))
            postcode.append(f"{zp}{r.randrange(100):02d}")
    return province, city, district, street, postcode


def _cn_street(r: random.Random) -> str:
    road = f"{_pick(r, _CN_STREETS)}{r.randrange(1, 999)}号"
    if r.random() < 0.3:
        return f"{road}{_pick(r, _CN_ESTATES)}{r.randrange(1, 30)}栋{r.randrange(1, 5)}单元{r.randrange(101, 2899)}室"
    return f"{road}{r.randrange(1, 30)}栋{r.randrange(101, 2899)}室"


def _common_name_pairs(r, cn, in_cn, name_cols, place_cols) -> None:
    """Over-merge trap: about 1% of Chinese people share a name and a city with someone else."""
    chinese = [i for i in range(len(cn)) if cn[i] and in_cn[i]]
    if len(chinese) < 20:
        return
    for _ in range(max(2, len(chinese) // 100)):
        a, b = _pick(r, chinese), _pick(r, chinese)
        if a == b:
            continue
        for col in name_cols + place_cols:
            col[b] = col[a]


def _company(r: random.Random, city: str) -> str:
    name = _pick(r, _COMPANY_PREFIXES) + _pick(r, _COMPANY_SUFFIXES)
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
    area = {c[1]: c[3] for c in _CN_CITIES}
    for _ in range(max(2, len(in_cn) // 300)):
        members = by_city[_pick(r, cities)]
        line = f"{area[city[members[0]]]}-{r.randrange(2, 9)}{r.randrange(10**6, 10**7)}"
        while line in taken:
            line = line[:-1] + str(r.randrange(10))
        taken.add(line)
        firm = _company(r, city[members[0]])
        for _ in range(r.randrange(3, 7)):
            i = _pick(r, members)
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
        return f"{local}@{_pick(r, _CN_EMAIL_DOMAINS)}"
    given, family = first[i].lower(), re.sub(r"[^a-z]", "", last[i].lower())
    local = f"{given}.{family}{r.randrange(100)}" if r.random() < 0.7 else f"{given[0]}{family}{r.randrange(1000)}"
    return f"{local}@{_pick(r, _WEST_EMAIL_DOMAINS)}"


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
                base = _pick(
                    r,
                    [
                        f"{sur_py[i]}{given_py[i]}",
                        f"{given_py[i]}_{sur_py[i][:1]}",
                        "wxid_" + "".join(_pick(r, "abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(10)),
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


# ----------------------------------------------------------------------------------------------
# Rendering: how one record shows a person, with the noise of the system that wrote it.
# ----------------------------------------------------------------------------------------------


class _Render:
    def __init__(self, people: _People, seed: int, stream: str, messes: bool, profile: Profile = PROFILES["default"]):
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
        given = _given_name(self.r, female)[0]
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
        full, abbr = _US_SUFFIXES[suffix]
        line = f"{number} {name} {abbr if self.chance(0.3) else full}"
        if apt:
            line += f" {apt.replace('.', '') if self.chance(0.3) else apt}"
        return line

    def city(self, i: int) -> str:
        c = self.p.city[i]
        return c[:-1] if c.endswith("市") and self.chance(0.2) else c


# ----------------------------------------------------------------------------------------------
# Shared helpers for times, ids and files.
# ----------------------------------------------------------------------------------------------


def _times(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    """Random wall-clock seconds in [start, end), as datetime64[s], sorted ascending."""
    span = (end - start).days * 86400
    secs = np.sort(rng.integers(0, span, n))
    return np.datetime64(start.isoformat(), "s") + secs.astype("timedelta64[s]")


def _time_strings(times: np.ndarray) -> list[str]:
    return [s.replace("T", " ") for s in np.datetime_as_string(times, unit="s").tolist()]


def _unique_ids(rng: np.random.Generator, n: int, base: int, mean_gap: int) -> list[int]:
    """n distinct ids above base, in random order (19-digit order numbers never repeat)."""
    ids = base + np.cumsum(rng.integers(1, 2 * mean_gap, n, dtype=np.int64))
    return rng.permutation(ids).tolist()


def _date_text(d: dt.date | None, style: str):
    if d is None:
        return None
    if style == "serial":
        return 1 if d.year == 1900 else d.toordinal() - _EXCEL_EPOCH  # Excel's own 1900-01-01
    if style == "cn":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "dmy":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == "mdy":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    return d.isoformat()


def _write_csv(path: Path, header: list, rows: list, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


class _FixedTimeZip(zipfile.ZipFile):
    """openpyxl stamps zip entries with the wall clock; fixed stamps keep files byte-identical."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o600 << 16
            zinfo_or_arcname = zinfo
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as fh:
            self.writestr(arcname or Path(filename).name, fh.read())


def _write_xlsx(path: Path, sheets: list[tuple[str, list | None, list, list]]) -> None:
    """sheets: (name, title row or None, header, rows). openpyxl write-only, fixed timestamps."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = _FIXED_STAMP
    for name, title, header, rows in sheets:
        ws = wb.create_sheet(name)
        if title is not None:
            ws.append(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    ExcelWriter(wb, _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()


class _XlsxWriter:
    """Writes workbooks, in two forked worker processes for big runs: openpyxl serialises cell by
    cell and is most of a large run, so the workers write sheets while this process renders the
    other sources. Small runs (and platforms without a safe fork) write in process."""

    def __init__(self, parallel: bool):
        self.pool = None
        self.futures = []
        if parallel and sys.platform.startswith("linux"):
            self.pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))

    def write(self, path: Path, sheets: list) -> None:
        if self.pool is None:
            _write_xlsx(path, sheets)
        else:
            self.futures.append(self.pool.submit(_write_xlsx, path, sheets))

    def __enter__(self) -> _XlsxWriter:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if self.pool is None:
            return
        try:
            if exc_type is None:
                for fut in self.futures:
                    fut.result()  # re-raise a worker's error here
        finally:
            self.pool.shutdown(cancel_futures=exc_type is not None)


class _Truth:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, source_file: str, sheet: str, row_number: int, pid: int, opt_out: bool) -> None:
        self.rows.append((source_file, sheet, row_number, pid, int(bool(opt_out))))


# ----------------------------------------------------------------------------------------------
# shop/: Tmall and Shopify order exports
# ----------------------------------------------------------------------------------------------


@dataclass
class _Orders:
    """Tmall orders by person, so service tickets can cite a real order of that person."""

    numbers: dict  # person index -> list of (order number, order time as datetime64)


def _tmall(
    people: _People,
    who: list,
    rd: _Render,
    rng: np.random.Generator,
    start: dt.date,
    end: dt.date,
    number_base: int,
    source_file: str,
    truth: _Truth,
) -> tuple[list, _Orders]:
    n = len(who)
    times = _times(rng, n, start, end)
    created = _time_strings(times)
    paid = _time_strings(times + rng.integers(30, 900, n).astype("timedelta64[s]"))
    numbers = _unique_ids(rng, n, number_base, 1_000_000)
    tracking = rng.integers(10**11, 10**12, n).tolist()
    orders = _Orders({})
    rows = []
    # Newest first, as the seller centre exports them.
    for k in range(n - 1, -1, -1):
        i = who[k]
        rows.append(_tmall_row(people, i, rd, str(numbers[k]), created[k], paid[k], tracking[k]))
        orders.numbers.setdefault(i, []).append((str(numbers[k]), times[k]))
        truth.add(source_file, "", len(rows), people.pid[i], False)
    return rows, orders


def _tmall_row(p: _People, i: int, rd: _Render, number: str, created: str, paid: str, tracking: int) -> list:
    r = rd.r
    title, price = rd.pick(_PRODUCTS)
    qty = 1 if r.random() < 0.75 else (2 if r.random() < 0.7 else 3)
    goods = f"{float(price) * qty:.2f}"
    postage = "0.00" if r.random() < 0.9 else "8.00"
    total = f"{float(goods) + float(postage):.2f}"
    x = r.random()
    status = "交易成功" if x < 0.8 else ("交易关闭" if x < 0.9 else "卖家已发货，等待买家确认")
    if rd.chance(0.06):
        receiver = rd.family_name(i)  # sent to a family member: other name, same address/phone
    else:
        receiver = rd.name(i, trad=0.02, typo=0.02, given_only=0.01, reverse=0.005)
    alipay = p.email[i] if p.email[i] and r.random() < 0.35 else ""
    message = rd.pick(["请尽快发货", "周末送货", "不要放发票", "包装好一点"]) if r.random() < 0.05 else ""
    mobile = rd.phone(i, typo=0.015, second=0.05, mask=0.10)
    return [
        number,
        p.nick[i],
        alipay,
        goods,
        postage,
        total,
        total,
        status,
        message,
        receiver,
        rd.address(i),
        "快递",
        "",
        mobile,
        created,
        paid,
        title,
        qty,
        f"SF{tracking}",
        "顺丰速运",
        "",
        "星火英语官方旗舰店",
    ]


def _shopify(people: _People, counts: np.ndarray, rd: _Render, rng: np.random.Generator, truth: _Truth) -> list:
    who = rng.permutation(np.repeat(np.arange(len(people)), counts)).tolist()
    n = len(who)
    times = _times(rng, n, dt.date(2023, 1, 1), dt.date(2025, 10, 31))
    stamps = [s + " +0800" for s in _time_strings(times)]
    ids = _unique_ids(rng, n, 100_000_000_000, 3_000_000)
    orders = []
    for k in range(n):  # numbered in time order, exported newest first
        orders.append(_shopify_order(people, who[k], rd, f"#{1001 + k}", stamps[k], ids[k]))
    rows = []
    for k in range(n - 1, -1, -1):
        i = who[k]
        for j, row in enumerate(orders[k]):
            rows.append(row)
            truth.add(SHOPIFY_FILE, "", len(rows), people.pid[i], j == 0 and row[5] == "no")
    return rows


def _shopify_order(p: _People, i: int, rd: _Render, name: str, stamp: str, order_id: int) -> list:
    r = rd.r
    n_items = 1
    if rd.chance(0.22):
        n_items = 2 if r.random() < 0.75 else 3
    items = r.sample(_PRODUCTS, n_items)
    qtys = [1 if r.random() < 0.8 else r.randrange(2, 4) for _ in items]
    subtotal = sum(float(price) * q for (_, price), q in zip(items, qtys))
    shipping = 0.0 if subtotal >= 99 or r.random() < 0.7 else 10.0
    x = r.random()
    financial = "paid" if x < 0.9 else ("refunded" if x < 0.95 else "pending")
    accepts = "no" if p.opted_out[i] or r.random() < 0.55 else "yes"
    if p.cn[i]:
        bill_name = rd.roman(i, typo=0.02) if rd.chance(rd.harder(0.85)) else rd.name(i, typo=0.02)
    else:
        bill_name = rd.name(i, typo=0.02)
    ship_name = bill_name if r.random() > 0.03 else rd.family_name(i)
    street, city = rd.street_line(i), p.city[i]
    country = "CN" if p.in_cn[i] else "US"
    phone = rd.phone(i, typo=0.01) if r.random() < 0.9 else ""
    email = rd.email(i, typo=0.02)
    first = [
        name,
        email,
        financial,
        stamp if financial != "pending" else "",
        "fulfilled" if financial == "paid" else "unfulfilled",
        accepts,
        "CNY",
        f"{subtotal:.2f}",
        f"{shipping:.2f}",
        "0.00",
        f"{subtotal + shipping:.2f}",
        "WELCOME10" if r.random() < 0.05 else "",
        stamp,
        qtys[0],
        items[0][0],
        items[0][1],
        bill_name,
        street,
        city,
        p.postcode[i],
        p.province[i],
        country,
        phone,
        ship_name,
        street,
        city,
        p.province[i],
        country,
        phone if r.random() < 0.5 else "",
        "",
        order_id,
        "" if email or not phone else phone,
    ]
    rows = [first]
    for (title, price), q in zip(items[1:], qtys[1:]):
        # Later line items of the order carry no customer fields, as in real exports.
        row = [""] * len(SHOPIFY_HEADER)
        row[0], row[13], row[14], row[15] = name, q, title, price
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------------------------
# sales/: one spreadsheet per salesperson
# ----------------------------------------------------------------------------------------------


@dataclass
class _SalesFile:
    stem: str
    layout: str
    ext: str
    title: str | None
    date_styles: dict  # column name -> date style for this file
    second_sheet: str | None
    rows: list  # (person index, row cells)


def _salesperson_stems(r: random.Random, n: int) -> list[str]:
    """Chinese names (王芳) and romanised ones (Kevin_Wu, zhao_min), all distinct."""
    stems, seen = [], set()
    while len(stems) < n:
        sur, sur_py, _ = r.choices(SURNAMES, weights=[w for _, _, w in SURNAMES])[0]
        female = r.random() < 0.5
        given, given_py = _given_name(r, female)
        x = r.random()
        if x < 0.6:
            stem = sur + given
        elif x < 0.8:
            stem = f"{_pick(r, _WEST_FEMALE if female else _WEST_MALE)}_{sur_py.capitalize()}"
        else:
            stem = f"{sur_py}_{given_py}"
        if stem not in seen:
            seen.add(stem)
            stems.append(stem)
    return stems


def _sales_files(
    people: _People, counts: np.ndarray, customers: int, rd: _Render, rng: np.random.Generator
) -> list[_SalesFile]:
    r = rd.r
    n_files = int(min(200, max(2, round(customers / 65))))
    stems = _salesperson_stems(r, n_files)
    weight = rng.lognormal(0.0, 0.5, n_files)
    weight /= weight.sum()
    # Each customer has a main salesperson; a quarter of their rows sit in someone else's sheet.
    primary = rng.choice(n_files, len(people), p=weight)
    who = rng.permutation(np.repeat(np.arange(len(people)), counts))
    other = rng.choice(n_files, len(who), p=weight)
    owner = np.where(rng.random(len(who)) < 0.75, primary[who], other)
    order = np.argsort(owner, kind="stable")
    who, owner = who[order].tolist(), owner[order].tolist()

    files = [_new_sales_file(r, stem, rd.on) for stem in stems]
    for i, f in zip(who, owner):
        files[f].rows.append(i)
    return [f for f in files if f.rows]


def _new_sales_file(r: random.Random, stem: str, messes: bool) -> _SalesFile:
    romanised = stem.isascii()
    layout = _pick(r, "DDDAABCC" if romanised else "AAABBCCCD")
    ext = ".xlsx"
    if layout == "D" and r.random() < 0.85 or layout == "A" and r.random() < 0.2:
        ext = ".csv"
    title = None
    if ext == ".xlsx" and (layout == "B" or r.random() < 0.15):
        title = _pick(r, [f"{stem}的客户名单 (更新于2025年)", f"{stem} 客户资料", "客户跟进表 2025"])
    styles = {
        "下次跟进": "iso",
        "生日": "cn" if layout == "B" else "serial",
        "最近联系日期": "serial",
        "Birthday": _pick(r, ["dmy", "mdy"]),
        "Last contact": _pick(r, ["dmy", "mdy"]),
    }
    if not messes:
        styles = {k: "iso" for k in styles}
    second = None
    if ext == ".xlsx" and r.random() < 0.12:
        second = _pick(r, ["老客户", "2024", "Sheet2", "已成交"])
    return _SalesFile(stem, layout, ext, title, styles, second, [])


def _sales_row(p: _People, i: int, rd: _Render, layout: str) -> tuple[list, dict, bool]:
    """Cells of one sheet row (dates still as date objects, keyed by column) and its opt-out."""
    r = rd.r
    if layout == "D" and p.cn[i] and (not rd.on or r.random() < 0.75):
        name = rd.roman(i, typo=0.03) if rd.on else rd.name(i)
    else:
        name = rd.name(i, hon=0.2, trad=0.04, typo=0.03, roman=0.03, reverse=0.01)
    phone = rd.phone(i, typo=0.02, second=0.05, both=0.35, office=0.3)
    email = rd.email(i) if r.random() < 0.6 else ""
    wechat = rd.wechat(i) if r.random() < 0.55 else ""
    address = rd.address(i) if r.random() < 0.6 else ""
    company = p.company[i] if p.company[i] and r.random() < 0.7 else ""
    birthday = p.birthday[i] if r.random() < 0.5 else None
    if birthday is not None and rd.chance(0.04):
        birthday = dt.date(1900, 1, 1)  # placeholder some CRMs fill in
    contact = dt.date.fromordinal(dt.date(2023, 1, 1).toordinal() + r.randrange(1030))
    opted = p.opted_out[i]
    note = None
    if opted and r.random() < (0.7 if layout in "AB" else 0.2):
        note = rd.pick(_OPT_OUT_NOTES)
    elif r.random() < 0.3:
        note = rd.pick(_SALES_NOTES)
    signal = note in _OPT_OUT_NOTES
    dates = {}
    if layout == "A":
        dates["下次跟进"] = contact
        cells = [
            name,
            phone,
            email or None,
            company or None,
            rd.city(i),
            rd.pick(["新客户", "老客户", "潜在客户"]),
            None,
            note,
        ]
    elif layout == "B":
        dates["生日"] = birthday
        cells = [
            name,
            phone,
            email or None,
            wechat or None,
            address or None,
            None,
            round(r.uniform(200, 5000), 2),
            note,
        ]
    elif layout == "C":
        dates["生日"], dates["最近联系日期"] = birthday, contact
        consent = "否" if opted and r.random() < 0.9 else "是"
        signal = signal or consent == "否"
        cells = [name, phone, wechat or None, email or None, address or None, None, None, rd.pick("ABC"), consent, note]
    else:
        dates["Birthday"], dates["Last contact"] = birthday, contact
        dnc = "Y" if opted and r.random() < 0.85 else None
        signal = signal or dnc == "Y"
        cells = [name, phone, email or None, company or None, rd.city(i), None, None, dnc, note]
    return cells, dates, signal


def _decidable(values: list, style: str) -> bool:
    """A DD/MM or MM/DD column is decidable once one value has a day above 12."""
    if style not in ("dmy", "mdy"):
        return True
    return any(d is not None and d.day > 12 for d in values)


def _write_sales_file(out: Path, f: _SalesFile, people: _People, rd: _Render, truth: _Truth, xlsx: _XlsxWriter) -> None:
    header = SALES_LAYOUTS[f.layout]
    built = [(i,) + _sales_row(people, i, rd, f.layout) for i in f.rows]
    _make_dates_decidable(f, built, people)
    rows = []
    for i, cells, dates, signal in built:
        for col, d in dates.items():
            cells[header.index(col)] = _date_text(d, f.date_styles[col])
        rows.append((i, cells, signal))

    rel = f"sales/{f.stem}{f.ext}"
    if f.ext == ".csv":
        _write_csv(out / rel, header, [[("" if c is None else c) for c in cells] for _, cells, _ in rows], "utf-8-sig")
        for k, (i, _, signal) in enumerate(rows, 1):
            truth.add(rel, "", k, people.pid[i], signal)
        return
    first_name = "客户" if f.layout == "C" else "Sheet1"
    split = len(rows) if f.second_sheet is None or len(rows) < 10 else int(len(rows) * 0.7)
    sheets = [(first_name, rows[:split], f.title)]
    if split < len(rows):
        sheets.append((f.second_sheet, rows[split:], None))
    title_row = lambda t: None if t is None else [t] + [None] * (len(header) - 1)  # noqa: E731
    xlsx.write(out / rel, [(name, title_row(t), header, [c for _, c, _ in part]) for name, part, t in sheets])
    for name, part, _ in sheets:
        for k, (i, _, signal) in enumerate(part, 1):
            truth.add(rel, name, k, people.pid[i], signal)


def _make_dates_decidable(f: _SalesFile, built: list, people: _People) -> None:
    """Ensure each DD/MM-or-MM/DD column shows a day above 12, so its order can be decided:
    reveal a true birthday that was left blank, or move a contact date (not a person fact)."""
    for col, style in f.date_styles.items():
        values = [dates.get(col) for _, _, dates, _ in built]
        if col not in built[0][2] or _decidable(values, style):
            continue
        if col == "Birthday":
            for i, _, dates, _ in built:
                if people.birthday[i].day > 12:
                    dates[col] = people.birthday[i]
                    break
        else:
            d = built[0][2][col]
            built[0][2][col] = d.replace(day=20)


# ----------------------------------------------------------------------------------------------
# service/: call-centre tickets and help-desk JSON lines
# ----------------------------------------------------------------------------------------------


def _ticket_times(people: _People, who: list, orders: _Orders, rd: _Render, rng: np.random.Generator, cite: float):
    """Ticket times and cited order numbers: a cited order is one of the person's own, and the
    ticket comes after it."""
    n = len(who)
    base = _times(rng, n, dt.date(2023, 1, 1), dt.date(2025, 10, 31))
    base = base[rng.permutation(n)]
    limit = np.datetime64("2025-10-31T23:59:59")
    order_nos, times = [], base.copy()
    for k, i in enumerate(who):
        own = orders.numbers.get(i)
        if own and rd.r.random() < cite:
            number, when = rd.pick(own)
            times[k] = min(when + np.timedelta64(rd.r.randrange(3600, 60 * 86400), "s"), limit)
            order_nos.append(number)
        else:
            order_nos.append(None)
    return np.argsort(times, kind="stable").tolist(), order_nos, times


def _call_centre(
    people: _People, counts: np.ndarray, orders: _Orders, rd: _Render, rng: np.random.Generator, truth: _Truth
) -> list:
    who = rng.permutation(np.repeat(np.arange(len(people)), counts)).tolist()
    order, order_nos, times = _ticket_times(people, who, orders, rd, rng, cite=0.3)
    stamps = _time_strings(times)
    r = rd.r
    rows = []
    for seq, k in enumerate(order):
        i = who[k]
        opted = people.opted_out[i] and r.random() < 0.55
        issue = rd.pick(_OPT_OUT_TICKETS) if opted else rd.pick(_CALL_ISSUES)
        x = r.random()
        channel = "电话" if x < 0.5 else ("在线" if x < 0.75 else "微信")
        satisfaction = "" if r.random() < 0.18 else str(r.randrange(1, 6))
        rows.append(
            [
                f"GD{50001 + seq}",
                stamps[k][:16].replace("-", "/"),
                channel,
                rd.name(i, hon=0.45, trad=0.03, typo=0.03, formal=r.random() < 0.8),
                rd.phone(i, typo=0.015, second=0.08, office=0.15),
                order_nos[k] or "",
                rd.pick(["维修", "投诉", "咨询", "退换"]),
                rd.pick(["待处理", "处理中", "已关闭"]),
                satisfaction,
                issue,
            ]
        )
        truth.add(CALL_FILE, "", len(rows), people.pid[i], opted)
    return rows


def _helpdesk(
    people: _People, counts: np.ndarray, orders: _Orders, rd: _Render, rng: np.random.Generator, truth: _Truth
) -> list[str]:
    who = rng.permutation(np.repeat(np.arange(len(people)), counts)).tolist()
    order, order_nos, times = _ticket_times(people, who, orders, rd, rng, cite=0.25)
    stamps = np.datetime_as_string(times, unit="s").tolist()
    r = rd.r
    lines = []
    for seq, k in enumerate(order):
        i = who[k]
        unsubscribe = people.opted_out[i] and r.random() < 0.45
        if people.cn[i] and rd.chance(rd.harder(0.15)):
            name = rd.roman(i)
        else:
            name = rd.name(i, hon=0.3, trad=0.03, typo=0.03)
        email = rd.email(i) if people.email[i] and r.random() < 0.85 else None
        phone = rd.phone(i, typo=0.015) if email is None or r.random() < 0.4 else None
        satisfaction = rd.pick(["good", "good", "bad", None])
        ticket = {
            "ticket_id": f"W-{50001 + seq}",
            "created_at": stamps[k] + "+08:00",
            "channel": rd.pick(["web", "web", "web", "email", "app"]),
            "requester": {"name": name, "email": email, "phone": phone},
            "order_no": order_nos[k],
            "type": rd.pick(["repair", "complaint", "inquiry", "return"]),
            "status": rd.pick(["open", "pending", "solved", "closed"]),
            "satisfaction": satisfaction,
            "unsubscribe": unsubscribe,
            "subject": "Please stop sending me promotions"
            if unsubscribe and r.random() < 0.3
            else rd.pick(_HELP_SUBJECTS),
        }
        lines.append(json.dumps(ticket, ensure_ascii=False))
        truth.add(HELPDESK_FILE, "", len(lines), people.pid[i], unsubscribe)
    return lines


# ----------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------


def _profile(name: str | Profile) -> Profile:
    if isinstance(name, Profile):  # a profile made for the purpose (make bench's --generic-share)
        return name
    if name not in PROFILES:
        raise ValueError(f"unknown demo profile {name!r} (known: {', '.join(PROFILES)})")
    return PROFILES[name]


def truth_path_for(out_dir) -> Path:
    """The truth file beside the sources folder: samples/sources -> samples/sources_truth.csv."""
    out = Path(out_dir)
    return out.parent / f"{out.name}_truth.csv"


def _read_truth(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


def _clear_previous(out: Path) -> None:
    """Remove the files an earlier generation wrote here (its truth lists them): other
    salespeople's sheets or later exports left behind would have no truth rows. Files this
    module did not write are never touched."""
    for rel in dict.fromkeys(row[0] for row in _read_truth(truth_path_for(out))):
        path = out / rel
        if path.resolve().is_relative_to(out.resolve()) and path.is_file():
            path.unlink()


def _write_truth(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TRUTH_HEADER)
        w.writerows(rows)


def generate_sources(
    out_dir: str | Path, customers: int, seed: int = 0, messes: bool = True, profile: str | Profile = "default"
) -> Path:
    """Write sources under out_dir/{shop,sales,service}/ and the truth file; return the truth path.
    profile: how hard the messes are (demo/profiles.py: default, hard, or a Profile)."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    hardness = _profile(profile)
    out = Path(out_dir)
    _clear_previous(out)
    people = _build_people(customers, seed)
    ev = people.events
    truth = {name: _Truth() for name in ("tmall", "shopify", "sales", "call", "helpdesk")}

    with _XlsxWriter(parallel=customers >= 20_000) as xlsx:
        # Sales first: their workbooks are written in the background while the rest renders.
        rng, _ = _streams(seed, "sales")
        rd = _Render(people, seed, "sales", messes, hardness)
        for f in _sales_files(people, ev[:, _SALES], customers, rd, rng):
            _write_sales_file(out, f, people, rd, truth["sales"], xlsx)

        rng, _ = _streams(seed, "tmall")
        who = rng.permutation(np.repeat(np.arange(customers), ev[:, _TMALL])).tolist()
        rows, orders = _tmall(
            people,
            who,
            _Render(people, seed, "tmall", messes, hardness),
            rng,
            dt.date(2023, 1, 1),
            dt.date(2025, 10, 31),
            3_000_000_700_000_000_000,
            TMALL_FILE,
            truth["tmall"],
        )
        _write_csv(out / TMALL_FILE, TMALL_HEADER, rows, "gbk")

        rng, _ = _streams(seed, "shopify")
        rows = _shopify(
            people, ev[:, _SHOPIFY], _Render(people, seed, "shopify", messes, hardness), rng, truth["shopify"]
        )
        _write_csv(out / SHOPIFY_FILE, SHOPIFY_HEADER, rows, "utf-8")

        rng, _ = _streams(seed, "call")
        rows = _call_centre(
            people, ev[:, _CALL], orders, _Render(people, seed, "call", messes, hardness), rng, truth["call"]
        )
        _write_csv(out / CALL_FILE, CALL_HEADER, rows, "utf-8")

        rng, _ = _streams(seed, "helpdesk")
        lines = _helpdesk(
            people, ev[:, _HELP], orders, _Render(people, seed, "helpdesk", messes, hardness), rng, truth["helpdesk"]
        )
        (out / HELPDESK_FILE).write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    path = truth_path_for(out)
    _write_truth(path, [row for t in truth.values() for row in t.rows])
    return path


def _later_buyers(rng: np.random.Generator, existing: _People, n_old: int, n_new: int, newcomers: int) -> list[int]:
    """Person indexes (into existing + newcomers) of a later export's orders, in random order."""
    eligible = np.flatnonzero(np.array(existing.in_cn, dtype=bool))
    # Returning buyers lean towards people who already ordered on Tmall.
    w = existing.events[eligible, _TMALL] + 0.3
    old = rng.choice(eligible, n_old, p=w / w.sum()) if n_old else np.empty(0, dtype=np.int64)
    # Every newcomer orders at least once; some order again.
    new = len(existing) + np.concatenate([np.arange(newcomers), rng.integers(0, max(newcomers, 1), n_new - newcomers)])
    return rng.permutation(np.concatenate([old, new]).astype(np.int64)).tolist()


def generate_later_export(
    out_dir: str | Path,
    customers: int,
    seed: int,
    orders: int,
    file_name: str = "tmall_orders_2026.csv",
    profile: str | Profile = "default",
) -> Path:
    """A later shop export (Tmall format) for the SAME person pool as generate_sources(out_dir,
    customers, seed): ~85% of its orders from existing people, the rest from new people (person
    ids not used before); appends its rows to the truth file; returns the truth path. profile:
    how hard its messes are, as in generate_sources."""
    out = Path(out_dir)
    rel = f"shop/{file_name}"
    truth_path = truth_path_for(out)
    # Running the same export again replaces its rows in the truth instead of adding them twice.
    kept = [row for row in _read_truth(truth_path) if row[0] != rel]
    first_new_id = max([customers] + [int(row[3]) for row in kept]) + 1

    existing = _build_people(customers, seed)
    stream = f"later:{file_name}"
    rng, _ = _streams(seed, stream)
    n_new = int(round(orders * 0.15)) if any(existing.in_cn) else orders
    newcomers = max(1, int(round(n_new / 1.25))) if n_new else 0
    people = existing
    if newcomers:
        people = existing.concat(
            _build_people(
                newcomers,
                seed,
                first_id=first_new_id,
                stream=stream + ":people",
                china_only=True,
                taken=existing.taken(),
            )
        )
    who = _later_buyers(rng, existing, orders - n_new, n_new, newcomers)

    year = int(m.group(1)) if (m := re.search(r"(20\d\d)", file_name)) else 2026
    # A number block of its own per export file, so order numbers never repeat across exports.
    base = 3_100_000_000_000_000_000 + (zlib.crc32(file_name.encode()) % 900) * 10**13
    truth = _Truth()
    rows, _ = _tmall(
        people,
        who,
        _Render(people, seed, stream + ":rows", True, _profile(profile)),
        rng,
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
        base,
        rel,
        truth,
    )
    _write_csv(out / rel, TMALL_HEADER, rows, "gbk")
    _write_truth(truth_path, kept + truth.rows)
    return truth_path


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write demo customer sources and their truth file.")
    ap.add_argument("out_dir")
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--clean", action="store_true", help="no messes")
    ap.add_argument("--profile", choices=list(PROFILES), default="default", help="how hard the messes are")
    args = ap.parse_args()
    print(generate_sources(args.out_dir, args.customers, args.seed, messes=not args.clean, profile=args.profile))
