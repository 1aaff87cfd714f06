"""What each page and its API twin answer: shared so the two can never disagree.

Functions here read the current snapshot (or, for the review queue, the warehouse through short
connections), write the audit entry, and raise HTTPException for what the caller got wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool

from linkage.arrival import RecordError
from search.auth import Staff
from search.branches import Scope
from search.explain import Explainer
from search.keys import bare_tail_hint
from search.links import decision_links, every_link, lineage_key, rule_links
from search.masking import MASKED_FIELDS, mask_row, mask_value, masked_fields
from search.profile import customer_profile, masked_profile, scoped_profile
from search.resolver import NotReady, ResolveService
from search.retry import retry_when_busy
from search.snapshot import Snapshot
from search.staff import read_audit
from search.store import Store
from warehouse.review import PAIR_FIELDS, UnknownPair, decide, decisions_among, get_pair, list_queue

T = TypeVar("T")


def sees_in_full(staff: Staff) -> bool:
    """Admins see contact details unmasked; everyone else masked, unless they unmask a field (audited).
    Reviewers see the records of a review pair in full (pair, below): comparing them is their work."""
    return staff.can("admin")


def search(store: Store, staff: Staff, q: str, limit: int) -> dict:
    snapshot = store.snapshot
    results = snapshot.search(q, limit, store.scope(staff.branches))
    kinds = sorted({m["kind"] for r in results for m in r["matched"]})
    # the query itself is not logged: it is often a phone number or an email
    store.audit(staff.username, "search", None, f"{len(results)} results; matched by {','.join(kinds) or 'nothing'}")
    hint = bare_tail_hint(q)
    if sees_in_full(staff):
        return {"run_id": snapshot.run_id, "results": results, "masked": [], "hint": hint}
    masked = [mask_row(r) for r in results]
    return {"run_id": snapshot.run_id, "results": masked, "masked": masked_fields(), "hint": hint}


def customer(store: Store, staff: Staff, customer_id: str, unmask: list[str] | tuple[str, ...] = ()) -> dict:
    """The customer page's content as this account may see it; unmask: fields to show in full,
    each an audit entry (never the value)."""
    unknown = sorted(set(unmask) - set(MASKED_FIELDS))
    if unknown:
        raise HTTPException(422, f"only these fields can be unmasked: {', '.join(MASKED_FIELDS)}")
    snapshot = store.snapshot
    scope = store.scope(staff.branches)
    profile = customer_profile(snapshot, customer_id) if snapshot.sees(scope, customer_id) else None
    if profile is None:
        raise _unknown_customer(snapshot, customer_id, scope)
    store.audit(staff.username, "view_customer", customer_id)
    profile["other_branches"] = None
    if scope is not None:
        profile = scoped_profile(profile, scope, store.branches())
    if sees_in_full(staff):
        return {**profile, "masked": []}
    for field in sorted(set(unmask)):
        store.audit(staff.username, "unmask", customer_id, field)  # which field, never its value
    return masked_profile(profile, unmask)


def why(store: Store, explainer: Explainer, staff: Staff, customer_id: str) -> dict:
    snapshot = store.snapshot
    scope = store.scope(staff.branches)
    if not snapshot.sees(scope, customer_id):
        raise _unknown_customer(snapshot, customer_id, scope)
    # another branch's records are not shown, nor explained
    records = [r for r in snapshot.records.rows(customer_id) if scope is None or scope.holds(r)]
    store.audit(staff.username, "view_customer", customer_id, "why merged")
    in_full = sees_in_full(staff)
    tickets = snapshot.optional.get("customer_service_tickets")
    rules = rule_links(
        records,
        tickets.rows(customer_id) if tickets is not None else [],
        lambda column, value: value if in_full else mask_value(column, value),
    )
    keys = [lineage_key(r) for r in records]
    people = decision_links(records, with_warehouse(store, lambda: decisions_among(store.engine, keys)))
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
        "links": every_link(rules, people, explainer.explain(records, snapshot.records.table, snapshot.run_id)),
    }


def _unknown_customer(snapshot: Snapshot, customer_id: str, scope: Scope | None = None) -> HTTPException:
    """404 for an unknown customer and, alike, for one outside the account's branches: a limited
    account cannot tell them apart, so it learns nothing of another branch's customers."""
    survivor = snapshot.merged_into.get(customer_id)
    if survivor and snapshot.sees(scope, survivor):
        return HTTPException(
            404, {"message": "this customer ID was merged into another customer", "merged_into": survivor}
        )
    return HTTPException(404, "no such customer in the published tables")


