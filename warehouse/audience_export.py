"""Audience export: one channel's published audience, for a marketing tool, with who was left out and why.

`unify audience export` and the admin page /admin/audience both call `build_export`. It reads the
published tables only: the channel's rows of marketing_audience_channels (the marts' per-channel
consent decision, marts/audience.py), narrowed to a segment of customer_value (top20, at-risk,
tier=A|B|C). Every customer of the segment (every golden customer without one) who is not in the
export is in the suppression list with one reason, the first that holds:

* opted_out: opted out of this channel (customer_consent) or of every channel (golden_customers);
* no_contact: no address for the channel (email, phone for sms and phone, WeChat ID, postal address);
* open_complaint: an open complaint ticket keeps them out of every channel;
* address_opted_out: the address is also that of a customer opted out of the channel;
* shared_address: the address goes to another customer (one holder per address);

and every customer erased at their request (subject_requests), reason erased, whatever the segment:
the marketing tool may still hold them from an earlier export.

The export holds the contact field (that is its purpose: docs/privacy.md); the suppression list
holds customer IDs, reasons and fixed texts only. Each export leaves an audit_log row (action
audience_export: who, when, channel, segment, format, rows, suppressed), from the command line
and from the page alike.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass

from sqlalchemy import Engine, insert, inspect, text

from common.clock import utc_now
from marts.audience import CHANNEL_ADDRESS
from sources.standardise.consent import PURPOSE
from warehouse.publish import ensure_state_tables
from warehouse.tables import audit_log, customer_value, marketing_audience_channels, subject_requests

CHANNELS = tuple(CHANNEL_ADDRESS)  # email, phone, sms, wechat, mail
FORMATS = ("csv", "xlsx")
TIERS = ("A", "B", "C")
SEGMENTS_HELP = "top20, at-risk or tier=A|B|C"
EXPORT_COLUMNS = ("customer_id", "display_name", "channel", "address")
SUPPRESSION_COLUMNS = ("customer_id", "channel", "reason", "detail")
ADDRESS_NAMES = {"email": "email", "phone": "phone", "wechat": "WeChat ID", "address": "postal address"}
AUDIT_ACTION = "audience_export"


class ExportError(ValueError):
    """An expected problem with an export: a bad channel, segment or format, nothing published."""


@dataclass(frozen=True)
class Segment:
    name: str  # as given: top20, at-risk, tier=A; 'all' for no segment
    condition: str  # SQL over customer_value v
    params: dict


@dataclass(frozen=True)
class AudienceExport:
    channel: str
    segment: str
    rows: list[dict]  # EXPORT_COLUMNS
    suppressed: list[dict]  # SUPPRESSION_COLUMNS

    def name(self) -> str:
        """The file name stem: audience-email-top20."""
        return f"audience-{self.channel}-{self.segment.replace('=', '-')}"


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ExportError(f"unknown channel {channel!r}: use one of {', '.join(sorted(CHANNELS))}")
    return channel


def check_format(kind: str) -> str:
    if kind not in FORMATS:
        raise ExportError(f"unknown format {kind!r}: use csv or xlsx")
    return kind


def parse_segment(text: str | None) -> Segment:
    """top20, at-risk or tier=A|B|C (customer_value); None or '' for every customer."""
    value = (text or "").strip()
    if not value or value == "all":
        return Segment("all", "true", {})
    if value == "top20":
        return Segment(value, "v.is_top_20pct", {})
    if value == "at-risk":
        return Segment(value, "v.is_at_risk", {})
    tier = value.removeprefix("tier=").upper()
    if value.startswith("tier=") and tier in TIERS:
        return Segment(f"tier={tier}", "v.value_tier = :tier", {"tier": tier})
    raise ExportError(f"unknown segment {value!r}: use {SEGMENTS_HELP}")


def _refused(who: str) -> str:
    """SQL: customer `who` opted out of the channel, or of every channel."""
    return f"""({who}.marketing_opt_out or exists (select 1 from customer_consent c
        where c.customer_id = {who}.customer_id and c.channel = :channel and c.purpose = :purpose
        and c.status = 'opted_out'))"""


def _left_out_sql(column: str, segment: Segment) -> str:
    return f"""
