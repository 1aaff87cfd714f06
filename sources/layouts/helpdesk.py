"""Help-desk ticket exports: Zendesk (CSV export and the tickets API's JSON) and Freshdesk (CSV).

A ticket's requester is the person: Zendesk's CSV names them in 'Requester' / 'Requester email',
its API JSON under via.source.from.{name,address} (else from a side-loaded `users` list, else from
another ticket of the same requester in the file); 'Requester id' / requester_id is an exact id within Zendesk (zendesk:<id>), so
the tickets of one requester belong together. Opt-out wording in a subject or description is a
consent statement for the channel it names (else for all), as in the other ticket sources.
Header sources: docs/sources.md.
"""

from __future__ import annotations

import json

from sources.layouts.common import Layout, Row, cell, event, phones, prefixed
from sources.reading import FileResult
from sources.standardise import consent


def _ticket_type(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _zendesk_csv(r: Row) -> dict:
    subject = r.get("Subject")
    return {
        "source_record_key": r.get("Id", "Ticket ID"),
        "event_at": event(r.get("Created at")),
        "full_name": r.get("Requester"),
        "email": r.get("Requester email"),
        "external_id": prefixed("zendesk", r.get("Requester id")),
        "company": r.get("Organization"),
        "ticket_type": _ticket_type(r.get("Ticket type", "Type")),
        "ticket_status": r.get("Status"),
        "channel": r.get("Via"),
        "satisfaction": r.get("Satisfaction Score", "Satisfaction"),
        "ticket_text": subject,
        "consent": consent.joined(consent.text_statements(subject)),
    }


def _freshdesk_csv(r: Row) -> dict:
    subject = r.get("Subject")
    return {
        "source_record_key": r.get("Ticket ID"),
        "event_at": event(r.get("Created time")),
        "full_name": r.get("Full name", "Requester Name"),
        "email": r.get("Email", "Requester Email"),
        "phone": phones(r.get("Mobile phone"), r.get("Work phone")),
        "external_id": prefixed("freshdesk", r.get("Contact ID")),
        "company": r.get("Company Name"),
        "ticket_type": _ticket_type(r.get("Type")),
        "ticket_status": r.get("Status"),
        "channel": r.get("Source"),
        "satisfaction": r.get("Survey results"),
        "ticket_text": subject,
        "consent": consent.joined(consent.text_statements(subject)),
    }


CSV_LAYOUTS = (
    Layout(
        "zendesk_csv",
        "zendesk",
        (("Id",), ("Requester",), ("Requester email", "Requester id"), ("Subject",)),
        _zendesk_csv,
    ),
    Layout(
        "freshdesk_csv",
        "freshdesk",
        (("Ticket ID",), ("Subject",), ("Full name", "Email", "Contact ID")),
        _freshdesk_csv,
    ),
)


# ---------------------------------------------------------------- Zendesk API JSON


def zendesk_tickets(text: str) -> tuple[list, dict] | None:
    """(tickets, users by id) when the text is Zendesk API JSON, else None.

    Accepted: the API's page `{"tickets": [...], "users": [...]}`, a list of tickets, or one ticket
    per line (an incremental export). A ticket is recognised by its `via` or `requester_id`."""
    stripped = text.lstrip()
    first_line = stripped.split("\n", 1)[0]
    first = _json(first_line)
    if isinstance(first, dict) and _is_ticket(first):
        return _lines(stripped), {}
    document = first if first is not None and first_line.strip() == stripped.strip() else _json(stripped)
    if isinstance(document, dict) and isinstance(document.get("tickets"), list):
        return document["tickets"], _users(document.get("users"))
    if isinstance(document, list) and document and isinstance(document[0], dict) and _is_ticket(document[0]):
        return document, {}
    return None


def _json(text: str):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return None


def _is_ticket(value: dict) -> bool:
    return "via" in value or "requester_id" in value


def _lines(text: str) -> list:
    """One entry per non-empty line: the ticket, or the line itself when it is not a JSON object."""
    return [value if isinstance(value := _json(line), dict) else line for line in text.splitlines() if line.strip()]


def _users(users) -> dict:
    if not isinstance(users, list):
        return {}
    return {u.get("id"): u for u in users if isinstance(u, dict) and u.get("id") is not None}


def read_zendesk_json(tickets: list, users: dict, result: FileResult) -> None:
    """Stage each ticket; row n is the n-th ticket of the list (or the n-th non-empty line)."""
    result.source_format = "zendesk_json"
    users = {**senders(tickets), **users}
    for number, ticket in enumerate(tickets, start=1):
        if not isinstance(ticket, dict):
            result.quarantine(
                "", number, "not a JSON ticket object", ticket if isinstance(ticket, str) else str(ticket)
            )
            continue
        result.stage("", number, zendesk_ticket(ticket, users), ticket)


def senders(tickets: list) -> dict:
    """Requester id -> {name, email} from the tickets whose sender is known: a web-form ticket of
    the same requester (via.source.from is empty there) is theirs, by Zendesk's own id."""
    found: dict = {}
    for t in tickets:
        sender = _at(t, "via", "source", "from") if isinstance(t, dict) else None
        if isinstance(sender, dict) and (sender.get("name") or sender.get("address")):
            found.setdefault(t.get("requester_id"), {"name": sender.get("name"), "email": sender.get("address")})
    return found


def _at(value, *path):
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def zendesk_ticket(t: dict, users: dict) -> dict:
    sender = _at(t, "via", "source", "from") or {}
    user = users.get(t.get("requester_id")) or {}
    subject = cell(t.get("subject"))
    description = cell(t.get("description"))
    return {
        "source_system": "zendesk",
        "source_record_key": cell(t.get("id")),
        "event_at": event(cell(t.get("created_at"))),
        "full_name": cell(sender.get("name")) or cell(user.get("name")),
        "email": cell(sender.get("address")) or cell(user.get("email")),
        "phone": cell(sender.get("phone")) or cell(user.get("phone")),
        "external_id": prefixed("zendesk", cell(t.get("requester_id"))),
        "ticket_type": _ticket_type(cell(t.get("type"))),
        "ticket_status": cell(t.get("status")),
        "channel": cell(_at(t, "via", "channel")),
        "satisfaction": cell(_at(t, "satisfaction_rating", "score")),
        "ticket_text": subject,
        "consent": consent.joined([*consent.text_statements(subject), *consent.text_statements(description)]),
    }
