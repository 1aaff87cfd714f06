"""Header synonyms for salesperson spreadsheets: the one place to teach the reader a new layout.

Keys are the reader's fields; values are header texts seen in the wild (compared after
lower-casing and removing spaces, underscores and colons). Add a synonym here and every sheet
that uses it is read; see docs/sources.md.
"""

from __future__ import annotations

import re

SALES_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "full_name": (
        "客户姓名",
        "姓名",
        "联系人",
        "客户",
        "客户名称",
        "name",
        "customer",
        "customername",
        "contact",
        "contactname",
        "fullname",
    ),
    # first and last name columns: the canonical name combines them (family first for Chinese names)
    "given_name": ("名", "firstname", "givenname", "forename"),
    "family_name": ("姓", "姓氏", "lastname", "surname", "familyname"),
    "phone": (
        "手机",
        "电话",
        "联系电话",
        "手机号",
        "手机号码",
        "联系方式",
        "mobile",
        "phone",
        "tel",
        "telephone",
        "cell",
        "mobilephone",
    ),
    "email": ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "mail", "emailaddress"),
    "wechat": ("微信", "微信号", "wechat", "wechatid", "weixin"),
    "birth_date": ("生日", "出生日期", "birthday", "birthdate", "dob", "dateofbirth"),
    "last_contact": (
        "最近联系日期",
        "最近联系",
        "最后联系",
        "上次联系",
        "lastcontact",
        "lastcontacted",
        "lastcontactdate",
    ),
    "company": (
        "公司",
        "单位",
        "公司名称",
        "company",
        "organisation",
        "organization",
        "employer",
        "companyname",
        "accountname",
    ),
    "city": ("所在城市", "城市", "city", "town", "mailingcity", "suburb", "locality", "billingcity"),
    "district": ("区", "区县", "所在区县", "district", "county"),
    "province": (
        "省",
        "省份",
        "所在省份",
        "province",
        "state",
        "region",
        "stateprovince",
        "mailingstate",
        "billingstate",
    ),
    "postcode": (
        "邮编",
        "邮政编码",
        "postcode",
        "postalcode",
        "zip",
        "zipcode",
        "mailingpostalcode",
        "billingpostalcode",
    ),
    "country": ("国家", "国家地区", "country", "mailingcountry", "billingcountry"),
    "national_id": (
        "身份证",
        "身份证号",
        "身份证号码",
        "证件号码",
        "nationalid",
        "idnumber",
        "ssn",
        "socialsecuritynumber",
        "socsecid",
    ),
    # the parts of a street address some exports keep apart: joined around address_line, in this order
    "street_number": ("门牌号", "streetnumber", "housenumber", "streetno"),
    "address_line": (
        "地址",
        "收货地址",
        "联系地址",
        "address",
        "street",
        "address1",
        "mailingstreet",
        "mailingaddress",
        "streetaddress",
    ),
    "address_line_2": ("地址2", "address2", "addressline2", "street2", "mailingstreet2"),
    "gender": ("性别", "gender", "sex"),
    "marketing_consent": ("营销许可", "同意营销", "接受营销", "marketingconsent", "acceptsmarketing", "optin"),
    "do_not_contact": ("勿扰", "不要联系", "donotcontact", "dnc", "optout", "unsubscribed"),
    # consent for one channel, and until when a consent holds
    "email_consent": ("邮件营销", "接受邮件", "邮件许可", "emailconsent", "emailoptin", "acceptsemailmarketing"),
    "sms_consent": ("短信营销", "接受短信", "短信许可", "smsconsent", "smsoptin", "acceptssmsmarketing"),
    "do_not_call": ("勿电", "不要来电", "donotcall"),
    "consent_expires": ("许可有效期", "许可到期", "同意有效期", "consentexpires", "consentexpiry", "consentvaliduntil"),
    "notes": ("备注", "说明", "notes", "note", "remarks", "comment", "comments"),
}


def header_key(text) -> str:
    return re.sub(r"[\s_:：]+", "", str(text or "")).lower()


_LOOKUP = {header_key(s): fld for fld, syns in SALES_HEADER_SYNONYMS.items() for s in syns}


def header_columns(cells) -> dict[str, list[int]]:
    """Every column index of each known field in a header row, in order: a field may repeat
    (姓名,联系电话,联系电话), and the reader keeps every one of its columns."""
    columns: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        fld = _LOOKUP.get(header_key(cell))
        if fld:
            columns.setdefault(fld, []).append(index)
    return columns


def map_header(cells) -> dict[str, int]:
    """Column index of each known field in a header row: its first column (header_columns has all)."""
    return {fld: indexes[0] for fld, indexes in header_columns(cells).items()}


def is_usable_header(mapping: dict[str, int]) -> bool:
    """A header we can read: it names a person (name) or a way to reach one, plus one more field."""
    identifying = {"full_name", "given_name", "family_name", "phone", "email", "wechat"} & mapping.keys()
    return bool(identifying) and len(mapping) >= 2


NAME_FIELDS = frozenset({"full_name", "given_name", "family_name"})
# a header that names a person's name ('Middle Name', '英文名', '称呼'), unless it is a thing's
_NAME_LIKE_RE = re.compile(r"name|姓|名|称呼|昵称")
_NOT_A_PERSON_RE = re.compile(r"company|account|product|file|user|公司|单位|商品|产品|店铺|文件")


def unmapped_name_columns(cells) -> list[str]:
    """Header texts that look like a person's name but map to no field: a sheet whose names
    sit in such columns would stage nameless rows (teach the synonym instead)."""
    return [
        str(cell).strip()
        for cell in cells
        if cell is not None
        and header_key(cell) not in _LOOKUP
        and _NAME_LIKE_RE.search(header_key(cell))
        and not _NOT_A_PERSON_RE.search(header_key(cell))
    ]
