"""The admin page for branches (search/branches.py): define and delete branches, limit accounts to them.

Branches the branches file defines are shown and cannot be changed here (edit the file); every
change is an audit entry and takes effect at once on this server (other servers within seconds).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pyarrow.compute as pc
from fastapi import APIRouter, Depends, Form, HTTPException, Request

from search.auth import Staff, check_csrf, page_role
from search.branches import BranchError, account_branches, make_branch
from search.pages import redirect, render
from search.retry import WarehouseUnavailable
from search.staff import StaffError, delete_branch, limit_to_branches, save_branch
from search.views import with_warehouse

router = APIRouter(include_in_schema=False)
_LIST_RE = re.compile(r"[,，、;\n\r]+")  # names typed one a line or comma-separated
MAX_LIST = 4000


def names(text: str) -> list[str]:
    return [n.strip() for n in _LIST_RE.split(text or "") if n.strip()]


@router.get("/admin/branches")
def branches_page(request: Request, staff: Staff = Depends(page_role("admin"))):
    store = request.app.state.store
    records = store.snapshot.records.table
    known = {
        column: sorted(v for v in pc.unique(records[column]).to_pylist() if v) if column in records.column_names else []
        for column in ("salesperson", "source_system")
    }
    accounts = sorted(
        (
            {
                "username": a["username"],
                "role": a["role"],
                "disabled": a["disabled"],
                "branches": account_branches(a.get("branches")),
            }
            for a in store.control.accounts.values()
        ),
        key=lambda a: a["username"],
    )
    return render(
        request,
        "admin_branches.html",
        staff=staff,
        from_file=store.branch_file.branches(),
        from_page={n: b for n, b in store.control.branches.items() if n not in store.branch_file.branches()},
        file_path=store.branch_file.path,
        accounts=accounts,
        known=known,
        saved=request.query_params.get("saved"),
    )


@router.post("/admin/branches")
def define_branch(
    request: Request,
    name: str = Form(..., max_length=64),
    salespeople: str = Form("", max_length=MAX_LIST),
    source_systems: str = Form("", max_length=MAX_LIST),
    csrf: str = Form(""),
    staff: Staff = Depends(page_role("admin")),
):
    check_csrf(request, csrf)
    store = request.app.state.store
    try:
        branch = make_branch(name, names(salespeople), names(source_systems))
    except BranchError as exc:
        raise HTTPException(422, str(exc)) from None
    if branch.name in store.branch_file.branches():
        raise HTTPException(409, f"branch {branch.name!r} is defined in the branches file: change it there")
    with_warehouse(store, lambda: save_branch(store.engine, branch, staff.username))
    store.audit(staff.username, "define_branch", None, branch.name)
    _reload(store)
    return redirect("/admin/branches?saved=1")


@router.post("/admin/branches/{name}/delete")
def remove_branch(request: Request, name: str, csrf: str = Form(""), staff: Staff = Depends(page_role("admin"))):
    check_csrf(request, csrf)
    store = request.app.state.store
    try:
        with_warehouse(store, lambda: delete_branch(store.engine, name))
    except BranchError as exc:
        raise HTTPException(404, str(exc)) from None
    store.audit(staff.username, "delete_branch", None, name)
    _reload(store)
    return redirect("/admin/branches?saved=1")


@router.post("/admin/accounts/{username}/branches")
def limit_account(
    request: Request,
    username: str,
    branches: str = Form("", max_length=MAX_LIST),
    csrf: str = Form(""),
    staff: Staff = Depends(page_role("admin")),
):
    """Limit an account to branches; none: every customer. Only defined branches can be named."""
    check_csrf(request, csrf)
    store = request.app.state.store
    chosen = names(branches)
    unknown = sorted(set(chosen) - set(store.branches()))
    if unknown:
        raise HTTPException(422, f"no such branch: {', '.join(unknown)} (define it first)")
    try:
        with_warehouse(store, lambda: limit_to_branches(store.engine, username, chosen))
    except (StaffError, BranchError) as exc:
        raise HTTPException(404 if isinstance(exc, StaffError) else 422, str(exc)) from None
    store.audit(
        staff.username, "limit_account", None, f"{username}: {','.join(sorted(set(chosen))) or 'every customer'}"
    )
    _reload(store)
    return redirect(f"/admin/branches?saved={quote(username)}")


def _reload(store) -> None:
    try:
        store.reload_control()
    except WarehouseUnavailable:  # written all the same: the refresh thread reads it within seconds
        pass
