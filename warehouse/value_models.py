"""The value models of a warehouse (state table `value_models`): every fitted version kept, the
latest saved is the one runs predict with.

Like the linkage model (warehouse.models), the value model is state of its warehouse: a run that
cannot fit one (no pymc-marketing, too few repeat buyers, a fit that does not converge) predicts
with the version saved before, and a run on another warehouse never sees this one's. Saving is its
own transaction, so a model fitted by a run that later fails to publish is kept. A model is the
document marts.value_model builds (version, as_of, fitted_on_customers, params, library); this
module only maps it onto rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, insert, inspect, select

from common.clock import utc_now
from warehouse.publish import ensure_state_tables
from warehouse.tables import value_models

NEWEST_FIRST = (value_models.c.saved_at.desc(), value_models.c.version.desc())


def save_value_model(engine: Engine, document: dict, saved_by: str | None, reason: str) -> None:
    """Keep a fitted value model as this warehouse's newest (current) one."""
    row = {
        "version": document["version"],
        "saved_at": utc_now(),
        "as_of": date.fromisoformat(document["as_of"]),
        "fitted_on_customers": document["fitted_on_customers"],
        "params": json.dumps(document["params"], sort_keys=True),
        "library": document.get("library"),
        "saved_by": saved_by,
        "reason": reason,
    }
    with engine.begin() as conn:
        ensure_state_tables(conn)
        conn.execute(insert(value_models).values(**row))


def current_value_model(engine: Engine) -> dict | None:
    """The latest saved value model of this warehouse as a document; None when it has none yet."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(value_models.name):
            return None
        row = conn.execute(select(value_models).order_by(*NEWEST_FIRST).limit(1)).mappings().first()
    return _document(row) if row is not None else None


def value_model_versions(engine: Engine) -> list[dict]:
    """Every value model of this warehouse, newest first, as documents."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(value_models.name):
            return []
        return [_document(r) for r in conn.execute(select(value_models).order_by(*NEWEST_FIRST)).mappings()]


@dataclass(frozen=True)
class WarehouseValueModels:
    """The value models of one warehouse, saved as by one run (marts.value_model.ValueModelStore)."""

    engine: Engine
    saved_by: str | None = None

    def current(self) -> dict | None:
        return current_value_model(self.engine)

    def save(self, document: dict, reason: str) -> None:
        save_value_model(self.engine, document, self.saved_by, reason)


def _document(row) -> dict:
    return {
        "version": row["version"],
        "as_of": row["as_of"].isoformat(),
        "fitted_on_customers": row["fitted_on_customers"],
        "params": json.loads(row["params"]),
        "library": row["library"],
        "reason": row["reason"],
    }
