"""Alerts against real receivers on loopback: a run whose checks warn, a blocked publish and a failed
run each send one message to the webhook and one mail; none carries a value of a customer or a
salesperson; a receiver that is down fails nothing. And the run report's URL in the run's metadata."""

from __future__ import annotations

import json
import logging

import pytest
from alert_receivers import closed_port, smtp_server, webhook_server
from dagster import DagsterEventType, build_run_status_sensor_context
from pipeline_project import Project, write_giant_cluster

from config.settings import Settings
from pipelines.alerts import ALERTED_TAG, alert_run, alert_sensors
from pipelines.cli import main
from reports.run_report import RUN_ID, find_report

ALLOW_SHRINK = {"resources": {"run_settings": {"config": {"allow_shrink": True}}}}
GIANT = ("王伟", "13912345678", "wang.wei.88@163.com")  # write_giant_cluster's person


@pytest.fixture
def receivers():
    """Both receivers up, and the settings that point at them."""
    with smtp_server() as (smtp, mails), webhook_server() as (hook, posts):
        settings = Settings.from_env(
            {"UNIFY_ALERT_WEBHOOK": hook, "UNIFY_ALERT_SMTP": smtp, "UNIFY_ALERT_TO": "ops@example.test"}
        )
        yield settings, mails, posts


def personal_values(project: Project) -> set[str]:
    """Every name, phone, email and salesperson the project's warehouse holds, and the giant cluster's person."""
    rows = project.query(
        """select name from customer_source_records union select display_name from golden_customers
           union select email from customer_source_records union select phone from customer_source_records
           union select salesperson from customer_source_records"""
    )
    values = {v for (v,) in rows if v and len(v) >= 2}
    return values | {v.removeprefix("+86") for v in values if v.startswith("+86")} | set(GIANT)


def assert_no_personal_data(bodies: list[str], project: Project) -> None:
    values = personal_values(project)
    assert len(values) > 100  # the scan looks for something
    leaked = {v for v in values for body in bodies if v in body}
    assert not leaked, leaked


def bodies(mails, posts) -> list[str]:
    return [m.get_content() + m["Subject"] for m in mails] + [json.dumps(p, ensure_ascii=False) for p in posts]


def test_a_run_whose_checks_warn_sends_one_message_to_each(published, receivers, tmp_path):
    settings, mails, posts = receivers
    clone = published[0].clone(tmp_path / "project")
    for sheet in (clone.sources / "sales").iterdir():  # a removed export: the run may shrink, so it warns
        sheet.unlink()
    truth = tmp_path / "truth.csv"  # the truth of the records left, so accuracy still holds
    lines = clone.truth.read_text(encoding="utf-8").splitlines(keepends=True)
    truth.write_text("".join(line for line in lines if not line.startswith("sales/")), encoding="utf-8")
    project = Project(clone.root, truth, clone.instance)
    result = project.run("full_refresh", ALLOW_SHRINK)
    assert result.success and result.asset_materializations_for_node("warehouse__published")
    alert = alert_run(project.instance, result.run_id, settings)
    assert alert.kind == "warnings" and len(mails) == len(posts) == 1
    (post,), (mail,) = posts, mails
    shrunk = next(c for c in post["checks"] if c["check"] == "records_not_shrunk")
    assert shrunk["severity"] == "WARN" and shrunk["figures"]["shrunk_sources"] == "sales"
    assert post["run_id"] == result.run_id and post["report_url"].endswith(f"/reports/{result.run_id}")
    assert "records_not_shrunk" in mail.get_content() and result.run_id[:8] in mail["Subject"]
    assert_no_personal_data(bodies(mails, posts), published[0])
    assert alert_run(project.instance, result.run_id, settings) is None  # once per run
    assert len(posts) == 1


def test_a_blocked_publish_sends_one_message_without_the_cluster_s_person(published, receivers, tmp_path):
    settings, mails, posts = receivers
    project = published[0].clone(tmp_path / "project")
    write_giant_cluster(project.sources)
    result = project.run("incremental_update")
    assert not result.success
    alert_run(project.instance, result.run_id, settings)
    assert len(mails) == len(posts) == 1
    (post,) = posts
    assert post["kind"] == "publish_blocked" and post["report_url"] is None
    bounded = next(c for c in post["checks"] if c["check"] == "largest_cluster_bounded")
    assert bounded["severity"] == "ERROR" and bounded["figures"]["largest_cluster"] == 250
    text = bodies(mails, posts)
    assert_no_personal_data(text, published[0])
    assert not any("批量导入" in body for body in text)  # no file names either


