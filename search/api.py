"""The JSON API: the same answers as the pages, for scripts and other systems (Bearer token)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from linkage.arrival import RECORD_FIELDS, RecordError
from search import views
from search.auth import Staff, api_role, api_staff
from search.keys import MAX_QUERY_LENGTH
from search.masking import MASKED_FIELDS
from search.resolver import BadJSON, parse_request

MASKABLE = Literal[tuple(MASKED_FIELDS)]  # the fields an account can unmask
MAX_RESOLVE_BYTES = 100_000  # a record is a few hundred bytes; a bigger body is refused unread

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
    masked: list[str] = Field(
        [], description="the fields shown masked (phone 138****5678, email z***@qq.com, ...): every role but admin"
    )
    hint: str | None = Field(None, description="what the query lacks, e.g. a name beside a phone's last 4 digits")


class UnmaskIn(BaseModel):
    fields: list[MASKABLE] = Field(..., min_length=1, description="the fields to show in full (audited)")


class DecisionIn(BaseModel):
    decision: Literal["same", "different"]
    reason: str | None = Field(None, max_length=500)


class Why(BaseModel):
    comparison: str = Field(description="the model's comparison (name, phone, email, ...), or rule")
    level: str = Field(description="the comparison level the pair reached, or the rule that joined it")
    match_weight: float | None = Field(
        description="its match weight with the term-frequency adjustment; null for a rule"
    )


class Candidate(BaseModel):
    customer_id: str
    match_probability: float = Field(description="the best pair probability over the customer's records")
    why: list[Why]


class ResolveAnswer(BaseModel):
    customer_id: str | None = Field(description="null when the decision is new")
    match_probability: float
    decision: Literal["match", "review", "new"]
    candidates: list[Candidate] = Field(description="the most likely customers first, at most 10")
    run_id: str | None = Field(description="the published run the answer comes from")
    committed: bool = Field(False, description="true when the record was filed (commit: true)")
    filed: Literal["joined", "minted", "existing"] | None = Field(
        None,
        description="with commit: joined the matched customer, minted a new ID (new or review), or existing: "
        "its key was filed before or staged by a run, and that customer stands",
    )


RECORD_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{name: {"type": ["string", "null"]} for name in RECORD_FIELDS},
        "commit": {
            "type": "boolean",
            "description": "true: file the record (role resolver or above; needs source_system and source_record_key)",
        },
    },
    "example": {"name": "王小明", "phone": "138 1234 5678", "city": "上海"},
}


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


@router.post(
    "/customers/{customer_id}/unmask",
    summary="Everything known about one customer, with these fields in full: each field an audit entry",
)
def unmask_customer(
    request: Request, customer_id: str, body: UnmaskIn, staff: Staff = Depends(api_staff)
) -> dict[str, Any]:
    return views.customer(request.app.state.store, staff, customer_id, body.fields)


@router.get("/customers/{customer_id}/why", summary="Why the customer's records were merged: match weights per pair")
def why_merged(request: Request, customer_id: str, staff: Staff = Depends(api_staff)) -> dict[str, Any]:
    return views.why(request.app.state.store, request.app.state.explainer, staff, customer_id)


@router.get("/review", summary="The review queue (reviewers)")
def review_queue(
    request: Request,
    status: Literal["pending", "same", "different", "all"] = "pending",
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000, description="pairs to skip: the previous page's next_offset"),
    show_same: bool = Query(True, description="false leaves out pairs whose records are already one customer"),
    staff: Staff = Depends(api_role("reviewer")),
) -> dict[str, Any]:
    store = request.app.state.store
    return views.queue(store, status, limit, store.scope(staff.branches), offset, show_same)


@router.get("/review/{pair_id}", summary="One review pair with both records (reviewers)")
def review_pair(request: Request, pair_id: str, staff: Staff = Depends(api_role("reviewer"))) -> dict[str, Any]:
    store = request.app.state.store
    return views.pair(store, request.app.state.explainer, pair_id, store.scope(staff.branches))


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


@router.post(
    "/resolve",
    response_model=ResolveAnswer,
    summary="One record in, its customer out: the linkage model's answer with the run's thresholds",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": RECORD_SCHEMA}}}},
)
async def resolve(request: Request, staff: Staff = Depends(api_staff)) -> dict[str, Any]:
    try:
        record, commit = parse_request(await _limited_body(request))
    except BadJSON as exc:
        raise HTTPException(400, str(exc)) from None
    except RecordError as exc:
        raise HTTPException(422, str(exc)) from None
    # the resolve page's form calls the very same function (search/pages.py)
    return await views.resolve(request.app.state.store, request.app.state.resolver, staff, record, commit)


async def _limited_body(request: Request) -> bytes:
    """The request body, refused with 413 beyond MAX_RESOLVE_BYTES (without reading the rest)."""
    too_big = HTTPException(413, f"the body is larger than {MAX_RESOLVE_BYTES:,} bytes: send one record")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_RESOLVE_BYTES):
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_RESOLVE_BYTES:
            raise too_big
    return bytes(body)
