"""Consent statements per channel, as each source format states them (sources/standardise/consent.py)."""

from __future__ import annotations

import json
from pathlib import Path

from sources.ingest import ingest


def _staged(root: Path) -> list[dict]:
    return ingest(root).staged.to_pylist()


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_shopify_customers_state_email_and_sms_each_for_its_own_channel(tmp_path):
    # Shopify's own export: yes/no per channel, no dates
    _write(
        tmp_path,
        "shop/customers.csv",
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Phone,Accepts SMS Marketing,Total Spent\n"
        "1,Ann,Lee,ann@x.com,yes,+8613800000001,no,10.00\n"
        "2,Bo,Wu,bo@x.com,,+8613800000002,,5.00\n",
    )
    rows = {r["given_name"]: r for r in _staged(tmp_path)}
    assert rows["Ann"]["consent"] == "email:opt_in;sms:opt_out"
    assert rows["Bo"]["consent"] is None and rows["Bo"]["marketing_opt_out"] is None  # blank: no statement


def test_shopify_marketing_states_carry_their_dates(tmp_path):
    # as import/export apps write Shopify's marketing states: status and when it last changed
    _write(
        tmp_path,
        "shop/customers.csv",
        "ID,First Name,Last Name,Email,Accepts Email Marketing,Email Marketing: Status,Email Marketing: Updated At,"
        "Phone,Accepts SMS Marketing,SMS Marketing: Status,SMS Marketing: Updated At,Total Spent\n"
        "1,Ann,Lee,ann@x.com,no,unsubscribed,2024-02-07 15:30:00,+8613800000001,yes,subscribed,2024-03-01 09:00:00,1\n"
        "2,Bo,Wu,bo@x.com,no,pending,,+8613800000002,no,,,1\n",
    )
    rows = {r["given_name"]: r for r in _staged(tmp_path)}
    assert rows["Ann"]["consent"] == "email:withdrawal@2024-02-07T15:30:00;sms:opt_in@2024-03-01T09:00:00"
    assert rows["Bo"]["consent"] == "email:opt_out;sms:opt_out"  # pending is no consent yet


def test_shopify_orders_accepts_marketing_is_email(tmp_path):
    _write(
        tmp_path,
        "shop/orders.csv",
        "Name,Email,Financial Status,Paid at,Accepts Marketing,Currency,Total,Created at,Lineitem quantity,"
        "Lineitem name,Billing Name,Billing Phone\n"
        "#1001,a@x.com,paid,2025-01-02 10:00:00 +0800,no,CNY,10,2025-01-02 10:00:00 +0800,1,Pen,Ann Lee,13800000001\n",
    )
    (row,) = _staged(tmp_path)
    assert row["consent"] == "email:opt_out" and row["marketing_opt_out"] is True


def test_crm_opt_out_columns_name_their_channel_and_false_is_silence(tmp_path):
    _write(
        tmp_path,
        "sales/crm.csv",
        "Record ID,First Name,Last Name,Email,Phone Number,Unsubscribed from all email,Do Not Call\n"
        "1,Ann,Lee,ann@x.com,+8613800000001,false,true\n"
        "2,Bo,Wu,bo@x.com,+8613800000002,true,false\n",
    )
    rows = {r["given_name"]: r for r in _staged(tmp_path)}
    assert rows["Ann"]["consent"] == "phone:opt_out" and rows["Bo"]["consent"] == "email:opt_out"


def test_sales_sheets_channel_columns_expiry_and_notes(tmp_path):
    _write(
        tmp_path,
        "sales/王芳.csv",
        "客户姓名,手机,营销许可,短信营销,许可有效期,最近联系日期,备注\n"
        "张伟,13800000001,是,否,2026-06-30,2025-01-02,\n"
        "李娜,13800000002,,,,2025-01-03,客户说别再打电话\n"
        "王强,13800000003,,,,,老客户\n",
    )
    rows = {r["full_name"]: r for r in _staged(tmp_path)}
    # the general yes holds until the sheet's expiry; the SMS column's no is SMS only
    assert rows["张伟"]["consent"] == "all:opt_in~2026-06-30T00:00:00;sms:opt_out"
    assert rows["李娜"]["consent"] == "phone:opt_out"
    assert rows["王强"]["consent"] is None


def test_tickets_state_the_channel_their_text_names(tmp_path):
    _write(
        tmp_path,
        "service/calls.csv",
        "工单号,创建时间,渠道,客户称呼,来电号码,关联订单号,类型,状态,满意度,问题描述\n"
        "GD1,2025/02/13 18:39,电话,李先生,13800000001,,投诉,处理中,,客户要求不再接收营销短信\n"
        "GD2,2025/02/14 09:00,电话,王女士,13800000002,,咨询,已关闭,,客户来电要求退订\n",
    )
    ticket = {"ticket_id": "W-1", "created_at": "2025-01-02T08:00:00+08:00", "requester": {"name": "Ann"}}
    lines = [
        {**ticket, "unsubscribe": True},
        {**ticket, "ticket_id": "W-2", "subject": "Please stop texting me"},
        {**ticket, "ticket_id": "W-3", "unsubscribe": False, "subject": "Pen broken"},
    ]
    _write(tmp_path, "service/desk.jsonl", "\n".join(json.dumps(t) for t in lines) + "\n")
    rows = {r["source_record_key"]: r for r in _staged(tmp_path)}
    assert rows["GD1"]["consent"] == "sms:opt_out"
    assert rows["GD2"]["consent"] == "all:opt_out"  # how the customer reached us is not what they refused
    assert rows["W-1"]["consent"] == "all:opt_out"  # the flag names no channel
    assert rows["W-2"]["consent"] == "sms:opt_out"
    assert rows["W-3"]["consent"] is None


def test_a_mapped_yes_no_is_a_statement_about_every_channel(tmp_path):
    _write(tmp_path, "mapped/members.csv", "name,mobile,optout\nAnn,13800000001,yes\nBo,13800000002,\n")
    _write(
        tmp_path,
        "mapped/members.yaml",
        "file: members.csv\nsource_system: loyalty\ncolumns:\n  full_name: name\n  phone: mobile\n"
        "  marketing_opt_out: {column: optout, map: {yes: true, no: false}}\n",
    )
    rows = {r["full_name"]: r for r in _staged(tmp_path)}
    assert rows["Ann"]["consent"] == "all:opt_out" and rows["Ann"]["marketing_opt_out"] is True
    assert rows["Bo"]["consent"] is None
