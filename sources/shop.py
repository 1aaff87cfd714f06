"""E-commerce order exports: Tmall/Taobao seller export and Shopify orders export.

The format is recognised by its header, never by the file name. Order numbers stay strings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sources.formats import export_row_stream
from sources.layouts import SHOP_LAYOUTS, read_csv_layout
from sources.reading import FileResult, UnreadableFile, clean_cell, header_cells, meaningful, row_by_header
from sources.standardise import consent
from sources.standardise.dates import parse_datetime
from sources.standardise.emails import normalise_email

TMALL_SIGNATURE = {"订单编号", "收货人姓名"}
SHOPIFY_SIGNATURE = {"Name", "Email", "Financial Status"}
BUILT_IN_LAYOUTS = ("tmall (订单编号 + 收货人姓名)", "shopify (Name + Email + Financial Status)")
# Shopify repeats an order over one row per line item; these are only on the order's first row.
SHOPIFY_ORDER_FIELDS = (
    "Email",
    "Financial Status",
    "Paid at",
    "Accepts Marketing",
    "Currency",
    "Total",
    "Created at",
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
    "Phone",
    "Id",
    "Notes",
)


def detect_shop_format(header: list[str]) -> str | None:
    cells = set(header_cells(header))
    if TMALL_SIGNATURE <= cells:
        return "tmall"
    if SHOPIFY_SIGNATURE <= cells:
        return "shopify"
    return None


def read_shop_file(path: Path, result: FileResult) -> None:
    # a CSV, or a workbook's first sheet as the same rows; a row at a time: exports reach millions
    rows = export_row_stream(path.read_bytes())
    first = next(rows, None)
    if first is None:
        raise UnreadableFile("empty file")
    header = header_cells(first)
    kind = detect_shop_format(header)
    if kind is None:  # another platform's export, known by its header (sources/layouts/)
        read_csv_layout([first, *rows], SHOP_LAYOUTS, result, "shop export", BUILT_IN_LAYOUTS)
        return
    result.source_format = kind
    # a Shopify order's later lines take its first line's customer; a Tmall row needs only itself
    fill, reader = (shopify_order_filler(), _shopify_record) if kind == "shopify" else (_as_read, _tmall_record)
    for number, row in enumerate(rows, start=1):
        raw = fill(_as_dict(header, row))
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            result.quarantine("", number, f"row has {len(row)} fields, header has {len(header)}", row)
            continue
        result.stage("", number, reader(raw), raw)


def _as_read(row: dict) -> dict:
    return row


def _as_dict(header: list[str], row: list[str]) -> dict:
    return row_by_header(header, row, clean_cell)


def _tmall_record(r: dict) -> dict:
    buyer_account = r.get("买家支付宝账号")
    mobile = r.get("联系手机")
    landline = r.get("联系电话")
    return {
        "source_system": "tmall",
        "source_record_key": r.get("订单编号"),
        "event_at": parse_datetime(r.get("订单付款时间") or r.get("订单创建时间")),
        "full_name": r.get("收货人姓名"),
        "phone": " / ".join(p for p in (mobile, landline) if p) or None,
        # the Alipay account is an email or a phone; keep the email, the phone is usually the mobile
        "email": buyer_account if normalise_email(buyer_account) else None,
        # the prefix alone would make a junk nick ("?", "无") look like an id
        "external_id": f"tmall:{r['买家会员名']}" if meaningful(r.get("买家会员名")) else None,
        "address_line": r.get("收货地址"),
        "order_amount": _amount(r.get("买家实际支付金额") or r.get("总金额")),
        "currency": "CNY",
        "order_status": r.get("订单状态"),
        "items": r.get("宝贝标题"),
        "notes": r.get("订单备注") or r.get("买家留言"),
    }


def shopify_order_filler() -> Callable[[dict], dict]:
    """A function given an export's rows in file order that copies an order's customer fields from
    its first row onto its later line-item rows (it keeps those fields of each order's first row)."""
    first_by_order: dict[str, dict] = {}

    def fill(row: dict) -> dict:
        order = row.get("Name")
        if not order:
            return row
        if order not in first_by_order:
            first_by_order[order] = {k: row.get(k) for k in SHOPIFY_ORDER_FIELDS}
            return row
        first = first_by_order[order]
        return {**row, **{k: first[k] for k in SHOPIFY_ORDER_FIELDS if not row.get(k)}, "_continuation": True}

    return fill


def _shopify_record(r: dict) -> dict:
    address = ", ".join(p for p in (r.get("Billing Address1") or r.get("Shipping Address1"),) if p) or None
    return {
        "source_system": "shopify",
        "source_record_key": r.get("Name"),
        "event_at": parse_datetime(r.get("Paid at") or r.get("Created at")),
        "full_name": r.get("Billing Name") or r.get("Shipping Name"),
        "phone": r.get("Billing Phone") or r.get("Phone") or r.get("Shipping Phone"),
        "email": r.get("Email"),
        "address_line": address,
        "city": r.get("Billing City") or r.get("Shipping City"),
        "province": r.get("Billing Province") or r.get("Shipping Province"),
        "postcode": r.get("Billing Zip"),
        "country": r.get("Billing Country") or r.get("Shipping Country"),
        # Shopify's 'Accepts Marketing' is e-mail marketing: 'no' is an e-mail opt-out, blank says nothing
        "consent": consent.joined([consent.yes_no_statement("email", r.get("Accepts Marketing"))]),
        # the order total sits on the first line-item row only; later rows carry items
        "order_amount": None if r.get("_continuation") else _amount(r.get("Total")),
        "currency": r.get("Currency"),
        "order_status": r.get("Financial Status"),
        "items": _line_item(r),
        "notes": r.get("Notes"),
    }


def _line_item(r: dict) -> str | None:
    name = r.get("Lineitem name")
    if not name:
        return None
    quantity = r.get("Lineitem quantity")
    return f"{name} x{quantity}" if quantity else name


def _amount(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text.replace(",", "").replace("¥", "").replace("$", ""))
    except ValueError:
        return None
