"""One self-contained HTML page per run: what was read, what merged, how sure the matches were,
what was set aside. Written after the publish, so a page exists only for a published run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from reports import figures
from reports.charts import svg_bars, svg_lines

TEMPLATE = "run_report.html"
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    check: str
    passed: bool
    severity: str  # ERROR or WARN


@dataclass(frozen=True)
class RunFigures:
    run_id: str
    finished_at: datetime
    files: list[dict]  # file reports: source_file, source_format, rows_read, staged, quarantined, error
    linkage: figures.LinkageFigures
    reasons: list[tuple[str, int]]
    tiers: list[dict] | None  # None: no customer_value mart in this run
    checks: list[CheckOutcome]
    # the value model's figures (marts.value_model: status, reason, version, calibration); None: not in this run
    value_model: dict | None = None


def collect(
    run_id: str,
    finished_at: datetime,
    files: pa.Table,
    linkage: figures.LinkageFigures,
    quarantined: pa.Table,
    value: pa.Table | None,
    checks: list[CheckOutcome],
    value_model: dict | None = None,
) -> RunFigures:
    return RunFigures(
        value_model=value_model,
        run_id=run_id,
        finished_at=finished_at,
        files=[{**f, "error": figures.public_reason(f["error"]) if f["error"] else None} for f in files.to_pylist()],
        linkage=linkage,
        reasons=figures.quarantine_reasons(quarantined),
        tiers=figures.value_tiers(value) if value is not None else None,
        checks=sorted(checks, key=lambda c: (c.passed, c.asset, c.check)),
    )


def render(run: RunFigures) -> str:
    systems = sorted({a for a, _ in run.linkage.overlap})
    charts = {
        "duplicates": svg_bars(
            [(f"{d['source_a']} ↔ {d['source_b']}", d["pairs"]) for d in run.linkage.duplicates],
            "duplicates found per source pair",
        ),
        "weights": svg_bars(run.linkage.weights, "match-weight distribution"),
        "sizes": svg_bars(run.linkage.sizes, "customers by records held"),
        "reasons": svg_bars(run.reasons, "quarantined rows by reason"),
        "tiers": svg_bars([(t["tier"], t["customers"]) for t in run.tiers or []], "customers per value tier"),
        "calibration": calibration_chart(run.value_model),
    }
    return _templates.get_template(TEMPLATE).render(
        run=run, systems=systems, charts={k: Markup(v) for k, v in charts.items()}
    )


def calibration_chart(value_model: dict | None) -> str:
    """Mean predicted against mean actual holdout purchases by purchases before the cutoff; empty
    without a calibration."""
    rows = ((value_model or {}).get("calibration") or {}).get("by_purchases_before")
    if not rows:
        return ""
    return svg_lines(
        [r["purchases_before"] for r in rows],
        {"predicted": [r["predicted"] for r in rows], "actual": [r["actual"] for r in rows]},
        "mean purchases in the holdout, predicted and actual",
        "purchases before the cutoff",
    )


def report_path(directory: Path, run_id: str, finished_at: datetime) -> Path:
    """Named so a folder listing sorts by time and a run id finds its page."""
    return Path(directory) / f"run_{finished_at:%Y%m%d_%H%M%S}_{run_id[:8]}.html"


def write_report(directory: Path, run: RunFigures) -> Path:
    path = report_path(directory, run.run_id, run.finished_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run), encoding="utf-8")
    return path


# a Dagster run id (a UUID): the only names /reports/RUN serves, so no other path is reachable
RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def report_url(public_url: str, run_id: str) -> str:
    """Where `unify serve` shows a run's report (search/report_pages.py)."""
    return f"{public_url.rstrip('/')}/reports/{run_id}"


def find_report(directory: Path, run_id: str) -> Path | None:
    """The report of a run by its id; None: none. The file is named by the id's first 8 characters,
    and the page names the whole id: another run's report with the same start is not it."""
    if not RUN_ID.fullmatch(run_id):
        return None
    named = sorted(Path(directory).glob(f"run_*_{run_id[:8]}.html"), reverse=True)
    return next((path for path in named if run_id in path.read_text(encoding="utf-8")), None)
