"""The run reports (assets/reports.py) served to staff at /reports/RUN: the link in the run's Dagster metadata.

Any logged-in staff member may read them: they hold figures and file names, no customer's data.
Only a Dagster run id is looked up, in the reports folder alone, so no other file can be reached.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse

from config.settings import setting
from reports.run_report import find_report
from search.auth import Staff, page_staff

router = APIRouter(include_in_schema=False)
# the report is one self-contained page: its own <style> and inline SVG, no scripts, nothing fetched
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


@router.get("/reports/{run_id}")
def run_report(run_id: str, staff: Staff = Depends(page_staff)) -> FileResponse:
    path = find_report(Path(setting("reports_dir")), run_id)
    if path is None:
        raise HTTPException(404, "no report for that run: a report is written only for a run that published")
    return FileResponse(path, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": REPORT_POLICY})