def queue(
    store: Store, status: str, limit: int, scope: Scope | None = None, offset: int = 0, show_same: bool = True
) -> dict:
    """One page of the review queue in its order: `limit` pairs from `offset`, with the total and the
    next page's offset (None at the end). An account limited to branches sees the pairs whose two
    customers it sees; show_same=False leaves out pairs already in one customer, as the review page does."""

    def read() -> list[dict] | None:
        if not _queue_published(store):
            return None
        return list_queue(store.engine, None if status == "all" else status, None)

    pairs = with_warehouse(store, read)
    if pairs is None:
        return {"published": False, "status": status, "pairs": [], "total": 0, "offset": offset, "next_offset": None}
    listed = [p for p in pairs if (scope is None or _pair_in_scope(store.snapshot, p, scope))]
    listed = listed if show_same else [p for p in listed if not one_customer(p)]
    end = offset + limit
    return {
        "published": True,
        "status": status,
        "pairs": listed[offset:end],
        "total": len(listed),
        "offset": offset,
        "next_offset": end if end < len(listed) else None,
    }


def _pair_in_scope(snapshot: Snapshot, row: dict, scope: Scope | None) -> bool:
    return all(snapshot.sees(scope, row[f"{side}_customer_id"] or "") for side in ("left", "right"))


def _queued_pair(store: Store, pair_id: str, scope: Scope | None) -> dict:
    """A pair of the queue; 404 for an unknown one and for one outside the account's branches alike."""
    try:
        row = with_warehouse(
            store, lambda: get_pair(store.engine, pair_id) if _queue_published(store) else _no_pair(pair_id)
        )
    except UnknownPair:
        row = None
    if row is None or (scope is not None and not _pair_in_scope(store.snapshot, row, scope)):
        raise HTTPException(404, "no such pair in the review queue")
    return row


def pair(store: Store, explainer: Explainer, pair_id: str, scope: Scope | None = None) -> dict:
    return _pair_views(store.snapshot, explainer, [_queued_pair(store, pair_id, scope)])[0]


REVIEW_PAGE_SIZE = 20


