"""Who is asking: API bearer tokens, page sessions, and what each role may do.

viewer: search, open and resolve customers; resolver (a service account: the web shop, the
call centre): also file records on arrival (resolve with commit); reviewer: also decide review
pairs; admin: also read the audit log. No login, no data: the API answers 401, pages send the
browser to the login form.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request

from search.branches import account_branches
from search.sessions import COOKIE, csrf_matches
from search.staff import ROLES, hash_token


@dataclass(frozen=True)
class Staff:
    username: str
    role: str
    branches: tuple[str, ...] | None = None  # limited to these branches (search/branches.py); None: every customer

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


class LoginRequired(Exception):
    """A page was asked for without a valid session: the app redirects to the login form."""


def account(request: Request, username: str | None) -> Staff | None:
    """The enabled account of that name, as last read from the warehouse."""
    row = request.app.state.store.control.accounts.get(username) if username else None
    if row is None or row["disabled"] or row["role"] not in ROLES:
        return None
    return Staff(row["username"], row["role"], account_branches(row.get("branches")))


async def api_staff(request: Request) -> Staff:
    """The account of the request's bearer token. Async, as the other dependencies here: they read
    only what is in memory, and FastAPI would hand a plain function to a thread of its pool, a
    hand-over that cost more than the lookup in a resolve."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    username = (
        request.app.state.store.control.tokens.get(hash_token(token.strip()))
        if scheme.lower() == "bearer" and token.strip()
        else None
    )
    staff = account(request, username)
    if staff is None:
        raise HTTPException(
            401,
            "log in: send Authorization: Bearer TOKEN (unify staff token NAME)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return staff


def session(request: Request) -> dict | None:
    return request.app.state.sessions.load(request.cookies.get(COOKIE))


async def page_staff(request: Request) -> Staff:
    current = session(request)
    staff = account(request, current.get("u")) if current else None
    if staff is None:
        raise LoginRequired()
    return staff


def _requiring(role: str, who):
    async def dependency(staff: Staff = Depends(who)) -> Staff:
        if not staff.can(role):
            raise HTTPException(403, f"this needs the {role} role")
        return staff

    return dependency


def api_role(role: str):
    return _requiring(role, api_staff)


def page_role(role: str):
    return _requiring(role, page_staff)


def check_csrf(request: Request, token: str | None) -> None:
    if not csrf_matches(session(request), token):
        raise HTTPException(403, "the form has expired or did not come from this site: reload the page and try again")
