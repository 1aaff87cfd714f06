"""Customer-service tickets: the call-centre CSV and the help-desk JSON lines."""

from __future__ import annotations

from pathlib import Path

from sources.formats import export_row_stream, is_table_export
from sources.layouts import SERVICE_LAYOUTS, read_csv_layout, read_zendesk_json, zendesk_tickets
from sources.reading import (
    BadLine,
    FileResult,
    UnreadableFile,
    clean_cell,
    decode_text,
    header_cells,
    json_lines,
    looks_binary,
    row_by_header,
)
from sources.standardise import consent
from sources.standardise.dates import parse_datetime

CALL_CENTRE_SIGNATURE = {"工单号", "来电号码"}
HELPDESK_KEYS = {"ticket_id", "requester"}
TICKET_TYPES = {
    "维修": "repair",
    "投诉": "complaint",
    "咨询": "inquiry",
    "退换": "return",
    "退货": "return",
    "换货": "return",
}
BUILT_IN_LAYOUTS = ("call_center (工单号 + 来电号码)", "helpdesk JSON lines (ticket_id + requester)")
OPEN_STATUSES = {"待处理", "处理中", "open", "pending", "new", "in progress", "on hold"}


def read_service_file(path: Path, result: FileResult) -> None:
    data = path.read_bytes()
    if looks_binary(data) and not is_table_export(data):
        raise UnreadableFile("binary content where a CSV or JSON-lines text file was expected")
    first = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    zendesk = zendesk_tickets(decode_text(data)) if first in (b"{", b"[") else None
    if zendesk is not None:  # Zendesk's API JSON (sources/layouts/helpdesk.py)
        read_zendesk_json(*zendesk, result)
        return
    if first == b"{":
        result.source_format = "helpdesk"
        _read_helpdesk(data, result)
        return
    rows = export_row_stream(data)  # a CSV, or a workbook's first sheet as the same rows; one at a time
    first = next(rows, None)
    header = header_cells(first) if first is not None else []
    if not CALL_CENTRE_SIGNATURE <= set(header):  # a help desk's or a CRM's export (sources/layouts/)
        read_csv_layout(
            [] if first is None else [first, *rows], SERVICE_LAYOUTS, result, "service log", BUILT_IN_LAYOUTS
        )
        return
    result.source_format = "call_center"
    for number, row in enumerate(rows, start=1):
        if not any(c.strip() for c in row):
            continue
        raw = row_by_header(header, row, clean_cell)
        if len(row) != len(header):
            result.quarantine("", number, f"row has {len(row)} fields, header has {len(header)}", row)
            continue
        result.stage("", number, _call_centre_record(raw), raw)


def ticket_type(value: str | None) -> str | None:
    if not value:
        return None
    return TICKET_TYPES.get(value.strip(), value.strip().lower())


def _call_centre_record(r: dict) -> dict:
    text = r.get("问题描述")
    return {
        "source_system": "call_center",
        "source_record_key": r.get("工单号"),
        "event_at": parse_datetime(r.get("创建时间")),
        "full_name": r.get("客户称呼"),
        "phone": r.get("来电号码"),
        "related_order_id": r.get("关联订单号"),
        "ticket_type": ticket_type(r.get("类型")),
        "ticket_status": r.get("状态"),
        "channel": r.get("渠道"),
        "satisfaction": r.get("满意度"),
        "ticket_text": text,
        "consent": consent.joined(consent.text_statements(text)),
    }


def _read_helpdesk(data: bytes, result: FileResult) -> None:
    for number, ticket in enumerate(json_lines(decode_text(data)), start=1):
        if isinstance(ticket, BadLine):
            result.quarantine("", number, ticket.reason, ticket.line)
            continue
        result.stage("", number, _helpdesk_record(ticket), ticket)


def _helpdesk_record(t: dict) -> dict:
    requester = t.get("requester") if isinstance(t.get("requester"), dict) else {}
    subject = clean_cell(t.get("subject"))
    return {
        "source_system": "helpdesk",
        "source_record_key": clean_cell(t.get("ticket_id")),
        "event_at": parse_datetime(t.get("created_at")),
        "full_name": clean_cell(requester.get("name")),
        "email": clean_cell(requester.get("email")),
        "phone": clean_cell(requester.get("phone")),
        "related_order_id": clean_cell(t.get("order_no")),
        "ticket_type": ticket_type(clean_cell(t.get("type"))),
        "ticket_status": clean_cell(t.get("status")),
        "channel": clean_cell(t.get("channel")),
        "satisfaction": clean_cell(t.get("satisfaction")),
        "ticket_text": subject,
        # the unsubscribe flag names no channel: it covers all marketing; the subject may name one
        "consent": consent.joined(
            [consent.general(True) if t.get("unsubscribe") is True else None, *consent.text_statements(subject)]
        ),
    }
