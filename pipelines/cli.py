"""`unify`: the command line for people and scripts (contracts/COMMANDS.md).

Expected problems (a missing folder, a bad URL, an unreachable server, nothing published yet)
end with a one-line reason on standard error and a non-zero exit code, never a traceback. Exit
codes: 0 done (for `run`: published), 1 the run did not publish, 2 an expected problem, 3 another
run holds the warehouse.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from functools import partial
from pathlib import Path

from config.settings import DEFAULTS, ENGINES, Settings, SettingsError
from demo.profiles import PROFILES
from pipelines import audience_cli, subject_cli
from pipelines.commands import (
    UsageError,
    add_warehouse_options,
    command_settings,
    engine_of,
    published_engine,
    reachable,
)
from warehouse.lock import DEFAULT_WAIT_SECONDS, WarehouseBusy

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUSY_EXIT = 3


def _model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        type=Path,
        metavar="FILE",
        help="a shipped model: used, never trained, when FILE exists (imported as a new version); written there when it does not (default: $UNIFY_MODEL)",
    )


def _wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for another run on the same warehouse to finish (default {DEFAULT_WAIT_SECONDS:g})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unify", description="Unify customer records into one golden customer table.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write realistic demo sources and a truth file beside them")
    demo.add_argument("dir", type=Path)
    demo.add_argument("--customers", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--clean", action="store_true", help="switch the messes off")
    demo.add_argument("--profile", choices=list(PROFILES), default="default", help="how hard the messes are")
    demo.set_defaults(func=cmd_demo_data)

    run = sub.add_parser("run", help="run the pipeline headless on the project's Dagster instance")
    add_warehouse_options(run)
    run.add_argument(
        "--incremental",
        action="store_true",
        help="read only new or changed files and link them to the existing customers",
    )
    run.add_argument(
        "--engine", choices=ENGINES, help=f"where pairs are scored (default: $UNIFY_ENGINE or {DEFAULTS.engine})"
    )
    run.add_argument(
        "--spark-master",
        help=f"Spark master URL for --engine spark (default: $UNIFY_SPARK_MASTER or {DEFAULTS.spark_master})",
    )
    _model_option(run)
    run.add_argument(
        "--as-of",
        metavar="DATE",
        help="the run's date YYYY-MM-DD: the marts' 'today'; records dated later are flagged (default: today)",
    )
    run.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even when staged records or golden customers fell by more than max_shrink since the last publish",
    )
    _wait_option(run)
    run.set_defaults(func=cmd_run)

    worker = sub.add_parser(
        "worker",
        help="the warm worker: a loaded process that `unify run --incremental` and the sources sensor hand runs to",
    )
    add_warehouse_options(worker, sources=False)
    worker.set_defaults(func=cmd_worker)

    train = sub.add_parser("train", help="retrain the linkage model and save it in the warehouse as a new version")
    add_warehouse_options(train)
    _model_option(train)
    train.add_argument(
        "--export", type=Path, metavar="FILE", help="write the warehouse's current model to FILE; no training"
    )
    _wait_option(train)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="pairwise precision, recall and F1 of the published crosswalk")
    add_warehouse_options(evaluate, sources=False)
    evaluate.add_argument(
        "--truth", type=Path, required=True, help="truth CSV: source_file, sheet, row_number, person_id"
    )
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.set_defaults(func=cmd_evaluate)

    resolve = sub.add_parser(
        "resolve", help="resolve on arrival: one JSON record per line in, one JSON answer per line out"
    )
    add_warehouse_options(resolve, sources=False)
    resolve.set_defaults(func=cmd_resolve)

    review = sub.add_parser("review", help="the review queue of borderline pairs")
    review_sub = review.add_subparsers(dest="review_command", required=True)
    review_list = review_sub.add_parser("list", help="pending pairs, most likely first")
    add_warehouse_options(review_list, sources=False)
    review_list.add_argument("--status", choices=["pending", "same", "different", "all"], default="pending")
    review_list.add_argument("--limit", type=int, default=50)
    review_show = review_sub.add_parser("show", help="both records of a pair side by side")
    add_warehouse_options(review_show, sources=False)
    review_show.add_argument("pair")
    review_decide = review_sub.add_parser("decide", help="decide a pair; applied on every later run")
    add_warehouse_options(review_decide, sources=False)
    review_decide.add_argument("pair")
    review_decide.add_argument("decision", choices=["same", "different"])
    review_decide.add_argument("--by", default=os.environ.get("USER", "cli"), help="who decides (default: $USER)")
    review.set_defaults(func=cmd_review)

    merge = sub.add_parser("merge", help="merge two customers (kept as state, applied from the next run)")
    add_warehouse_options(merge, sources=False)
    merge.add_argument("customer_ids", nargs=2, metavar="ID")
    merge.add_argument("--by", default=os.environ.get("USER", "cli"))
    merge.set_defaults(func=cmd_merge)

    split = sub.add_parser("split", help="split records off a customer (kept as state, applied from the next run)")
    add_warehouse_options(split, sources=False)
    split.add_argument("customer_id", metavar="ID")
    split.add_argument(
        "--records", nargs="+", required=True, metavar="FILE:SHEET:ROW", help="lineage keys of the records to split off"
    )
    split.add_argument("--by", default=os.environ.get("USER", "cli"))
    split.set_defaults(func=cmd_split)

    warehouse = sub.add_parser("warehouse", help="warehouse administration")
    warehouse_sub = warehouse.add_subparsers(dest="warehouse_command", required=True)
    grant = warehouse_sub.add_parser(
        "grant-read", help="let a PostgreSQL role read the published tables (for BI tools)"
    )
    add_warehouse_options(grant, sources=False)
    grant.add_argument("role", help="the role; created without login when missing")
    grant.set_defaults(func=cmd_grant_read)

    from search.cli import register as register_search

    register_search(sub)  # search, serve, staff
    subject_cli.register(sub)  # subject export, erase, rectify
    audience_cli.register(sub)  # audience export
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return answered(args.func, args)


def answered(command, *args) -> int:
    """A command's exit code, its expected problems said in one line (the worker's runs too)."""
    try:
        return command(*args) or 0
    except (UsageError, SettingsError) as exc:
        print(f"unify: {exc}", file=sys.stderr)
        return 2
    except WarehouseBusy as exc:
        print(f"unify: {exc} (try again later, or wait longer with --wait SECONDS)", file=sys.stderr)
        return BUSY_EXIT


# --- commands ---


def cmd_demo_data(args) -> int:
    from demo.generate import generate_sources

    truth = generate_sources(args.dir, args.customers, args.seed, messes=not args.clean, profile=args.profile)
    print(f"demo sources for {args.customers:,} customers in {args.dir}; truth in {truth}")
    return 0


def _configure(args) -> Settings:
    """The settings of a run or a training, once the sources folder, the model file and the
    warehouse they name are usable."""
    if getattr(args, "sources", None) and not Path(args.sources).is_dir():
        raise UsageError(f"sources folder not found: {args.sources}")
    settings = command_settings(args)
    if not Path(settings.sources).is_dir():
        raise UsageError(f"sources folder not found: {settings.sources} (use --sources DIR)")
    if getattr(args, "command", None) == "run":  # a run on no files would publish nobody; training reads the work area
        from sources.ingest import NoSourceFiles, require_source_files

        try:
            require_source_files(Path(settings.sources))
        except NoSourceFiles as exc:
            raise UsageError(str(exc)) from exc
    _check_model_file(settings.model)
    engine = reachable(settings.warehouse)
    if getattr(args, "command", None) == "run":  # erased people stay erased: no run without the key of their tombstones
        _check_tombstone_key(engine, settings.tombstone_key)
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster"))  # Dagster's own variable: its instance
    return settings


def _check_tombstone_key(engine, key: str) -> None:
    from sources.erasure import TombstoneKeyError
    from warehouse.subjects import read_tombstones

    try:
        read_tombstones(engine, key)
    except TombstoneKeyError as exc:
        raise UsageError(str(exc)) from exc


def _check_model_file(model: str) -> None:
    """A model file (--model, else $UNIFY_MODEL) that exists must be a readable model before a run
    starts; one that does not is where the run writes the model it scores with."""
    from linkage.model_store import ModelFileError, read_model_file

    if model and Path(model).exists():
        try:
            read_model_file(model)
        except ModelFileError as exc:
            raise UsageError(str(exc)) from exc


def _execute(
    settings: Settings,
    job_name: str,
    run_settings: dict | None = None,
    tags: dict | None = None,
    run_id: str | None = None,
):
    """Run the job in this process on the project's instance; tags and run_id as the warm worker
    gives them (pipelines/worker.py), else Dagster's."""
    from pipelines.alerts import alert_run
    from pipelines.definitions import build_definitions
    from pipelines.instance import command_instance
    from pipelines.logs import RUN_LOG, library_logs, log_file, run_log

    defs = build_definitions(settings)
    run_config = {"loggers": {RUN_LOG: {}}}  # Dagster's run log to the log file: the summary says what matters
    if run_settings is not None:
        run_config["resources"] = {"run_settings": {"config": run_settings}}
    with library_logs(log_file(settings.work_dir)), command_instance() as instance:
        job = defs.resolve_job_def(job_name).with_logger_defs({RUN_LOG: run_log})
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, tags=tags, run_id=run_id
        )
        alert_run(instance, result.run_id, settings)  # no daemon here: the run's alert is sent as it ends
        return result


