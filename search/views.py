"""What each page and its API twin answer: shared so the two can never disagree.

Functions here read the current snapshot (or, for the review queue, the warehouse through short
connections), write the audit entry, and raise HTTPException for what the caller got wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException

from search.auth import Staff
from search.explain import Explainer
from search.profile import customer_profile
from search.retry import retry_when_busy
from search.snapshot import Snapshot
from search.staff import read_audit
from search.store import Store
from warehouse.review import PAIR_FIELDS, UnknownPair, decide, get_pair, list_queue

T = TypeVar("T")


def search(store: Store, staff: Staff, q: str, limit: int) -> dict:
    snapshot = store.snapshot
    results = snapshot.search(q, limit)
    kinds = sorted({m["kind"] for r in results for m in r["matched"]})
    # the query itself is not logged: it is often a phone number or an email
    store.audit(staff.username, "search", None, f"{len(results)} results; matched by {','.join(kinds) or 'nothing'}")
    return {"run_id": snapshot.run_id, "results": results}


def customer(store: Store, staff: Staff, customer_id: str) -> dict:
    snapshot = store.snapshot
    profile = customer_profile(snapshot, customer_id)
    if profile is None:
        raise _unknown_customer(snapshot, customer_id)
    store.audit(staff.username, "view_customer", customer_id)
    return profile


def why(store: Store, explainer: Explainer, staff: Staff, customer_id: str) -> dict:
    snapshot = store.snapshot
    if snapshot.customer(customer_id) is None:
        raise _unknown_customer(snapshot, customer_id)
    records = snapshot.records.rows(customer_id)
    store.audit(staff.username, "view_customer", customer_id, "why merged")
    return {
        "customer_id": customer_id,
        "model_available": explainer.available,
        "records": [
            {
                k: r[k]
                for k in ("source_system", "source_file", "source_sheet", "source_row", "name", "match_probability")
            }
            for r in records
        ],
        "links": explainer.explain(records, snapshot.records.table, snapshot.run_id),
    }


def _unknown_customer(snapshot: Snapshot, customer_id: str) -> HTTPException:
    survivor = snapshot.merged_into.get(customer_id)
    if survivor:
        return HTTPException(
            404, {"message": "this customer ID was merged into another customer", "merged_into": survivor}
        )
    return HTTPException(404, "no such customer in the published tables")


def queue(store: Store, status: str, limit: int) -> dict:
    def read() -> list[dict] | None:
        if not _queue_published(store):
            return None
        return list_queue(store.engine, None if status == "all" else status, limit)

    pairs = with_warehouse(store, read)
    return {"published": pairs is not None, "status": status, "pairs": pairs or []}


def pair(store: Store, explainer: Explainer, pair_id: str) -> dict:
    try:
        row = with_warehouse(
            store, lambda: get_pair(store.engine, pair_id) if _queue_published(store) else _no_pair(pair_id)
        )
    except UnknownPair:
        raise HTTPException(404, "no such pair in the review queue") from None
    snapshot = store.snapshot
    left, right = (
        _record(
            snapshot,
            row[f"{side}_customer_id"],
            row[f"{side}_source_file"],
            row[f"{side}_source_sheet"],
            row[f"{side}_source_row"],
        )
        for side in ("left", "right")
    )
    fields = [
        {
            "field": f,
            "label": label,
            "left": (left or {}).get(f),
            "right": (right or {}).get(f),
            "same": _same((left or {}).get(f), (right or {}).get(f)),
        }
        for f, label in PAIR_FIELDS
    ]
    links = explainer.explain([left, right], snapshot.records.table, snapshot.run_id) if left and right else []
    return {"pair": row, "left": left, "right": right, "fields": fields, "explanation": links[0] if links else None}


def decide_pair(store: Store, staff: Staff, pair_id: str, decision: str, reason: str | None) -> dict:
    try:
        record = with_warehouse(
            store,
            lambda: (
                decide(store.engine, pair_id, decision, staff.username, reason)
                if _queue_published(store)
                else _no_pair(pair_id)
            ),
        )
    except UnknownPair:
        raise HTTPException(404, "no such pair in the review queue") from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    store.audit(staff.username, "decide_pair", pair_id, decision)
    return record


def _queue_published(store: Store) -> bool:
    """The review queue appears with the first run that publishes one."""
    return "match_review_queue" in store.snapshot.tables


def _no_pair(pair_id: str):
    raise UnknownPair(pair_id)


def audit_entries(store: Store, limit: int) -> list[dict]:
    return with_warehouse(store, lambda: read_audit(store.engine, limit))


def with_warehouse(store: Store, action: Callable[[], T]) -> T:
    """A short warehouse action, one at a time from this process, retried while a run publishes."""
    with store.io_lock:
        return retry_when_busy(action)


def _record(snapshot: Snapshot, customer_id: str | None, file: str, sheet: str, row: int) -> dict | None:
    """A published record by its lineage key (looked for among its customer's records)."""
    for record in snapshot.records.rows(customer_id) if customer_id else []:
        if (record["source_file"], record["source_sheet"], record["source_row"]) == (file, sheet, row):
            return record
    return None


def _same(left, right) -> bool | None:
    return None if left is None or right is None else left == right
