"""Source systems by what their records are, the one list the marts and the linkage read.

A system's records are orders (one per order, or one per line item under the same order number)
or tickets; any other system (sales, CRM contacts, mapped sources) only describes people.
"""

from __future__ import annotations

# shops whose records carry an order number in source_record_key (sources/shop.py, sources/layouts)
ORDER_SYSTEMS = ("tmall", "shopify", "jd", "pinduoduo", "youzan", "douyin", "woocommerce")
# service desks whose records carry a ticket number (sources/service_logs.py, sources/layouts)
TICKET_SYSTEMS = ("call_center", "helpdesk", "zendesk", "freshdesk")