def _run_lock(settings: Settings, wait: float):
    """The warehouse's run lock, held for the whole command; saying so on standard error while it waits."""
    from warehouse.lock import run_lock

    def say(message: str) -> None:
        print(f"unify: {message}", file=sys.stderr)

    return run_lock(settings.warehouse, wait, on_wait=say)


def parse_as_of(text: str | None) -> str:
    """--as-of as the run setting: an ISO date, or '' for the date the run starts."""
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise UsageError(f"--as-of takes a date YYYY-MM-DD, not {text!r}") from exc


def cmd_run(args) -> int:
    run_settings = {"as_of": parse_as_of(args.as_of), "allow_shrink": args.allow_shrink}
    settings = _configure(args)
    if not args.incremental:  # a full run stays in its own process: its memory goes when it ends
        return run_job(settings, "full_refresh", run_settings, args.wait)
    from pipelines.worker import hand_off

    handed = hand_off(settings, "incremental_update", run_settings, args.wait)
    return run_job(settings, "incremental_update", run_settings, args.wait) if handed is None else handed


def run_job(
    settings: Settings,
    job_name: str,
    run_settings: dict,
    wait: float,
    tags: dict | None = None,
    run_id: str | None = None,
) -> int:
    """One pipeline run under the warehouse's run lock, and what `unify run` prints of it; its exit
    code. The warm worker (`unify worker`) runs its hand-offs through this very function."""
    # the summary reads the warehouse too: whoever waits for the lock then finds the file let go
    with _run_lock(settings, wait):
        result = _execute(settings, job_name, run_settings, tags=tags, run_id=run_id)
        published = result.success and result.asset_materializations_for_node("warehouse__published")
        if published:
            print_run_summary(settings.warehouse, result.run_id)
    evaluations = result.get_asset_check_evaluations()
    if not published:
        _report_failure(result, "did not publish; the previous tables stay live")
        for line in [*check_lines(evaluations), *shrink_refusals(evaluations)]:
            print(line, file=sys.stderr)
        return 1
    for line in check_lines(evaluations):
        print(line)
    for trained in result.asset_materializations_for_node("linked__linkage_model"):
        print(f"  model {trained.metadata['version'].value}, trained: {trained.metadata['trained'].value}")
    for report in result.asset_materializations_for_node("reports__run_report"):
        print(f"  run report: {report.metadata['report'].path}")
    return 0


