"""What demo people are made of: names, places, companies, phone prefixes and e-mail domains.

Pinyin is written out rather than computed: surnames such as 曾/单/解/仇/查/朴/区 read differently
as surnames than pypinyin's default, and real people romanise them correctly.
"""

from __future__ import annotations

import re

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

WEST_MALE = """James John Robert Michael William David Richard Joseph Thomas Charles Christopher
Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kevin Brian George Timothy Ronald
Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon
Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Adam Nathan
Henry Peter Zachary Douglas Kyle Ethan Noah Ian Shane Jesse Oliver Lucas Owen Simon""".split()

WEST_FEMALE = """Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy
Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie
Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha
Katherine Christine Helen Rachel Carolyn Janet Maria Catherine Heather Diane Olivia Julie Joyce
Victoria Kelly Christina Lauren Megan Andrea Hannah Jacqueline Teresa Sara Madison Abigail Sophia
Alice Danielle Sylvia Rhonda Erin Dana Chloe Grace Natalie""".split()

WEST_LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
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
CN_CITIES = [
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

CN_STREETS = """人民路 解放路 中山路 建设路 南京路 文三路 天府大道 科技园路 长江路 和平路 新华路 青年路
东风路 胜利路 光明路 学院路 滨江路 朝阳路 黄河路 延安路 建国路 幸福路 花园路 工业大道 体育路 环城路
迎宾大道 世纪大道 望江路 湖滨路""".split()

CN_ESTATES = "阳光花园 翠苑小区 金色家园 碧桂园 万科城 锦绣华庭 绿地公馆 名都花园 东方明珠苑 龙湖春江郦城".split()

# (city, state, zip prefix)
US_CITIES = [
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

US_STREETS = """Oak Maple Pine Cedar Elm Washington Lake Hill Park Main Church Sunset Highland Lincoln
Jefferson Madison Franklin Willow River Spring Ridge Meadow Forest Cherry Walnut Chestnut Valley
Mill Prospect Adams Jackson Union Broad Center Lakeview Fairview Green Moore Francis Howell
Garfield Hawthorne""".split()

# (full, abbreviated): records disagree on which one they use
US_SUFFIXES = [
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

COMPANY_PREFIXES = """创联世纪 网新恒天 九方 浙大万朋 迪摩 七喜 华成育卓 信诚致远 商软冠联 良诺 时刻
图龙 天益 东方峻景 毕博诚 戴硕 凌颖 惠派国际 维涛 亿次元 恒通 鼎盛 华宇 博远 汇丰源 金桥 新纪元
中联 智汇 云帆 蓝海 星辰 万达通 立信 百川 创想 卓越 启明 同创 安信""".split()

COMPANY_SUFFIXES = """信息有限公司 科技有限公司 传媒有限公司 网络有限公司 电子有限公司 贸易有限公司
教育科技有限公司 咨询有限公司""".split()

CN_MOBILE_PREFIXES = [
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

CN_EMAIL_DOMAINS = (
    ["163.com"] * 5
    + ["126.com"] * 3
    + ["qq.com"] * 4
    + ["sina.com"] * 2
    + ["outlook.com"] * 2
    + ["gmail.com"] * 2
    + ["foxmail.com", "hotmail.com"]
)

WEST_EMAIL_DOMAINS = ["gmail.com"] * 4 + ["yahoo.com"] * 2 + ["outlook.com"] * 2 + ["hotmail.com"]


def parse_pool(text: str) -> list[tuple[str, str]]:
    """'王wang 李li' -> [('王', 'wang'), ('李', 'li')]."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"([^\sa-z]+)([a-z]+)", text)]


def _parse_weighted(text: str) -> list[tuple[str, str, float]]:
    return [(m.group(1), m.group(2), float(m.group(3))) for m in re.finditer(r"([^\sa-z0-9.]+)([a-z]+)([0-9.]+)", text)]


SURNAMES = _parse_weighted(_SURNAMES)

MALE_CHARS = parse_pool(_MALE_CHARS)

FEMALE_CHARS = parse_pool(_FEMALE_CHARS)

MALE_COMMON = parse_pool(_MALE_COMMON)

FEMALE_COMMON = parse_pool(_FEMALE_COMMON)
