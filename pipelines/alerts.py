"""Alerts: a run's check warnings, a blocked publish or a failed run, sent to a webhook and/or by mail.

One function, `alert_run`, reads a finished run from the Dagster instance and sends what it
found. Two callers, so both kinds of run are covered: `unify run`/`unify train` call it when their
in-process run ends (no daemon needed), and the run-status sensors below call it for runs started
in the Dagster UI, a schedule or the sources sensor (the daemon runs them). A tag on the run says it
was alerted, so no run is sent twice.

A message carries figures and IDs only: the run id, the job, the names of the checks not passed with
their numeric metadata, the source systems that drifted or shrank, the failed steps with the error's
type (never its text, which may quote a value), and the report's URL. No file names, no values of
a record. A delivery that fails (receiver down, timeout) is logged in one line and never fails the run.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from dataclasses import asdict, dataclass
from email.message import EmailMessage

from dagster import (
    BoolMetadataValue,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    FloatMetadataValue,
    IntMetadataValue,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorDefinition,
    run_failure_sensor,
    run_status_sensor,
)

from assets.reports import REPORT_TAG
from config.settings import Settings
from reports.run_report import report_url

ALERTED_TAG = "unify/alerted"  # set on a run once its alert went out (or was tried): never twice
TIMEOUT_SECONDS = 5.0
SMTP_PORT = 25
# text metadata a message may carry: source systems (tmall, sales, a mapping's label), never a file or a value
SOURCE_FIELDS = ("drifted_sources", "shrunk_sources")
KINDS = {
    "warnings": "checks warned; the run published",
    "publish_blocked": "a blocking check failed; nothing was published, the previous tables stay live",
    "run_failed": "the run failed; nothing was published, the previous tables stay live",
}

logger = logging.getLogger("unify.alerts")


@dataclass(frozen=True)
class Alert:
    kind: str  # one of KINDS
    run_id: str
    job: str
    checks: list[dict]  # the checks not passed: asset, check, severity, figures
    failed_steps: list[dict]  # step, error (the exception's type only)
    report_url: str | None

    def subject(self) -> str:
        return f"unify {self.job}: {self.kind.replace('_', ' ')} (run {self.run_id[:8]})"

    def text(self) -> str:
        lines = [f"{self.subject()}", KINDS[self.kind], f"run {self.run_id}, job {self.job}"]
        for c in self.checks:
            figures = ", ".join(f"{k}={v}" for k, v in c["figures"].items())
            lines.append(f"- check {c['asset']} {c['check']} ({c['severity']}): {figures}")
        lines += [f"- step {s['step']} failed: {s['error']}" for s in self.failed_steps]
        if self.report_url:
            lines.append(f"report: {self.report_url}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {**asdict(self), "text": self.text()}  # `text`: what chat webhooks (Slack, Teams, …) show


def configured(settings: Settings) -> bool:
    return bool(settings.alert_webhook or (settings.alert_smtp and settings.alert_to))


def run_alert(instance: DagsterInstance, run_id: str, public_url: str) -> Alert | None:
    """What a finished run has to say: None when it succeeded with every check passed."""
    run = instance.get_run_by_id(run_id)
    if run is None or run.status not in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE):
        return None
    not_passed = [e for e in _events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION) if not e.passed]
    blocking = any(e.severity.value == "ERROR" for e in not_passed)
    if run.status == DagsterRunStatus.FAILURE:
        kind = "publish_blocked" if blocking else "run_failed"
    elif not_passed:
        kind = "warnings"
    else:
        return None
    failures = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE).records
    return Alert(
        kind=kind,
        run_id=run_id,
        job=run.job_name,
        checks=[_check(e) for e in not_passed],
        failed_steps=[_failure(r.event_log_entry.dagster_event) for r in failures],
        report_url=report_url(public_url, run_id) if REPORT_TAG in run.tags else None,
    )


def _events(instance: DagsterInstance, run_id: str, kind: DagsterEventType) -> list:
    records = instance.get_records_for_run(run_id, of_type=kind).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


def _check(evaluation) -> dict:
    figures = {
        name: entry.value
        for name, entry in evaluation.metadata.items()
        if isinstance(entry, (IntMetadataValue, FloatMetadataValue, BoolMetadataValue))
        or (name in SOURCE_FIELDS and entry.value)
    }
    return {
        "asset": evaluation.asset_key.to_user_string(),
        "check": evaluation.check_name,
        "severity": evaluation.severity.value,
        "figures": figures,
    }


def _failure(event) -> dict:
    error = event.event_specific_data.error
    return {"step": event.step_key, "error": error.cls_name if error else "unknown"}


def send(alert: Alert, settings: Settings) -> list[str]:
    """Deliver to every configured receiver; the ones reached. A failure is one log line, never raised."""
    sent = []
    for name, wanted, deliver in (
        ("webhook", settings.alert_webhook, post_webhook),
        ("mail", settings.alert_smtp and settings.alert_to, send_mail),
    ):
        if not wanted:
            continue
        try:
            deliver(alert, settings)
            sent.append(name)
        except Exception as exc:  # noqa: BLE001 - any receiver's trouble is logged, the run is not failed
            first_line = (str(exc).splitlines() or [""])[0][:200]
            logger.warning(f"alert for run {alert.run_id} not sent by {name}: {type(exc).__name__}: {first_line}")
    return sent


def post_webhook(alert: Alert, settings: Settings) -> None:
    body = json.dumps(alert.to_json(), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        settings.alert_webhook, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()


def send_mail(alert: Alert, settings: Settings) -> None:
    host, _, port = settings.alert_smtp.rpartition(":") if ":" in settings.alert_smtp else (settings.alert_smtp, "", "")
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = alert.subject(), settings.alert_from, settings.alert_to
    message.set_content(alert.text())
    with smtplib.SMTP(host, int(port or SMTP_PORT), timeout=TIMEOUT_SECONDS) as smtp:
        if settings.alert_smtp_user:
            smtp.starttls()
            smtp.login(settings.alert_smtp_user, settings.alert_smtp_password)
        smtp.send_message(message)


def alert_run(instance: DagsterInstance, run_id: str, settings: Settings) -> Alert | None:
    """Send a finished run's alert once, if it has one and a receiver is configured; the alert sent."""
    if not configured(settings):
        return None
    run = instance.get_run_by_id(run_id)
    if run is None or ALERTED_TAG in run.tags:
        return None
    alert = run_alert(instance, run_id, settings.public_url)
    if alert is None:
        return None
    sent = send(alert, settings)
    instance.add_run_tags(run_id, {ALERTED_TAG: ",".join(sent) or "not delivered"})
    return alert


def alert_sensors(settings: Settings) -> list[SensorDefinition]:
    """Runs the daemon executes (the UI's, the schedule's): alerted when they end. On when a receiver is set."""
    status = DefaultSensorStatus.RUNNING if configured(settings) else DefaultSensorStatus.STOPPED

    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS,
        name="alert_on_warnings",
        default_status=status,
        description="Sends a finished run's check warnings to UNIFY_ALERT_WEBHOOK / UNIFY_ALERT_SMTP.",
    )
    def alert_on_warnings(context: RunStatusSensorContext):
        alert_run(context.instance, context.dagster_run.run_id, settings)

    @run_failure_sensor(
        name="alert_on_failure",
        default_status=status,
        description="Sends a failed run or a blocked publish to UNIFY_ALERT_WEBHOOK / UNIFY_ALERT_SMTP.",
    )
    def alert_on_failure(context: RunFailureSensorContext):
        alert_run(context.instance, context.dagster_run.run_id, settings)

    return [alert_on_warnings, alert_on_failure]