def cmd_worker(args) -> int:
    """Serve incremental runs warm on loopback (pipelines/worker.py) until stopped."""
    from pipelines.worker import WorkerError, serve

    settings = command_settings(args)
    reachable(settings.warehouse).dispose()
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster"))  # the instance its runs are on
    try:
        return serve(settings, partial(answered, run_job), os.environ["DAGSTER_HOME"])
    except WorkerError as exc:
        raise UsageError(str(exc)) from exc


def check_lines(evaluations) -> list[str]:
    """One line per check that did not simply pass: a warning (the publish went on), a failure
    that blocked the publish, a check that was skipped. Figures only: check metadata holds counts,
    shares and source system names, never a person's data, and charts and paths are left out."""
    lines = []
    for e in evaluations:
        status = e.metadata.get("status")
        if e.passed and status is not None and str(status.value).startswith("skipped"):
            lines.append(f"  skipped: {e.check_name}: {str(status.value).removeprefix('skipped: ')}")
        elif not e.passed:
            kind = "warning" if e.severity.value == "WARN" else "blocked"
            lines.append(f"  {kind}: {e.check_name}: {check_figures(e.metadata)}")
    return lines


def check_figures(metadata: dict) -> str:
    """'name=value, ...' of a check's numbers, flags and short texts."""
    from dagster import BoolMetadataValue, FloatMetadataValue, IntMetadataValue, TextMetadataValue

    shown = []
    for name, entry in metadata.items():
        short_text = isinstance(entry, TextMetadataValue) and len(entry.value) <= 80
        if isinstance(entry, FloatMetadataValue):
            shown.append(f"{name}={entry.value:g}")
        elif isinstance(entry, (IntMetadataValue, BoolMetadataValue)) or short_text:
            shown.append(f"{name}={entry.value}")
    return ", ".join(shown)


