"""Short warehouse actions that tolerate a publishing pipeline run.

DuckDB lets one process write its file only while no other process has it open; a pipeline run
publishing holds it for a moment. Writes from the search (audit entries, decisions, accounts)
wait and retry briefly; reads keep the previous snapshot and try again on the next check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import duckdb
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be used right now (its file is locked by a run, or the server is down)."""


def is_lock_error(exc: BaseException | None) -> bool:
    while exc is not None:
        text = str(exc).lower()
        if "could not set lock" in text or "conflicting lock" in text:
            return True
        exc = exc.__cause__ or getattr(exc, "orig", None)
    return False


def retry_when_busy(action: Callable[[], T], attempts: int = 6, first_wait: float = 0.05) -> T:
    """Run action, retrying with backoff (about 1.5 s in all) while the DuckDB file is locked."""
    for attempt in range(attempts):
        try:
            return action()
        except (DBAPIError, duckdb.Error) as exc:
            if not is_lock_error(exc):
                raise
            if attempt + 1 == attempts:
                raise WarehouseUnavailable(
                    "the warehouse is busy (a pipeline run is publishing); try again in a moment"
                ) from exc
        time.sleep(first_wait * 2**attempt)
    raise ValueError("attempts must be at least 1")