def test_a_failed_run_seen_by_the_failure_sensor_sends_one_message(receivers, tmp_path, sample_truth):
    """A run the daemon executed (here: retraining with no standardised records yet) is alerted by the sensor."""
    settings, mails, posts = receivers
    with pytest.MonkeyPatch.context():
        from dagster import DagsterInstance

        with DagsterInstance.ephemeral() as instance:
            project = Project(tmp_path / "empty", sample_truth, instance)
            project.sources.mkdir(parents=True)
            result = project.run("retrain_model")
            assert not result.success
            run = instance.get_run_by_id(result.run_id)
            (record,) = instance.get_records_for_run(result.run_id, of_type=DagsterEventType.RUN_FAILURE).records
            _, on_failure = alert_sensors(settings)
            for _ in range(2):  # the daemon may look twice: one message
                context = build_run_status_sensor_context(
                    sensor_name=on_failure.name,
                    dagster_instance=instance,
                    dagster_run=run,
                    dagster_event=record.event_log_entry.dagster_event,
                ).for_run_failure()
                on_failure(context)
            assert instance.get_run_by_id(result.run_id).tags[ALERTED_TAG] == "webhook,mail"
    assert len(mails) == len(posts) == 1
    (post,) = posts
    assert post["kind"] == "run_failed" and post["checks"] == []
    ((step, error),) = [(s["step"], s["error"]) for s in post["failed_steps"]]
    assert step == "linked__linkage_model" and error.isidentifier() and error.endswith("Error")  # a type's name
    assert str(tmp_path) not in json.dumps(post)  # the error's type, never its text (a path here)


def test_a_receiver_that_is_down_fails_nothing_and_says_so_in_one_line(published, tmp_path, caplog):
    project = published[0].clone(tmp_path / "project")
    write_giant_cluster(project.sources)
    result = project.run("incremental_update")
    down = Settings.from_env(
        {
            "UNIFY_ALERT_WEBHOOK": f"http://127.0.0.1:{closed_port()}/hook",
            "UNIFY_ALERT_SMTP": f"127.0.0.1:{closed_port()}",
            "UNIFY_ALERT_TO": "ops@example.test",
        }
    )
    with caplog.at_level(logging.WARNING, logger="unify.alerts"):
        assert alert_run(project.instance, result.run_id, down).kind == "publish_blocked"
    lines = [r.getMessage() for r in caplog.records if r.name == "unify.alerts"]
    assert len(lines) == 2 and all("\n" not in line and "not sent" in line for line in lines), lines
    assert project.instance.get_run_by_id(result.run_id).tags[ALERTED_TAG] == "not delivered"


def test_nothing_is_sent_without_a_receiver_or_for_a_clean_run(published, receivers):
    settings, mails, posts = receivers
    _, result = published
    assert alert_run(published[0].instance, result.run_id, Settings.from_env({})) is None
    assert alert_run(published[0].instance, result.run_id, settings) is None  # every check passed
    assert mails == posts == []


def test_the_run_report_s_url_is_in_the_run_s_metadata(published):
    _, result = published
    (report,) = result.asset_materializations_for_node("reports__run_report")
    assert report.metadata["report_url"].url == f"http://127.0.0.1:8000/reports/{result.run_id}"
    assert RUN_ID.fullmatch(result.run_id) and find_report(published[0].reports, result.run_id)  # what it serves


def test_unify_train_that_fails_sends_its_alert_as_it_ends(receivers, tmp_path, monkeypatch, capsys):
    """The headless path: no daemon, the command itself sends the alert of its in-process run."""
    settings, mails, posts = receivers
    for name in ("alert_webhook", "alert_smtp", "alert_to"):
        monkeypatch.setenv(f"UNIFY_{name.upper()}", getattr(settings, name))
    monkeypatch.setenv("UNIFY_WORK_DIR", str(tmp_path / "work"))  # empty: no standardised records to train on
    (tmp_path / "sources").mkdir()
    assert main(["train", "--sources", str(tmp_path / "sources"), "--warehouse", f"duckdb:///{tmp_path}/w.duckdb"]) == 1
    assert len(mails) == len(posts) == 1 and posts[0]["kind"] == "run_failed" and posts[0]["job"] == "retrain_model"
