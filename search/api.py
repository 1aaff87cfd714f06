"""The JSON API: the same answers as the pages, for scripts and other systems (Bearer token)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from search import views
from search.auth import Staff, api_role, api_staff
from search.keys import MAX_QUERY_LENGTH

router = APIRouter(prefix="/api", tags=["api"])


class Matched(BaseModel):
    kind: str = Field(
        description="which key matched: phone, tail, email, wechat, ref, last4, name, pinyin, tokens, customer_id, fuzzy"
    )
    label: str
    field: str = Field(description="the result field this match lights up")
    value: str = Field(description="the normalised key that matched")


class SearchResult(BaseModel):
    customer_id: str
    display_name: str | None
    name_pinyin: str | None
    phone: str | None = Field(description="E.164")
    email: str | None
    wechat: str | None
    city: str | None
    source_systems: str | None
    source_record_count: int | None
    last_seen_at: datetime | None
    score: float
    matched: list[Matched]


class SearchResponse(BaseModel):
    run_id: str | None = Field(description="the published run the answer comes from")
    results: list[SearchResult]


class DecisionIn(BaseModel):
    decision: Literal["same", "different"]
    reason: str | None = Field(None, max_length=500)


@router.get("/me", summary="Who the token belongs to")
def me(staff: Staff = Depends(api_staff)) -> dict[str, str]:
    return {"username": staff.username, "role": staff.role}


@router.get("/customers", response_model=SearchResponse, summary="Search customers, best match first")
def search_customers(
    request: Request,
    q: str = Query(
        ...,
        max_length=MAX_QUERY_LENGTH,
        description="a name (characters or pinyin), phone, email, WeChat ID, order or ticket number, or surname + last 4 digits",
    ),
    limit: int = Query(20, ge=1, le=100),
    staff: Staff = Depends(api_staff),
) -> dict:
    return views.search(request.app.state.store, staff, q, limit)


@router.get("/customers/{customer_id}", summary="Everything known about one customer")
def get_customer(request: Request, customer_id: str, staff: Staff = Depends(api_staff)) -> dict[str, Any]:
    return views.customer(request.app.state.store, staff, customer_id)


@router.get("/customers/{customer_id}/why", summary="Why the customer's records were merged: match weights per pair")
def why_merged(request: Request, customer_id: str, staff: Staff = Depends(api_staff)) -> dict[str, Any]:
    return views.why(request.app.state.store, request.app.state.explainer, staff, customer_id)


@router.get("/review", summary="The review queue (reviewers)")
def review_queue(
    request: Request,
    status: Literal["pending", "same", "different", "all"] = "pending",
    limit: int = Query(100, ge=1, le=500),
    staff: Staff = Depends(api_role("reviewer")),
) -> dict[str, Any]:
    return views.queue(request.app.state.store, status, limit)


@router.get("/review/{pair_id}", summary="One review pair with both records (reviewers)")
def review_pair(request: Request, pair_id: str, staff: Staff = Depends(api_role("reviewer"))) -> dict[str, Any]:
    return views.pair(request.app.state.store, request.app.state.explainer, pair_id)


@router.post("/review/{pair_id}", summary="Decide a review pair: same or different (reviewers)")
def decide_pair(
    request: Request, pair_id: str, body: DecisionIn, staff: Staff = Depends(api_role("reviewer"))
) -> dict[str, Any]:
    return views.decide_pair(request.app.state.store, staff, pair_id, body.decision, body.reason)


@router.get("/audit", summary="The audit log, newest first (admins)")
def audit(
    request: Request, limit: int = Query(100, ge=1, le=1000), staff: Staff = Depends(api_role("admin"))
) -> dict[str, Any]:
    return {"entries": views.audit_entries(request.app.state.store, limit)}