def shrink_refusals(evaluations) -> list[str]:
    """Why a run that shrank did not publish, and how to let it."""
    from assets.checks import SHRINK_CHECKS

    lines = []
    for e in evaluations:
        if e.check_name in SHRINK_CHECKS and not e.passed and e.severity.value == "ERROR":
            m = {name: entry.value for name, entry in e.metadata.items()}
            lines.append(
                f"unify: not published: {SHRINK_CHECKS[e.check_name]} fell by {m['share_lost']:.1%} "
                "against the last publish "
                f"({m['last_publish']:,} -> {m['this_run']:,}), more than the allowed {m['max_shrink']:.0%}; "
                "if that is intended (an export removed on purpose), run again with `unify run --allow-shrink`"
            )
    return lines


def cmd_train(args) -> int:
    if args.export:
        return export_model(engine_of(args), args.export)
    settings = _configure(args)
    with _run_lock(settings, args.wait):
        result = _execute(settings, "retrain_model")
    if not result.success:
        _report_failure(result, "did not retrain (no standardised records yet? run `unify run` first)")
        return 1
    (saved,) = result.asset_materializations_for_node("linked__linkage_model")
    version, trained = saved.metadata["version"].value, saved.metadata["trained"].value
    print(f"run {result.run_id}: model {version} is the warehouse's current model (trained: {trained})")
    if str(trained).startswith("yes"):  # a model file imported instead was not trained here
        print(label_line({name: entry.value for name, entry in saved.metadata.items()}))
    return 0


