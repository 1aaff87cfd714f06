"""Western shop exports beyond Shopify's orders (sources/shop.py): Shopify's customers export and
WooCommerce's order and customer CSV exports (the Customer/Order/Coupon Export column keys).

Names come as first and last name (staged given_name/family_name; the canonical name combines
them). Shopify's 'Accepts Email Marketing' and 'Accepts SMS Marketing' are explicit consent, each for
its own channel: 'yes' an opt-in, 'no' an opt-out (Shopify writes 'no' for everyone never asked: no
consent to that channel, and nothing said of the others), blank nothing. Header sources: docs/sources.md.
"""

from __future__ import annotations

from sources.layouts.common import Layout, Row, amount, event, item, joined, phones, prefixed
from sources.standardise import consent


def _shopify_customer(r: Row) -> dict:
    customer = r.get("Customer ID", "ID", "Id")
    return {
        "source_record_key": customer,
        "given_name": r.get("First Name"),
        "family_name": r.get("Last Name"),
        "email": r.get("Email"),
        "phone": phones(r.get("Phone"), r.get("Default Address Phone")),
        "company": r.get("Default Address Company", "Company"),
        "address_line": joined(
            r.get("Default Address Address1", "Address1"), r.get("Default Address Address2", "Address2"), sep=", "
        ),
        "city": r.get("Default Address City", "City"),
        "province": r.get("Default Address Province Code", "Province Code", "Province"),
        "postcode": r.get("Default Address Zip", "Zip"),
        "country": r.get("Default Address Country Code", "Country Code", "Country"),
        "external_id": prefixed("shopify_customer", customer),
        "consent": consent.joined(
            [
                _shopify_consent(r, "email", "Accepts Email Marketing", "Accepts Marketing"),
                _shopify_consent(r, "sms", "Accepts SMS Marketing"),
            ]
        ),
        "notes": r.get("Note"),
    }


# Shopify's marketing states (Admin API CustomerEmailMarketingState / CustomerSmsMarketingState, as
# import/export apps write them in '<Email|SMS> Marketing: Status'): anything but subscribed is no consent
MARKETING_STATES = {
    "subscribed": "opt_in",
    "unsubscribed": "withdrawal",  # was subscribed, is not any more
    "not_subscribed": "opt_out",
    "pending": "opt_out",  # a double opt-in not yet confirmed is no consent yet
}


def _shopify_consent(r: Row, channel: str, *accepts: str) -> consent.Statement | None:
    """One channel's statement: the marketing state with its date where the export has them, else the
    yes/no 'Accepts … Marketing' column (Shopify's own export: no date). A blank cell says nothing."""
    label = "Email" if channel == "email" else "SMS"
    kind = MARKETING_STATES.get((r.get(f"{label} Marketing: Status") or "").strip().lower())
    if kind:
        return consent.Statement(channel, kind, event(r.get(f"{label} Marketing: Updated At")))
    return consent.yes_no_statement(channel, r.get(*accepts))


def _woo_billing(r: Row) -> dict:
    return {
        "given_name": r.get("billing_first_name"),
        "family_name": r.get("billing_last_name"),
        "email": r.get("billing_email"),
        "phone": r.get("billing_phone"),
        "company": r.get("billing_company"),
        "address_line": joined(r.get("billing_address_1"), r.get("billing_address_2"), sep=", "),
        "city": r.get("billing_city"),
        "province": r.get("billing_state"),
        "postcode": r.get("billing_postcode"),
        "country": r.get("billing_country"),
    }


def _woo_customer_id(r: Row) -> str | None:
    customer = r.get("customer_id", "customer_user")
    return None if customer in (None, "0") else customer  # 0: a guest checkout


def _woo_order(r: Row) -> dict:
    return {
        **_woo_billing(r),
        "source_record_key": r.get("order_number", "order_id"),
        "event_at": event(r.get("order_date", "date_created")),
        "external_id": prefixed("woocommerce", _woo_customer_id(r)),
        "order_amount": amount(r.get("order_total")),
        "currency": r.get("order_currency", "currency"),
        "order_status": r.get("status", "order_status"),
        "items": item(r.get("item_name"), r.get("item_quantity")),
        "notes": r.get("customer_note"),
    }


def _woo_customer(r: Row) -> dict:
    billing = _woo_billing(r)
    return {
        **billing,
        "given_name": r.get("first_name") or billing["given_name"],
        "family_name": r.get("last_name") or billing["family_name"],
        "email": r.get("email") or billing["email"],
        "source_record_key": _woo_customer_id(r),
        "external_id": prefixed("woocommerce", _woo_customer_id(r)),
        "event_at": event(r.get("date_registered")),
    }


LAYOUTS = (
    Layout(
        "shopify_customers",
        "shopify",
        (
            ("First Name",),
            ("Last Name",),
            ("Email",),
            ("Accepts Email Marketing", "Accepts Marketing"),
            ("Total Spent", "Total Orders", "Accepts SMS Marketing", "Tax Exempt"),
        ),
        _shopify_customer,
    ),
    Layout(
        "woocommerce_customers",
        "woocommerce",
        (("customer_id",), ("billing_first_name",), ("email", "billing_email")),
        _woo_customer,
        excludes=("order_id", "order_number"),
    ),
    Layout(
        "woocommerce_orders",
        "woocommerce",
        (("billing_first_name",), ("billing_email",), ("order_id", "order_number", "order_total")),
        _woo_order,
    ),
)
