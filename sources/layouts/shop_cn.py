"""Chinese marketplace and store order exports: Taobao/Tmall (千牛 layout), JD POP, Pinduoduo,
Youzan and Douyin 抖店. The classic Tmall/Taobao seller export stays in sources/shop.py.

One row per order (JD, Douyin: per order line; all lines of an order share its number). The
receiver is staged, not the buyer: it is the person the platform shows the merchant. Phones may be
masked (138****5678: kept for display, never used to link), virtual (Pinduoduo's privacy number
with an extension: not the person's phone), or encrypted by the platform ("$…$": dropped and
flagged). Header sources: docs/sources.md.
"""

from __future__ import annotations

import re

from sources.layouts.common import (
    Layout,
    Row,
    amount,
    cn_address,
    event,
    flagged,
    item,
    joined,
    phones,
    plain,
    prefixed,
)
from sources.standardise.emails import normalise_email

# "周强，86-13900000004，江苏省 扬州市 广陵区 示例地址": the 千牛 export's receiver in one cell
_RECEIVER_RE = re.compile(
    r"^\s*(?P<name>[^，,]+?)\s*[，,]\s*(?P<phone>[+\d][\d*\-\s]{6,}?)\s*[，,]\s*(?P<address>.*?)[\s，,]*$"
)
_COUNTRY_CODE_RE = re.compile(r"^\+?86[-\s]")


