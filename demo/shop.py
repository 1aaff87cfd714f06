"""shop/: the Tmall seller export (GBK, one row per order) and the Shopify orders export (UTF-8,
one row per line item)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from demo.files import Truth, random_times, time_strings, unique_ids
from demo.people import People
from demo.render import Render

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

TMALL_FILE = "shop/tmall_orders_2025.csv"

SHOPIFY_FILE = "shop/shopify_orders_export.csv"


@dataclass
class Orders:
    """Tmall orders by person, so service tickets can cite a real order of that person."""

    numbers: dict  # person index -> list of (order number, order time as datetime64)


def tmall(
    people: People,
    who: list,
    rd: Render,
    rng: np.random.Generator,
    start: dt.date,
    end: dt.date,
    number_base: int,
    source_file: str,
    truth: Truth,
) -> tuple[list, Orders]:
    n = len(who)
    times = random_times(rng, n, start, end)
    created = time_strings(times)
    paid = time_strings(times + rng.integers(30, 900, n).astype("timedelta64[s]"))
    numbers = unique_ids(rng, n, number_base, 1_000_000)
    tracking = rng.integers(10**11, 10**12, n).tolist()
    orders = Orders({})
    rows = []
    # Newest first, as the seller centre exports them.
    for k in range(n - 1, -1, -1):
        i = who[k]
        rows.append(_tmall_row(people, i, rd, str(numbers[k]), created[k], paid[k], tracking[k]))
        orders.numbers.setdefault(i, []).append((str(numbers[k]), times[k]))
        truth.add(source_file, "", len(rows), people.pid[i], False)
    return rows, orders


def _tmall_row(p: People, i: int, rd: Render, number: str, created: str, paid: str, tracking: int) -> list:
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


def shopify(people: People, counts: np.ndarray, rd: Render, rng: np.random.Generator, truth: Truth) -> list:
    who = rng.permutation(np.repeat(np.arange(len(people)), counts)).tolist()
    n = len(who)
    times = random_times(rng, n, dt.date(2023, 1, 1), dt.date(2025, 10, 31))
    stamps = [s + " +0800" for s in time_strings(times)]
    ids = unique_ids(rng, n, 100_000_000_000, 3_000_000)
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


def _shopify_order(p: People, i: int, rd: Render, name: str, stamp: str, order_id: int) -> list:
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
