"""The admin pages of data-subject requests: export, erase and correct a customer (warehouse/subjects.py).

Admins only (403 for anyone else). Each request leaves its receipt in the warehouse and an audit
entry; after an erasure the search reloads at once, so the person is never served again.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from reports.subject_export import render as render_export
from search.auth import Staff, check_csrf, page_role
from search.pages import redirect, render
from search.views import with_warehouse
from warehouse import subjects
from warehouse.lock import WarehouseBusy

router = APIRouter(include_in_schema=False)
ADMIN = page_role("admin")
ERASE_WAIT_SECONDS = 5.0  # a request waits this long for a run to finish, then says so


@router.get("/admin/subjects")
def subjects_page(request: Request, customer_id: str = "", staff: Staff = Depends(ADMIN)):
    store = request.app.state.store
    if customer_id.strip():
        return redirect(f"/admin/subjects/{quote(customer_id.strip())}")
    receipts = with_warehouse(store, lambda: subjects.requests(store.engine, 50))
    return render(request, "subjects.html", staff=staff, receipts=receipts, done=request.query_params.get("done"))


@router.get("/admin/subjects/{customer_id}")
def subject_page(request: Request, customer_id: str, staff: Staff = Depends(ADMIN)):
    customer = request.app.state.store.snapshot.customer(customer_id)
    if customer is None:
        raise HTTPException(404, "no such customer is published")
    saved = request.query_params.get("saved")
    return render(
        request, "subject.html", staff=staff, c=customer, fields=subjects.CORRECTABLE, saved=saved, error=None
    )


@router.get("/admin/subjects/{customer_id}/export.{kind}")
def subject_export(request: Request, customer_id: str, kind: str, staff: Staff = Depends(ADMIN)):
    if kind not in ("json", "html"):
        raise HTTPException(404, "an export is .json or .html")
    store = request.app.state.store
    document = _serve(store, lambda: subjects.export(store.engine, customer_id, staff.username, _work(request)))
    store.audit(staff.username, "subject_export", customer_id, kind)
    body, media = (
        (subjects.to_json(document), "application/json") if kind == "json" else (render_export(document), "text/html")
    )
    headers = {"Content-Disposition": f'attachment; filename="{customer_id}.{kind}"'}
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


@router.post("/admin/subjects/{customer_id}/erase")
def subject_erase(
    request: Request, customer_id: str, confirm: str = Form(""), csrf: str = Form(""), staff: Staff = Depends(ADMIN)
):
    check_csrf(request, csrf)
    if confirm.strip() != customer_id:
        raise HTTPException(422, "type the customer ID to confirm the erasure")
    store = request.app.state.store
    key = request.app.state.tombstone_key
    done = _serve(
        store,
        lambda: subjects.erase(store.engine, customer_id, staff.username, key, _work(request), ERASE_WAIT_SECONDS),
    )
    store.audit(staff.username, "subject_erase", customer_id, done["request_id"])
    store.refresh(force=True)  # the person leaves the search now, not at the next publish
    return redirect(f"/admin/subjects?done={quote(done['request_id'])}")


@router.post("/admin/subjects/{customer_id}/rectify")
def subject_rectify(
    request: Request,
    customer_id: str,
    field: str = Form(""),
    value: str = Form("", max_length=500),
    csrf: str = Form(""),
    staff: Staff = Depends(ADMIN),
):
    check_csrf(request, csrf)
    store = request.app.state.store
    done = _serve(store, lambda: subjects.rectify(store.engine, customer_id, field, value, staff.username))
    store.audit(staff.username, "subject_rectify", customer_id, field)
    return redirect(f"/admin/subjects/{quote(customer_id)}?saved={quote(done['request_id'])}")


def _work(request: Request) -> Path | None:
    return Path(request.app.state.work_dir) if request.app.state.work_dir else None


def _serve(store, action):
    """A request's work, with what went wrong as a 4xx: an unknown customer, a bad value, a busy warehouse."""
    try:
        return with_warehouse(store, action)
    except subjects.SubjectError as exc:
        status = 404 if str(exc).startswith("no customer") else 422
        raise HTTPException(status, str(exc)) from None
    except WarehouseBusy:
        raise HTTPException(409, "a pipeline run is using the warehouse: try again when it has finished") from None
