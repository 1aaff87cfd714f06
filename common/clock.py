"""The time a row is stamped with."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now in UTC without a zone: how every state and published table keeps a time, on DuckDB and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)
