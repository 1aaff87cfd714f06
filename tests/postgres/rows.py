"""Rows of published tables for the publish tests, alike but for what a test varies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pyarrow as pa


def orders(*rows: tuple[str, str, str]) -> pa.Table:
    """customer_orders rows from (order_id, customer_id, status), the rest alike."""
    return pa.Table.from_pylist(
        [
            {
                "order_id": order,
                "customer_id": customer,
                "source_system": "tmall",
                "ordered_at": datetime(2025, 5, 1),
                "amount": Decimal("12.50"),
                "currency": "CNY",
                "status": status,
                "is_successful": True,
                "items": "tea",
                "source_file": "shop/a.csv",
            }  # fmt: skip
            for order, customer, status in rows
        ]
    )
