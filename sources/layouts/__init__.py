"""Platform export layouts, recognised by header wherever the file sits: one module per family.

    shop_cn.py    Taobao/Tmall (千牛), JD POP, Pinduoduo, Youzan, Douyin 抖店 order exports
    shop_west.py  Shopify customers, WooCommerce orders and customers
    crm.py        HubSpot, Salesforce, Zoho contacts, and the generic first/last/email/phone shape
    helpdesk.py   Zendesk (CSV, API JSON), Freshdesk (CSV) tickets

The kind readers (sources/shop.py, sales_sheets.py, service_logs.py) try their own formats first
and hand a header they do not know to `read_csv_layout` / `read_sheet_layout`. Each layout's header,
the public documentation or code it was taken from, and its fixture: docs/sources.md.
"""

from __future__ import annotations

from sources.layouts import crm, helpdesk, shop_cn, shop_west
from sources.layouts.helpdesk import read_zendesk_json, zendesk_tickets
from sources.layouts.table import locate, read_table, stage_table
from sources.reading import FileResult

SHOP_LAYOUTS = shop_cn.LAYOUTS + shop_west.LAYOUTS + crm.LAYOUTS
SERVICE_LAYOUTS = helpdesk.CSV_LAYOUTS + crm.LAYOUTS
# in sales/ the generic contact shape is a salesperson's sheet (sources/sales_sheets.py reads it)
SALES_LAYOUTS = crm.VENDOR_LAYOUTS + shop_west.LAYOUTS + shop_cn.LAYOUTS + helpdesk.CSV_LAYOUTS


def read_csv_layout(
    rows: list[list[str]], layouts: tuple, result: FileResult, what: str, built_in: tuple[str, ...] = ()
) -> None:
    """Stage a CSV file with the layout its header matches; refuse it naming every known layout."""
    read_table(rows, layouts, result, what, built_in)


def read_sheet_layout(grid: list[list], sheet: str, salesperson: str, result: FileResult) -> bool:
    """Stage a sales/ worksheet that is a platform's export (a CRM's contacts, a shop's orders);
    False when it is not one. A contact without an owner keeps the salesperson of the file."""
    found = locate(grid, SALES_LAYOUTS)
    if found is None:
        return False
    index, layout = found
    defaults = {"salesperson": salesperson} if layout in crm.LAYOUTS else None
    stage_table(grid, index, layout, result, sheet, exact_width=False, defaults=defaults)
    return True


__all__ = [
    "SALES_LAYOUTS",
    "SERVICE_LAYOUTS",
    "SHOP_LAYOUTS",
    "read_csv_layout",
    "read_sheet_layout",
    "read_zendesk_json",
    "zendesk_tickets",
]
