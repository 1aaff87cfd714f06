"""The admin page of audience exports: one channel's audience as CSV or .xlsx, downloaded as a zip
with its suppression file (warehouse/audience_export.py, the same as `unify audience export`).

Admins only (403 for anyone else, and for an admin limited to branches: an export spans every
customer). Each download leaves an audit_log row with the channel, segment and counts.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from search.auth import Staff, page_role
from search.pages import render
from search.views import with_warehouse
from warehouse import audience_export as ae

router = APIRouter(include_in_schema=False)
ADMIN = page_role("admin")
SEGMENTS = ("all", "top20", "at-risk", *(f"tier={t}" for t in ae.TIERS))


def _whole_warehouse(staff: Staff) -> Staff:
    if staff.branches:
        raise HTTPException(
            403, "an audience export spans every customer: an account limited to branches may not make one"
        )
    return staff


@router.get("/admin/audience")
def audience_page(request: Request, staff: Staff = Depends(ADMIN)):
    _whole_warehouse(staff)
    return render(request, "audience.html", staff=staff, channels=ae.CHANNELS, formats=ae.FORMATS, segments=SEGMENTS)


@router.get("/admin/audience/export")
def audience_download(
    request: Request, channel: str = "", format: str = "csv", segment: str = "all", staff: Staff = Depends(ADMIN)
):
    _whole_warehouse(staff)
    store = request.app.state.store
    try:
        ae.check_channel(channel)
        ae.check_format(format)
        ae.parse_segment(segment)
        export = with_warehouse(store, lambda: ae.build_export(store.engine, channel, segment))
    except ae.ExportError as exc:
        raise HTTPException(422, str(exc)) from None
    body = ae.zipped(ae.export_files(export, format))
    with_warehouse(store, lambda: ae.audit_export(store.engine, staff.username, export, format, via="web"))
    headers = {"Content-Disposition": f'attachment; filename="{export.name()}.zip"'}
    return Response(body, media_type="application/zip", headers=headers)