def receiver_parts(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(name, phone, address) of a 'name，phone，address' cell; a plain address stays the address."""
    if not text:
        return None, None, None
    found = _RECEIVER_RE.match(text)
    if not found:
        return None, None, text
    return found["name"], _COUNTRY_CODE_RE.sub("", found["phone"].strip()), found["address"] or None


def _tmall_qianniu(r: Row) -> dict:
    flags: list[str] = []
    name, phone, address = receiver_parts(r.get("收货地址"))
    account = r.get("买家支付宝账号")
    return {
        "source_record_key": r.get("订单编号", "主订单编号"),
        "event_at": event(r.get("订单付款时间", "付款时间"), r.get("订单创建时间", "创建时间")),
        "full_name": plain(r.get("收货人姓名") or name, flags, "name"),
        "phone": plain(phones(r.get("联系手机"), r.get("联系电话")) or phone, flags, "phone"),
        "email": account if normalise_email(account) else None,
        "external_id": prefixed("tmall", r.get("买家会员名", "买家昵称")),
        "address_line": address,
        "order_amount": amount(r.get("买家实际支付金额", "实付金额", "买家应付货款", "总金额")),
        "currency": "CNY",
        "order_status": r.get("订单状态"),
        "items": item(r.get("宝贝标题", "商品标题"), r.get("宝贝总数量", "购买数量", "商品数量")),
        "notes": joined(r.get("订单备注", "卖家备注"), r.get("买家留言"), sep="; "),
        "quality_flags": flagged(flags),
    }


def _jd(r: Row) -> dict:
    return {
        "source_record_key": r.get("订单号"),
        "event_at": event(r.get("付款确认时间"), r.get("下单时间")),
        "full_name": r.get("客户姓名", "收货人"),
        "phone": r.get("联系电话", "手机"),
        "external_id": prefixed("jd", r.get("下单帐号", "下单账号")),
        "address_line": r.get("客户地址", "收货地址"),
        "order_amount": amount(r.get("应付金额", "订单金额")),
        "currency": "CNY",
        "order_status": r.get("订单状态"),
        "items": item(r.get("商品名称"), r.get("订购数量")),
        "notes": joined(r.get("订单备注"), r.get("商家备注"), sep="; "),
    }


def _pinduoduo(r: Row) -> dict:
    flags: list[str] = []
    mobile = plain(r.get("手机", "收货人手机号"), flags, "phone")
    extension = r.get("分机号")
    if mobile and extension:
        flags.append("phone_virtual")  # a privacy relay number shared by many buyers
    return {
        "source_record_key": r.get("订单号"),
        "event_at": event(r.get("支付时间"), r.get("订单成交时间"), r.get("拼单成功时间"), r.get("订单创建时间")),
        "full_name": plain(r.get("收货人"), flags, "name"),
        "phone": None if extension else mobile,
        "address_line": cn_address(r.get("省"), r.get("市"), r.get("区"), r.get("街道"), r.get("详细地址", "收货地址")),
        "province": r.get("省"),
        "city": r.get("市"),
        "district": r.get("区"),
        "order_amount": amount(r.get("商家实收金额(元)", "用户实付金额(元)", "商品总价(元)")),
        "currency": "CNY",
        "order_status": r.get("订单状态"),
        "items": item(r.get("商品", "商品名称"), r.get("商品数量(件)")),
        "notes": joined(f"虚拟号 {mobile}-{extension}" if mobile and extension else None, r.get("商家备注"), sep="; "),
        "quality_flags": flagged(flags),
    }


_YOUZAN_NAME = ("收货人/提货人", "收货人", "提货人")
_YOUZAN_PHONE = ("收货人手机号/提货人手机号", "收货人手机号", "提货人手机号")


def _youzan(r: Row) -> dict:
    flags: list[str] = []
    province, city, district = r.get("收货人省份"), r.get("收货人城市"), r.get("收货人地区")
    return {
        "source_record_key": r.get("订单号"),
        "event_at": event(r.get("买家付款时间"), r.get("订单创建时间")),
        "full_name": plain(r.get(*_YOUZAN_NAME), flags, "name"),
        # the buyer's own phone only when the order names no receiver's phone (self pick-up)
        "phone": plain(r.get(*_YOUZAN_PHONE) or r.get("买家手机号"), flags, "phone"),
        "address_line": cn_address(province, city, district, r.get("详细收货地址/提货地址", "详细收货地址")),
        "province": province,
        "city": city,
        "district": district,
        "order_amount": amount(r.get("订单实付金额", "应收订单金额")),
        "currency": "CNY",
        "order_status": r.get("订单状态"),
        "items": r.get("全部商品名称", "商品名称"),
        "notes": joined(r.get("买家备注"), r.get("商家订单备注"), sep="; "),
        "quality_flags": flagged(flags),
    }


def _douyin(r: Row) -> dict:
    flags: list[str] = []
    detail = plain(r.get("详细地址"), flags, "address")
    return {
        "source_record_key": r.get("主订单编号"),
        "event_at": event(r.get("支付完成时间"), r.get("订单提交时间")),
        "full_name": plain(r.get("收件人"), flags, "name"),
        "phone": plain(r.get("收件人手机号"), flags, "phone"),
        "address_line": cn_address(r.get("省"), r.get("市"), r.get("区"), r.get("街道"), detail) if detail else None,
        "province": r.get("省"),
        "city": r.get("市"),
        "district": r.get("区"),
        "order_amount": amount(r.get("订单应付金额")),
        "currency": "CNY",
        "order_status": r.get("订单状态"),
        "items": item(r.get("选购商品", "商品名称"), r.get("商品数量")),
        "notes": joined(r.get("买家留言"), r.get("商家备注"), sep="; "),
        "quality_flags": flagged(flags),
    }


# Order matters: the first layout whose header groups all match wins.
LAYOUTS = (
    Layout("youzan", "youzan", (("订单号",), _YOUZAN_NAME, _YOUZAN_PHONE), _youzan),
    Layout(
        "pinduoduo",
        "pinduoduo",
        (("订单号",), ("收货人",), ("商家实收金额(元)", "用户实付金额(元)", "商品总价(元)")),
        _pinduoduo,
    ),
    Layout(
        "jd",
        "jd",
        (("订单号",), ("客户姓名", "收货人"), ("客户地址", "收货地址"), ("下单时间", "订单金额", "京东价")),
        _jd,
    ),
    Layout("douyin", "douyin", (("主订单编号",), ("收件人",), ("收件人手机号",)), _douyin),
    Layout(
        "tmall_qianniu",
        "tmall",
        (("订单编号", "主订单编号"), ("收货地址",), ("买家应付货款", "商品标题", "宝贝标题", "买家会员名", "买家昵称")),
        _tmall_qianniu,
        excludes=("收件人手机号",),
    ),
)
