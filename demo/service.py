"""service/: call-centre tickets (CSV, Chinese headers) and help-desk tickets (JSON lines); a
ticket may cite a real order of the same person."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np

from demo.files import Truth, random_times, time_strings
from demo.people import People
from demo.render import Render
from demo.shop import Orders

_OPT_OUT_TICKETS = [
    "客户要求不再接收营销短信",
    "客户要求退订促销短信",
    "不要再发广告了，再发就投诉",
    "客户表示不再接收营销电话",
]

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

CALL_HEADER = ["工单号", "创建时间", "渠道", "客户称呼", "来电号码", "关联订单号", "类型", "状态", "满意度", "问题描述"]

CALL_FILE = "service/call_center_tickets.csv"

HELPDESK_FILE = "service/helpdesk_tickets.jsonl"


def _ticket_times(people: People, who: list, orders: Orders, rd: Render, rng: np.random.Generator, cite: float):
    """Ticket times and cited order numbers: a cited order is one of the person's own, and the
    ticket comes after it."""
    n = len(who)
    base = random_times(rng, n, dt.date(2023, 1, 1), dt.date(2025, 10, 31))
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


def call_centre(
    people: People, counts: np.ndarray, orders: Orders, rd: Render, rng: np.random.Generator, truth: Truth
) -> list:
    who = rng.permutation(np.repeat(np.arange(len(people)), counts)).tolist()
    order, order_nos, times = _ticket_times(people, who, orders, rd, rng, cite=0.3)
    stamps = time_strings(times)
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


def helpdesk(
    people: People, counts: np.ndarray, orders: Orders, rd: Render, rng: np.random.Generator, truth: Truth
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
