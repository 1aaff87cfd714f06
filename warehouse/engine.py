"""The warehouse engine from its URL: embedded DuckDB by default, PostgreSQL for BI tools."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

DEFAULT_WAREHOUSE_URL = "duckdb:///data/warehouse.duckdb"


class WarehouseURLError(ValueError):
    pass


def warehouse_url(url: str | None = None) -> str:
    return url or os.environ.get("UNIFY_WAREHOUSE") or DEFAULT_WAREHOUSE_URL


def make_engine(url: str | None = None) -> Engine:
    url = warehouse_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise WarehouseURLError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in {"duckdb", "postgresql"}:
        raise WarehouseURLError(f"unsupported warehouse {parsed.get_backend_name()!r}: use duckdb:///FILE or postgresql+psycopg://...")
    if parsed.get_backend_name() == "duckdb" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "duckdb":
        # no pooled connections: DuckDB locks its file per process, so hold it only while working
        return create_engine(parsed, poolclass=NullPool)
    return create_engine(parsed, pool_pre_ping=True)


def is_duckdb(engine: Engine) -> bool:
    return engine.dialect.name == "duckdb"