def review_page(
    store: Store, explainer: Explainer, scope: Scope | None, status: str, page: int, show_same: bool
) -> dict:
    """One page of the review queue to work through: in the queue's order (review_rank), each pair
    with both records and the model's weights; pairs whose records are already one customer hidden
    unless show_same. The progress count is over every pair shown, whatever the status filter."""
    rows = with_warehouse(store, lambda: list_queue(store.engine, None, None) if _queue_published(store) else None)
    if rows is None:
        return {"published": False, "status": status, "pairs": [], "page": 1, "pages": 1, "total": 0, "decided": 0}
    rows = [r for r in rows if scope is None or _pair_in_scope(store.snapshot, r, scope)]
    shown = rows if show_same else [r for r in rows if not one_customer(r)]
    listed = shown if status == "all" else [r for r in shown if r["status"] == status]
    pages = max(1, -(-len(listed) // REVIEW_PAGE_SIZE))
    page = min(max(1, page), pages)
    at = (page - 1) * REVIEW_PAGE_SIZE
    return {
        "published": True,
        "status": status,
        "page": page,
        "pages": pages,
        "first": at + 1,
        "listed": len(listed),
        "total": len(shown),
        "decided": sum(r["status"] != "pending" for r in shown),
        "hidden": len(rows) - len(shown),
        "show_same": show_same,
        "pairs": _pair_views(store.snapshot, explainer, listed[at : at + REVIEW_PAGE_SIZE]),
    }


def one_customer(row: dict) -> bool:
    """Both records of a queued pair already belong to one published customer (other links joined them)."""
    return row["left_customer_id"] is not None and row["left_customer_id"] == row["right_customer_id"]


def _pair_views(snapshot: Snapshot, explainer: Explainer, rows: list[dict]) -> list[dict]:
    """Queued pairs with both records and their fields, and the model's weights (scored together)."""
    views = [_pair_view(snapshot, row) for row in rows]
    both = [v for v in views if v["left"] and v["right"]]
    pairs = [(v["left"], v["right"]) for v in both]
    explained = explainer.explain_pairs(pairs, snapshot.records.table, snapshot.run_id)
    for view, explanation in zip(both, explained):
        view["explanation"] = explanation
    return views


def _pair_view(snapshot: Snapshot, row: dict) -> dict:
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
    return {
        "pair": row,
        "left": left,
        "right": right,
        "fields": fields,
        "explanation": None,
        "one_customer": one_customer(row),
    }


def decide_pair(store: Store, staff: Staff, pair_id: str, decision: str, reason: str | None) -> dict:
    scope = store.scope(staff.branches)
    if scope is not None:
        _queued_pair(store, pair_id, scope)
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


async def resolve(store: Store, service: ResolveService, staff: Staff, record: dict, commit: bool = False) -> dict:
    """The answer to one record, for POST /api/resolve and the resolve page alike: the role rule for
    commit, the resolver's answer (batched with other requests), the audit entry, the branch scope.
    HTTPException 403 (commit by a viewer), 422 (a record that cannot be resolved), 503 (nothing published)."""
    try:
        if commit and not staff.can("resolver"):
            raise HTTPException(403, "commit: true needs the resolver role (or reviewer or admin)")
        if commit:
            answer = await run_in_threadpool(service.commit, record, staff.username)
        else:
            answer = await asyncio.wrap_future(service.submit(record))  # batched with others
    except RecordError as exc:
        raise HTTPException(422, str(exc)) from None
    except NotReady as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "2"}) from None
    # figures and a customer ID only: the record itself is never logged
    detail = f"{answer['decision']}; {len(answer['candidates'])} candidates; run {answer['run_id']}"
    if commit:
        detail += f"; filed {answer['filed']}"
    store.audit(staff.username, "resolve_commit" if commit else "resolve", answer["customer_id"], detail)
    # an account limited to branches sees no candidate outside them
    return scoped_answer(store, staff, answer, lambda kept: service.current().answer(kept))


def resolve_shown(store: Store, staff: Staff, answer: dict) -> list[dict]:
    """The resolve page's candidates with their golden record (name, contacts, city), masked as the
    search masks them for this account; a candidate filed on arrival and not yet published has none."""
    snapshot = store.snapshot
    shown = []
    for candidate in answer["candidates"]:
        golden = snapshot.customer(candidate["customer_id"])
        shown.append({**candidate, "golden": golden if sees_in_full(staff) else mask_row(golden)})
    return shown


def scoped_answer(store: Store, staff: Staff, answer: dict, rank: Callable[[list[dict]], dict]) -> dict:
    """A resolve answer as an account limited to branches may see it: only the candidates it sees,
    ranked again by rank (the resolver's answer: the run's thresholds), as if the other branches'
    customers were not there (new when none is left). A customer the record was just filed under
    (commit) that no published run holds yet stays: it is no other branch's."""
    scope = store.scope(staff.branches)
    if scope is None:
        return answer
    snapshot = store.snapshot
    scoped = {**answer, **rank([c for c in answer["candidates"] if snapshot.sees(scope, c["customer_id"])])}
    if answer.get("committed"):
        filed = answer["customer_id"]
        scoped["customer_id"] = filed if snapshot.sees(scope, filed) or snapshot.cidx(filed) is None else None
    return scoped