with population as (
    select g.* from golden_customers g left join customer_value v on v.customer_id = g.customer_id
    where {segment.condition}
)
select p.customer_id,
       case when {_refused("p")} then 'opted_out'
            when p.{column} is null then 'no_contact'
            when exists (select 1 from marketing_suppressions s
                         where s.customer_id = p.customer_id and s.reason = 'open_complaint') then 'open_complaint'
            when exists (select 1 from golden_customers o where o.customer_id <> p.customer_id
                         and lower(o.{column}) = lower(p.{column}) and {_refused("o")}) then 'address_opted_out'
            else 'shared_address' end as reason,
       p.marketing_opt_out
from population p
where not exists (select 1 from marketing_audience_channels a where a.customer_id = p.customer_id and a.channel = :channel)
order by p.customer_id"""


def _export_sql(segment: Segment) -> str:
    return f"""
select a.customer_id, a.display_name, a.channel, a.address
from marketing_audience_channels a left join customer_value v on v.customer_id = a.customer_id
where a.channel = :channel and {segment.condition}
order by a.customer_id"""


ERASED_SQL = "select distinct customer_id from subject_requests where kind = 'erase' and result = 'done' order by 1"


def _detail(channel: str, column: str, reason: str, every_channel: bool) -> str:
    """A fixed text per reason: names a channel, never a person's data."""
    return {
        "opted_out": "opted out of every channel" if every_channel else f"opted out of {channel}",
        "no_contact": f"no {ADDRESS_NAMES[column]}",
        "open_complaint": "an open complaint ticket",
        "address_opted_out": f"the {channel} address also belongs to a customer opted out of it",
        "shared_address": f"the {channel} address goes to another customer",
        "erased": "erased at the data subject's request",
    }[reason]


def build_export(engine: Engine, channel: str, segment: str | None = None) -> AudienceExport:
    """The channel's audience in the segment, and every left-out customer with the reason."""
    check_channel(channel)
    chosen, column = parse_segment(segment), CHANNEL_ADDRESS[channel]
    params = {"channel": channel, "purpose": PURPOSE, **chosen.params}
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        missing = [t.name for t in (marketing_audience_channels, customer_value) if t.name not in present]
        if missing:
            raise ExportError(f"the warehouse has no {', '.join(missing)} published yet: run `unify run` first")
        rows = [dict(r._mapping) for r in conn.execute(text(_export_sql(chosen)), params)]
        left_out = conn.execute(text(_left_out_sql(column, chosen)), params).all()
        erased = conn.execute(text(ERASED_SQL)).scalars().all() if subject_requests.name in present else []
    suppressed = [
        {"customer_id": c, "channel": channel, "reason": r, "detail": _detail(channel, column, r, bool(every))}
        for c, r, every in left_out
    ] + [{"customer_id": c, "channel": channel, "reason": "erased", "detail": _detail(channel, column, "erased", False)}
         for c in erased]  # fmt: skip
    return AudienceExport(channel, chosen.name, rows, suppressed)


def to_bytes(rows: list[dict], columns: tuple[str, ...], kind: str) -> bytes:
    """The rows as a CSV (UTF-8, header first) or an .xlsx workbook of one sheet."""
    check_format(kind)
    if kind == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row[c] for c in columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.data_type = "s"  # text as text: a name typed as '=...' must not become a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_files(export: AudienceExport, kind: str) -> dict[str, bytes]:
    """file name -> content: the export and its suppression file beside it."""
    stem = export.name()
    return {
        f"{stem}.{kind}": to_bytes(export.rows, EXPORT_COLUMNS, kind),
        f"{stem}.suppressed.{kind}": to_bytes(export.suppressed, SUPPRESSION_COLUMNS, kind),
    }


def zipped(files: dict[str, bytes]) -> bytes:
    """The files in one zip archive (the page's download)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def audit_export(engine: Engine, by: str, export: AudienceExport, kind: str, via: str) -> None:
    """The audit_log row of an export: who, when, channel, segment, format and the counts; no one's data."""
    detail = {
        "channel": export.channel,
        "segment": export.segment,
        "format": kind,
        "rows": len(export.rows),
        "suppressed": len(export.suppressed),
        "via": via,
    }
    row = {"at": utc_now(), "username": by, "action": AUDIT_ACTION, "target": None}
    with engine.begin() as conn:
        ensure_state_tables(conn)
        conn.execute(insert(audit_log).values(**row, detail=json.dumps(detail, sort_keys=True)))
