"""The server-rendered pages for service agents and reviewers (session cookie + CSRF on every form)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from linkage.arrival import RECORD_FIELDS
from search import views
from search.auth import Staff, account, check_csrf, page_role, page_staff, session
from search.keys import MAX_QUERY_LENGTH
from search.sessions import COOKIE, LIFETIME_SECONDS
from search.staff import password_matches

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, status_code: int = 200, **context) -> Response:
    current = session(request)
    context.setdefault("csrf", current["csrf"] if current else "")
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_session(request: Request, response: Response, value: dict) -> None:
    response.set_cookie(
        COOKIE,
        request.app.state.sessions.dump(value),
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def local_path(target: str | None) -> str:
    """Only a path on this site: a login link must not send anyone elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# ---------------------------------------------------------------- login


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    current = session(request)
    if current and account(request, current.get("u")):
        return redirect(local_path(next))
    anonymous = current if current and not current.get("u") else request.app.state.sessions.new()
    response = render(request, "login.html", csrf=anonymous["csrf"], next=local_path(next))
    set_session(request, response, anonymous)
    return response


@router.post("/login")
def login(
    request: Request,
    username: str = Form("", max_length=64),
    password: str = Form("", max_length=1024),
    csrf: str = Form(""),
    next: str = Form("/"),
):
    check_csrf(request, csrf)
    store, throttle = request.app.state.store, request.app.state.throttle
    if throttle.blocked(username):
        return render(
            request,
            "login.html",
            429,
            next=local_path(next),
            error="登录失败次数过多，请五分钟后再试 Too many failed logins: try again in five minutes.",
        )
    row = store.control.accounts.get(username)
    if not (password_matches(row["password_hash"] if row else None, password) and account(request, username)):
        throttle.failed(username)
        if row:
            store.audit(username, "login_failed")
        return render(
            request, "login.html", 401, next=local_path(next), error="用户名或密码错误 Wrong name or password."
        )
    throttle.succeeded(username)
    store.audit(username, "login")
    response = redirect(local_path(next))
    set_session(request, response, request.app.state.sessions.new(username))  # a fresh CSRF token too
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form(""), staff: Staff = Depends(page_staff)):
    check_csrf(request, csrf)
    request.app.state.store.audit(staff.username, "logout")
    response = redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


# ---------------------------------------------------------------- search and customers


@router.get("/")
def search_page(request: Request, q: str = "", staff: Staff = Depends(page_staff)):
    q = q[:MAX_QUERY_LENGTH]
    answer = (
        views.search(request.app.state.store, staff, q, 50)
        if q.strip()
        else {"results": [], "run_id": request.app.state.store.snapshot.run_id}
    )
    return render(
        request,
        "search.html",
        staff=staff,
        q=q,
        results=answer["results"],
        hint=answer.get("hint"),
        snapshot=request.app.state.store.snapshot,
    )


@router.get("/customers/{customer_id}")
def customer_page(request: Request, customer_id: str, staff: Staff = Depends(page_staff)):
    try:
        profile = views.customer(request.app.state.store, staff, customer_id)
    except HTTPException as exc:
        if isinstance(exc.detail, dict) and exc.detail.get("merged_into"):
            return redirect(f"/customers/{quote(exc.detail['merged_into'])}?merged_from={quote(customer_id)}")
        raise
    merged_from = request.query_params.get("merged_from")
    return render(request, "customer.html", staff=staff, p=profile, c=profile["customer"], merged_from=merged_from)


@router.post("/customers/{customer_id}/unmask")
def unmask(
    request: Request,
    customer_id: str,
    field: str = Form(..., max_length=20),
    csrf: str = Form(""),
    staff: Staff = Depends(page_staff),
):
    """The customer page with one field in full, for this response only: an audit entry each time."""
    check_csrf(request, csrf)
    profile = views.customer(request.app.state.store, staff, customer_id, [field])
    return render(request, "customer.html", staff=staff, p=profile, c=profile["customer"], unmasked=field)