def label_line(metadata: dict) -> str:
    """What reviewers' decisions taught the model, in figures (linkage.labels)."""
    from linkage.labels import MIN_LABELS, MIN_PRECISION, enough_labels

    counts = {k: metadata.get(f"labels_{k}", 0) for k in ("pairs", "same", "different")}
    if not counts["pairs"]:
        return "  labels: none (no decided pair has both its records among these); thresholds as configured"
    said = f"{counts['pairs']:,} decided pairs ({counts['same']:,} same, {counts['different']:,} different)"
    if not enough_labels(counts):
        return f"  labels: {said}; not used: {MIN_LABELS} are needed, both same and different; thresholds as configured"
    m_text = f"m also estimated from {metadata.get('labels_m_from_labels', 0):,} same pairs"
    if "labels_match_threshold" in metadata:
        floor = metadata.get("labels_review_floor")
        placed = (
            f"match threshold {metadata['labels_match_threshold']:.4f}, "
            f"review floor {f'{floor:.4f}' if floor is not None else 'as configured'} "
            f"(on the labels: precision {metadata['labels_precision']:.4f}, recall {metadata['labels_recall']:.4f}, "
            f"F1 {metadata['labels_f1']:.4f})"
        )
    else:
        placed = f"thresholds as configured (no threshold keeps precision >= {MIN_PRECISION} on the labels)"
    return f"  labels: {said}; {m_text}; {placed}"


def export_model(engine, target: Path) -> int:
    from linkage.model_store import write_model_file
    from warehouse.models import current_model

    document = current_model(engine)
    if document is None:
        raise UsageError("the warehouse has no linkage model yet: run `unify run` or `unify train` first")
    write_model_file(document, target)
    print(f"model {document['version']} written to {target}")
    return 0


def _report_failure(result, what: str) -> None:
    print(f"unify: run {result.run_id} {what}.", file=sys.stderr)
    for event in [e for e in result.all_events if e.is_failure][:5]:
        print(f"  {event.message}", file=sys.stderr)


def print_run_summary(url: str, run_id: str) -> None:
    from sqlalchemy import select

    from reports.figures import public_reason
    from warehouse.engine import make_engine
    from warehouse.tables import pipeline_runs

    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(select(pipeline_runs).where(pipeline_runs.c.run_id == run_id)).mappings().one()
        by_system = conn.exec_driver_sql(
            "select source_system, count(*), count(distinct customer_id) from customer_source_records group by 1 order by 1"
        ).fetchall()
    engine.dispose()
    files = json.loads(row["per_source"])
    print(f"run {run_id}: published")
    print(f"  rows read {row['rows_read']:,}  staged {row['staged']:,}  quarantined {row['quarantined']:,}")
    print(
        f"  golden customers {row['golden_customers']:,}  duplicates merged {row['staged'] - row['golden_customers']:,}"
    )
    print("  per source system: records -> customers")
    for system, records, customers in by_system:
        print(f"    {system:<14} {records:>8,} -> {customers:,}")
    print("  per file: read = staged + quarantined")
    for f in files:
        note = f"  ({public_reason(f['error'])})" if f["error"] else ""  # the error may quote a cell
        print(f"    {f['source_file']:<44} {f['rows_read']:>7,} = {f['staged']:,} + {f['quarantined']:,}{note}")


def cmd_evaluate(args) -> int:
    from linkage.evaluate import pairwise_scores, read_truth
    from warehouse.state import published_assignment

    if not args.truth.is_file():
        raise UsageError(f"truth file not found: {args.truth}")
    scores = pairwise_scores(published_assignment(published_engine(args)), read_truth(args.truth))
    print(json.dumps(scores.as_dict()) if args.json else f"pairwise {scores.summary()}")
    return 0


def cmd_grant_read(args) -> int:
    from sqlalchemy.exc import OperationalError

    from warehouse.grants import GrantError, grant_read

    try:
        granted = grant_read(engine_of(args), args.role)
    except GrantError as exc:
        raise UsageError(str(exc)) from exc
    except OperationalError as exc:
        raise UsageError(f"cannot reach the warehouse: {exc.orig}") from exc
    print(f"{args.role} may read {len(granted)} published tables: {', '.join(granted)}")
    return 0


