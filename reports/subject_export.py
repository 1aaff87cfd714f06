"""The readable page of a data-subject export (warehouse/subjects.export): every table of the
document as an HTML table, every value escaped. Self-contained, to hand to the person."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATE = "subject_export.html"
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]))
# sections first, in this order, with their titles; every other table of the document follows under its own name
TITLES = {
    "source_records": "来源记录及出处 Source records with lineage",
    "source_rows_as_read": "来源文件中的原始内容 Source rows as read from the files",
    "customer_orders": "订单 Orders",
    "customer_service_tickets": "服务工单 Service tickets",
    "customer_consent": "营销同意 Consent",
    "customer_id_history": "客户编号历史 Customer ID history",
    "viewed_by": "查看记录 Who viewed your record",
}
SHOWN_ELSEWHERE = {"golden_customers", "customer_source_records"}


def render(document: dict) -> str:
    tables = document.get("tables", {})
    sections = [(TITLES[name], document.get(name, tables.get(name, []))) for name in TITLES]
    sections += [
        (name, rows) for name, rows in sorted(tables.items()) if name not in TITLES and name not in SHOWN_ELSEWHERE
    ]
    return _templates.get_template(TEMPLATE).render(d=document, sections=sections)