@router.get("/customers/{customer_id}/why")
def why_page(request: Request, customer_id: str, staff: Staff = Depends(page_staff)):
    answer = views.why(request.app.state.store, request.app.state.explainer, staff, customer_id)
    customer = request.app.state.store.snapshot.customer(customer_id)
    return render(request, "why.html", staff=staff, c=customer, why=answer)


# ---------------------------------------------------------------- new customer? (resolve on arrival)

RESOLVE_LABELS = {
    "name": "姓名 Name",
    "given_name": "名 Given name",
    "family_name": "姓 Family name",
    "phone": "电话 Phone",
    "email": "邮箱 Email",
    "wechat": "微信 WeChat",
    "birth_date": "出生日期 Birth date",
    "address": "地址 Address",
    "province": "省 Province",
    "city": "城市 City",
    "district": "区 District",
    "postcode": "邮编 Postcode",
    "company": "公司 Company",
    "national_id": "身份证号 National ID",
    "external_id": "平台账号 Shop account (platform:account, e.g. tmall:买家会员名)",
    "source_system": "来源系统 Source system",
    "source_record_key": "来源编号 Source record key (order number)",
}
assert set(RESOLVE_LABELS) == set(RECORD_FIELDS)  # one form field per field the resolver reads


@router.get("/resolve")
def resolve_form(request: Request, staff: Staff = Depends(page_staff)):
    return render(request, "resolve.html", staff=staff, labels=RESOLVE_LABELS, record={})


@router.post("/resolve")
async def resolve_page(request: Request, staff: Staff = Depends(page_staff)):
    """The form's record resolved by the very function POST /api/resolve calls (views.resolve),
    without commit: filing stays with the API's service accounts. A record that cannot be resolved
    gets its one-line reason on the page."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    record = {k: str(v).strip() for k in RESOLVE_LABELS if (v := form.get(k)) is not None and str(v).strip()}
    store = request.app.state.store
    try:
        answer = await views.resolve(store, request.app.state.resolver, staff, record)
    except HTTPException as exc:
        return render(
            request,
            "resolve.html",
            exc.status_code,
            staff=staff,
            labels=RESOLVE_LABELS,
            record=record,
            error=exc.detail,
        )
    shown = views.resolve_shown(store, staff, answer)
    return render(
        request, "resolve.html", staff=staff, labels=RESOLVE_LABELS, record=record, answer=answer, candidates=shown
    )


# ---------------------------------------------------------------- review


@router.get("/review")
def review_page(
    request: Request,
    status: str = "pending",
    page: int = Query(1, ge=1, le=100_000),
    same: bool = False,
    staff: Staff = Depends(page_role("reviewer")),
):
    """The queue to work through, a page at a time; same=1 shows pairs already in one customer too."""
    status = status if status in ("pending", "same", "different", "all") else "pending"
    store = request.app.state.store
    answer = views.review_page(store, request.app.state.explainer, store.scope(staff.branches), status, page, same)
    return render(request, "review_list.html", staff=staff, queue=answer)


@router.get("/review/{pair_id}")
def review_pair_page(request: Request, pair_id: str, staff: Staff = Depends(page_role("reviewer"))):
    store = request.app.state.store
    answer = views.pair(store, request.app.state.explainer, pair_id, store.scope(staff.branches))
    return render(request, "review_pair.html", staff=staff, r=answer, saved=request.query_params.get("saved"))


@router.post("/review/{pair_id}")
def review_decide(
    request: Request,
    pair_id: str,
    decision: str = Form(...),
    csrf: str = Form(""),
    next: str = Form("", max_length=500),
    staff: Staff = Depends(page_role("reviewer")),
):
    """Decided from the queue page (next: back to it) or from the pair's own page (on to the next pending pair)."""
    check_csrf(request, csrf)
    store = request.app.state.store
    views.decide_pair(store, staff, pair_id, decision, None)
    if next:
        return redirect(local_path(next))
    pending = [
        p for p in views.queue(store, "pending", 2, store.scope(staff.branches))["pairs"] if p["pair_id"] != pair_id
    ]
    return redirect(f"/review/{quote(pending[0]['pair_id'])}?saved=1" if pending else "/review?status=pending&saved=1")
