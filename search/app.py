"""The staff search web application: pages, the JSON API, its OpenAPI description, health.

Logs name the path only, never the query string: a search URL carries what staff typed, often a
phone number or an email. Every response forbids framing and sniffing; pages are never cached.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path

import phonenumbers
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from config.settings import setting
from search import api, branch_pages, pages
from search.audience_pages import router as audience_pages_router
from search.auth import LoginRequired
from search.explain import Explainer
from search.report_pages import router as report_pages_router
from search.resolver import ResolveService
from search.retry import WarehouseUnavailable
from search.sessions import LoginThrottle, Sessions, secret_key
from search.store import Store
from search.subject_pages import router as subject_pages_router

logger = logging.getLogger("unify.search")
access_logger = logging.getLogger("unify.access")
TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    store: Store,
    *,
    secret: str | None = None,
    model_path: str | Path | None = None,
    background_refresh: bool = True,
    work_dir: str | Path | None = None,
    tombstone_key: str | None = None,
) -> FastAPI:
    """The app over a store. background_refresh=False (tests): load once, refresh only when told."""
    key, generated = secret_key(secret)
    if generated:
        logger.warning("UNIFY_SECRET_KEY is not set: using a random key, so sessions end when the server restarts")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if background_refresh:
            store.start()
        else:
            store.refresh(force=True)
        yield
        if background_refresh:
            store.stop()
        else:
            store.flush_audit()

    app = FastAPI(
        title="customer-unify staff search",
        description="Find any customer by name (characters or pinyin), phone, email, WeChat ID, order or ticket number. "
        "Every /api endpoint needs `Authorization: Bearer TOKEN` (`unify staff token NAME`).",
        version="1",
        docs_url=None,  # the stock docs page loads its scripts from a CDN; /docs is rendered here
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.sessions = Sessions(key)
    app.state.throttle = LoginThrottle()
    # no model file: the warehouse's current model
    app.state.explainer = Explainer(model_path or setting("model"), store.url)
    app.state.resolver = ResolveService(store)  # built on first use, rebuilt after each publish
    app.state.templates = _templates()
    # data-subject requests: an erasure scrubs this work area and keeps tombstones hashed with this key
    app.state.work_dir = setting("work_dir") if work_dir is None else work_dir
    app.state.tombstone_key = setting("tombstone_key") if tombstone_key is None else tombstone_key
    app.include_router(api.router)  # first: routes are matched in order, and other systems call the API most
    app.include_router(subject_pages_router)
    app.include_router(audience_pages_router)
    app.include_router(pages.router)
    app.include_router(branch_pages.router)
    app.include_router(report_pages_router)
    _add_basics(app)
    _add_error_handlers(app)
    return app


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True, default_for_string=True)
    )
    env.filters["phone"] = format_phone
    env.filters["when"] = format_when
    return Jinja2Templates(env=env)


def format_phone(e164: str | None) -> str:
    """+8618959975305 -> +86 189 5997 5305, for reading aloud."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def format_when(value) -> str:
    if value is None:
        return ""
    text = value.isoformat(sep=" ", timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    return text.removesuffix(" 00:00")


class HeadersAndAccessLog:
    """The security headers on every response, no-store on pages, and one access-log line per
    request with the path only (a query string can hold a phone number or an email). Plain ASGI:
    Starlette's BaseHTTPMiddleware costs a task and a stream per request, a fair part of a resolve."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, path, status = time.perf_counter(), scope["path"], [500]

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                # setdefault: a page may set its own policy (a run report's inline styles)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not path.startswith(("/static", "/healthz")):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            access_logger.info(
                "%s %s %d %.1fms", scope["method"], path, status[0], (time.perf_counter() - started) * 1000
            )


def _add_basics(app: FastAPI) -> None:
    app.add_middleware(HeadersAndAccessLog)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok", "published": app.state.store.snapshot.run_id is not None}

    @app.get("/static/style.css", include_in_schema=False)
    def stylesheet() -> FileResponse:
        return FileResponse(TEMPLATES / "style.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/static/review.js", include_in_schema=False)
    def review_keys() -> FileResponse:  # the review page's keyboard shortcuts: the one script, served from here
        return FileResponse(
            TEMPLATES / "review.js", media_type="text/javascript", headers={"Cache-Control": "max-age=3600"}
        )

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        return pages.render(request, "docs.html", spec=app.openapi())


def _add_error_handlers(app: FastAPI) -> None:
    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's HTTPException and unknown routes alike
    async def http_error(request: Request, exc: StarletteHTTPException):
        if wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        message = exc.detail["message"] if isinstance(exc.detail, dict) else exc.detail
        return pages.render(request, "error.html", exc.status_code, status=exc.status_code, message=message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        # the errors name the parameter and the rule, not the value sent
        errors = [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        if wants_json(request):
            return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
        return pages.render(request, "error.html", 422, status=422, message="请求无效 The request was not valid.")

    @app.exception_handler(WarehouseUnavailable)
    async def busy(request: Request, exc: WarehouseUnavailable):
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "2"})
        return pages.render(
            request,
            "error.html",
            503,
            status=503,
            message="仓库正忙，请稍后再试 The warehouse is busy: try again in a moment.",
        )