# --- people's decisions ---


def cmd_resolve(args) -> int:
    """Records from standard input, answers to standard output (search/resolver.py); exit 1 when a line was an error."""
    from search.resolver import NotReady, resolve_lines, resolver_for
    from search.retry import WarehouseUnavailable

    published_engine(args).dispose()  # only checked: the resolver reads in its own read-only transaction
    try:
        resolver = resolver_for(command_settings(args).warehouse)
    except (NotReady, WarehouseUnavailable) as exc:
        raise UsageError(str(exc)) from exc
    answered, errors = resolve_lines(resolver, sys.stdin, sys.stdout)
    print(f"resolved {answered:,} records ({errors:,} lines in error) against run {resolver.run_id}", file=sys.stderr)
    return 1 if errors else 0


def cmd_review(args) -> int:
    from warehouse import review

    engine = published_engine(args)
    try:
        if args.review_command == "list":
            rows = review.list_queue(engine, None if args.status == "all" else args.status, args.limit)
            for r in rows:
                print(
                    f"{r['pair_id']}  p={r['match_probability']:.3f}  {r['status']:<9}  {r['left_customer_id']} ~ {r['right_customer_id']}"
                )
            print(f"{len(rows)} pair(s)")
        elif args.review_command == "show":
            print_pair(engine, review.get_pair(engine, args.pair))
        else:
            review.decide(engine, args.pair, args.decision, args.by)
            print(f"pair {args.pair}: {args.decision} (applied from the next run)")
    except review.UnknownPair as exc:
        raise UsageError(str(exc)) from exc
    return 0


def print_pair(engine, pair: dict) -> None:
    """Both records of a pair side by side (staff-facing: the terminal is behind the same trust as the warehouse)."""
    from warehouse.review import PAIR_FIELDS, published_record

    sides = [
        published_record(engine, (pair[f"{s}_source_file"], pair[f"{s}_source_sheet"], pair[f"{s}_source_row"]))
        for s in ("left", "right")
    ]
    print(f"pair {pair['pair_id']}  match probability {pair['match_probability']:.3f}  status {pair['status']}")
    print(f"  {'':<14} {'left':<40} right")
    print(f"  {'lineage':<14} {_key(pair, 'left'):<40} {_key(pair, 'right')}")
    for name in ("customer_id", "source_system", *(field for field, _label in PAIR_FIELDS)):
        left, right = (str(s.get(name) or "") for s in sides)
        print(f"  {name:<14} {left[:40]:<40} {right[:40]}")


def _key(pair: dict, side: str) -> str:
    return f"{pair[side + '_source_file']}:{pair[side + '_source_sheet']}:{pair[side + '_source_row']}"


def cmd_merge(args) -> int:
    from warehouse import review

    first, second = args.customer_ids
    try:
        review.refuse_self_merge(first, second)  # said before the warehouse is opened: the arguments are wrong
        review.merge(published_engine(args), first, second, args.by)
    except review.CorrectionError as exc:
        raise UsageError(str(exc)) from exc
    print(f"{first} and {second} will be one customer from the next run")
    return 0


def cmd_split(args) -> int:
    """Split = the listed records stay together, the rest stay together, and the two never meet."""
    from warehouse import review

    engine = published_engine(args)
    try:
        chosen = [review.parse_lineage_key(key) for key in args.records]
        review.split(engine, args.customer_id, chosen, args.by)
    except review.CorrectionError as exc:
        raise UsageError(str(exc)) from exc
    print(f"{len(set(chosen))} record(s) will leave {args.customer_id} from the next run")
    return 0


def command() -> None:
    """The `unify` program: main(), then an exit without the interpreter's teardown.

    Freeing Dagster's, Splink's and pandas' module graphs takes ~0.8 s after the work is done and
    every database is closed; a command run nightly and by hand need not wait for it."""
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    command()
