"""CRM contact exports: HubSpot, Salesforce, Zoho CRM, and the generic first/last/email/phone shape.

One contact per row, read wherever the file sits (shop/, sales/, service/): its names become
given_name/family_name, its owner ('Contact owner', 'Contact Owner', 'Owner', '所有者') the
salesperson. In sales/ a contact without an owner keeps the file stem as salesperson, and the
generic shape (no vendor's own columns) is left to the salesperson-sheet reader, which maps first
and last names too and keeps its dates and consent columns. Opt-out columns ('Unsubscribed from
all email', 'Email Opt Out': e-mail; 'Do Not Call': phone) state an opt-out for an explicit yes;
a 'false' there is silence, not consent. Header sources: docs/sources.md.
"""

from __future__ import annotations

from collections.abc import Callable

from sources.layouts.common import Layout, Row, event, joined, phones, prefixed
from sources.standardise import consent

ID_HEADERS = ("Record ID", "Contact ID", "Contact ID 18", "Record Id", "Id")
OWNER_HEADERS = ("Contact owner", "Contact Owner", "Owner", "Account Owner", "所有者", "负责人")
# consent column -> the channel it speaks for (ALL: every marketing channel)
OPT_OUT_HEADERS = {
    "Unsubscribed from all email": "email",
    "Opted out of all email": "email",
    "Email Opt Out": "email",
    "Has Opted Out of Email": "email",
    "Do Not Call": "phone",
    "Do Not Contact": consent.ALL,
}
OPT_IN_HEADERS = {"Accepts Email Marketing": "email", "Email Opt In": "email", "Marketing Opt In": consent.ALL}


def contact_record(system: str) -> Callable[[Row], dict]:
    def record(r: Row) -> dict:
        contact = r.get(*ID_HEADERS)
        return {
            "source_record_key": contact,
            "salesperson": r.get(*OWNER_HEADERS),
            "event_at": event(
                r.get("Last Activity Date", "Last Modified Date", "Modified Time", "Create Date", "Created Time")
            ),
            "full_name": r.get("Full Name", "Contact Name"),
            "given_name": r.get("First Name", "Given Name"),
            "family_name": r.get("Last Name", "Surname", "Family Name"),
            "email": r.get("Email", "Email Address", "E-mail"),
            "phone": phones(
                r.get("Phone Number", "Phone"),
                r.get("Mobile Phone Number", "Mobile", "Mobile Phone"),
                r.get("Home Phone"),
            ),
            "company": r.get("Company Name", "Company", "Account Name", "Associated Company"),
            "address_line": r.get("Street Address", "Mailing Street", "Mailing Address", "Address", "Street"),
            "city": r.get("City", "Mailing City"),
            "province": r.get(
                "State/Region", "Mailing State/Province", "Mailing State/Province (text only)", "Mailing State", "State"
            ),
            "postcode": r.get("Postal Code", "Mailing Zip/Postal Code", "Mailing Zip", "Zip"),
            "country": r.get("Country/Region", "Mailing Country", "Mailing Country (text only)", "Country"),
            "birth_date": r.get("Birthdate", "Date of Birth", "Birthday"),
            "external_id": prefixed(system, contact),
            "consent": consent.joined(
                [consent.yes_no_statement(c, r.get(h)) for h, c in OPT_IN_HEADERS.items()]
                + [consent.yes_no_statement(c, r.get(h), refuses=True) for h, c in OPT_OUT_HEADERS.items()]
            ),
            "notes": joined(r.get("Description"), r.get("Notes"), sep="; "),
        }

    return record


# Order matters: Zoho and Salesforce share 'Account Name'; HubSpot says 'Company Name'.
VENDOR_LAYOUTS = (
    Layout(
        "zoho_contacts",
        "zoho",
        (("Last Name",), ("Account Name",), ("Mailing Zip", "Mailing State", "Record Id")),
        contact_record("zoho"),
    ),
    Layout(
        "salesforce_contacts",
        "salesforce",
        (
            ("Last Name",),
            ("Account Name", "Mailing Street", "Mailing Zip/Postal Code", "Mailing State/Province", "Contact ID 18"),
        ),
        contact_record("salesforce"),
    ),
    Layout(
        "hubspot_contacts",
        "hubspot",
        (
            ("First Name", "Last Name"),
            ("Email",),
            (
                "Record ID",
                "Contact ID",
                "Phone Number",
                "Lifecycle Stage",
                "State/Region",
                "Country/Region",
                "Unsubscribed from all email",
                "Marketing contact status",
            ),
        ),
        contact_record("hubspot"),
    ),
)
GENERIC = Layout(
    "crm_contacts",
    "crm",
    (
        ("First Name", "Given Name"),
        ("Last Name", "Surname", "Family Name"),
        ("Email", "Email Address", "Phone", "Mobile", "Phone Number"),
    ),
    contact_record("crm"),
)
LAYOUTS = VENDOR_LAYOUTS + (GENERIC,)
