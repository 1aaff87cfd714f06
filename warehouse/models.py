"""The linkage models of a warehouse (state table `linkage_models`): every version kept, the
latest saved is the one runs score with.

The model is state of its warehouse like the identity registry: a run against another warehouse
finds that warehouse's model, or none, never this one's. Saving is its own transaction, so a
model trained by a run that later fails to publish is kept. A model is handled here as the
document linkage.model_store builds (version, trained_at, design, data_profile,
trained_on_records, splink, labels); this module only maps it onto rows. A warehouse made before
a column existed gains it with its next saved model; until then it reads as null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, inspect, select

from common.clock import utc_now
from warehouse.publish import add_missing_columns, ensure_state_tables
from warehouse.tables import linkage_models

NEWEST_FIRST = (linkage_models.c.saved_at.desc(), linkage_models.c.version.desc())


def save_model(engine: Engine, document: dict, saved_by: str | None, reason: str) -> None:
    """Keep a model document as this warehouse's newest (current) model."""
    row = {
        "version": document["version"],
        "saved_at": utc_now(),
        "trained_at": _parse_time(document.get("trained_at")),
        "design": document["design"],
        "data_profile": json.dumps(document["data_profile"]) if document.get("data_profile") is not None else None,
        "trained_on_records": document.get("trained_on_records"),
        "model": json.dumps(document["splink"], sort_keys=True),
        "saved_by": saved_by,
        "reason": reason,
        "labels": json.dumps(document["labels"]) if document.get("labels") is not None else None,
    }
    with engine.begin() as conn:
        ensure_state_tables(conn)
        add_missing_columns(conn, linkage_models)
        conn.execute(insert(linkage_models).values(**row))


def current_model(engine: Engine) -> dict | None:
    """The latest saved model of this warehouse as a document; None when it has none yet."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(linkage_models.name):
            return None
        row = conn.execute(select(*_present(conn)).order_by(*NEWEST_FIRST).limit(1)).mappings().first()
    return _document(row) if row is not None else None


def current_labels(engine: Engine) -> dict | None:
    """What reviewers' labels taught the current model, with the thresholds placed on them
    (linkage.labels.train); None when it has no model, or one trained without labels."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(linkage_models.name) or "labels" not in _present_names(conn):
            return None
        text = conn.execute(select(linkage_models.c.labels).order_by(*NEWEST_FIRST).limit(1)).scalar()
    return json.loads(text) if text else None


def current_version(engine: Engine) -> str | None:
    """The version of the current model (without reading the model itself)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(linkage_models.name):
            return None
        return conn.execute(select(linkage_models.c.version).order_by(*NEWEST_FIRST).limit(1)).scalar()


def model_versions(engine: Engine) -> list[dict]:
    """Every model of this warehouse, newest first, without its Splink JSON."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(linkage_models.name):
            return []
        columns = [c for c in _present(conn) if c.name != "model"]
        return [dict(r) for r in conn.execute(select(*columns).order_by(*NEWEST_FIRST)).mappings()]


def has_version(engine: Engine, version: str) -> bool:
    with engine.connect() as conn:
        if not inspect(conn).has_table(linkage_models.name):
            return False
        found = conn.execute(select(linkage_models.c.version).where(linkage_models.c.version == version)).first()
    return found is not None


@dataclass(frozen=True)
class WarehouseModels:
    """The models of one warehouse, saved as by one run (linkage.model_store.ModelStore)."""

    engine: Engine
    saved_by: str | None = None

    def current(self) -> dict | None:
        return current_model(self.engine)

    def has(self, version: str) -> bool:
        return has_version(self.engine, version)

    def save(self, document: dict, reason: str) -> None:
        save_model(self.engine, document, self.saved_by, reason)


def _document(row) -> dict:
    return {
        "version": row["version"],
        "trained_at": row["trained_at"].isoformat() if row["trained_at"] else None,
        "design": row["design"],
        "data_profile": json.loads(row["data_profile"]) if row["data_profile"] else None,
        "trained_on_records": row["trained_on_records"],
        "splink": json.loads(row["model"]),
        "labels": json.loads(row["labels"]) if row.get("labels") else None,
    }


def _present_names(conn) -> set[str]:
    # DuckDB's SQLAlchemy inspector cannot list columns; an empty select names them on both backends
    return set(conn.exec_driver_sql(f'select * from "{linkage_models.name}" limit 0').keys())


def _present(conn) -> list:
    """The columns of linkage_models this warehouse's table has (an older one lacks the newer)."""
    names = _present_names(conn)
    return [c for c in linkage_models.columns if c.name in names]


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=None) if text else None
