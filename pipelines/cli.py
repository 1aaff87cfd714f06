"""`unify`: the command line for people and scripts (contracts/COMMANDS.md).

Expected problems (a missing folder, a bad URL) end with a one-line reason on standard error and
a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class UsageError(Exception):
    """An expected problem: reported in one line, exit code 2."""


def _common(parser: argparse.ArgumentParser, sources: bool = True) -> None:
    parser.add_argument("--warehouse", help="SQLAlchemy URL (default: $UNIFY_WAREHOUSE or duckdb:///data/warehouse.duckdb)")
    if sources:
        parser.add_argument("--sources", help="sources folder (default: $UNIFY_SOURCES or data/sources)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unify", description="Unify customer records into one golden customer table.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write realistic demo sources and a truth file beside them")
    demo.add_argument("dir", type=Path)
    demo.add_argument("--customers", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--clean", action="store_true", help="switch the messes off")
    demo.set_defaults(func=cmd_demo_data)

    run = sub.add_parser("run", help="run the pipeline headless on the project's Dagster instance")
    _common(run)
    run.add_argument("--engine", choices=["duckdb"], default="duckdb", help="linkage engine")
    run.set_defaults(func=cmd_run)

    train = sub.add_parser("train", help="retrain the linkage model and save a new version")
    _common(train)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="pairwise precision, recall and F1 of the published crosswalk")
    _common(evaluate, sources=False)
    evaluate.add_argument("--truth", type=Path, required=True, help="truth CSV: source_file, sheet, row_number, person_id")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger("splink").setLevel(logging.ERROR)  # training chatter; the run summary says what matters
    try:
        return args.func(args) or 0
    except UsageError as exc:
        print(f"unify: {exc}", file=sys.stderr)
        return 2


# --- commands ---


def cmd_demo_data(args) -> int:
    from demo.generate import generate_sources

    truth = generate_sources(args.dir, customers=args.customers, seed=args.seed, messes=not args.clean)
    print(f"demo sources for {args.customers:,} customers in {args.dir}; truth in {truth}")
    return 0


def _configure(args) -> None:
    """Point the pipeline's resources at the chosen folder and warehouse (read by the Definitions)."""
    from warehouse.engine import WarehouseURLError, make_engine

    if getattr(args, "sources", None):
        if not Path(args.sources).is_dir():
            raise UsageError(f"sources folder not found: {args.sources}")
        os.environ["UNIFY_SOURCES"] = str(Path(args.sources).resolve())
    elif not Path(os.environ.get("UNIFY_SOURCES", "data/sources")).is_dir():
        raise UsageError(f"sources folder not found: {os.environ.get('UNIFY_SOURCES', 'data/sources')} (use --sources DIR)")
    if args.warehouse:
        os.environ["UNIFY_WAREHOUSE"] = args.warehouse
    try:
        make_engine(os.environ.get("UNIFY_WAREHOUSE"))
    except WarehouseURLError as exc:
        raise UsageError(str(exc)) from exc
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster"))


def _execute(job_name: str):
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions

    defs = build_definitions()
    with DagsterInstance.get() as instance:
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the summary says what matters
        return defs.resolve_job_def(job_name).execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)


def cmd_run(args) -> int:
    _configure(args)
    result = _execute("full_refresh")
    if not (result.success and result.asset_materializations_for_node("warehouse__published")):
        _report_failure(result, "did not publish; the previous tables stay live")
        return 1
    print_run_summary(result.run_id)
    return 0


def cmd_train(args) -> int:
    _configure(args)
    result = _execute("retrain_model")
    if not result.success:
        _report_failure(result, "did not retrain (no standardised records yet? run `unify run` first)")
        return 1
    print(f"run {result.run_id}: model retrained and saved")
    return 0


def _report_failure(result, what: str) -> None:
    print(f"unify: run {result.run_id} {what}.", file=sys.stderr)
    for event in [e for e in result.all_events if e.is_failure][:5]:
        print(f"  {event.message}", file=sys.stderr)


def print_run_summary(run_id: str) -> None:
    from sqlalchemy import select

    from warehouse.engine import make_engine
    from warehouse.tables import pipeline_runs

    engine = make_engine(os.environ.get("UNIFY_WAREHOUSE"))
    with engine.connect() as conn:
        row = conn.execute(select(pipeline_runs).where(pipeline_runs.c.run_id == run_id)).mappings().one()
        by_system = conn.exec_driver_sql(
            "select source_system, count(*), count(distinct customer_id) from customer_source_records group by 1 order by 1"
        ).fetchall()
    files = json.loads(row["per_source"])
    print(f"run {run_id}: published")
    print(f"  rows read {row['rows_read']:,}  staged {row['staged']:,}  quarantined {row['quarantined']:,}")
    print(f"  golden customers {row['golden_customers']:,}  duplicates merged {row['staged'] - row['golden_customers']:,}")
    print("  per source system: records -> customers")
    for system, records, customers in by_system:
        print(f"    {system:<14} {records:>8,} -> {customers:,}")
    print("  per file: read = staged + quarantined")
    for f in files:
        note = f"  ({f['error']})" if f["error"] else ""
        print(f"    {f['source_file']:<44} {f['rows_read']:>7,} = {f['staged']:,} + {f['quarantined']:,}{note}")


def cmd_evaluate(args) -> int:
    from linkage.evaluate import pairwise_scores, read_truth
    from warehouse.engine import WarehouseURLError, make_engine

    if not args.truth.is_file():
        raise UsageError(f"truth file not found: {args.truth}")
    try:
        engine = make_engine(args.warehouse)
    except WarehouseURLError as exc:
        raise UsageError(str(exc)) from exc
    with engine.connect() as conn:
        try:
            rows = conn.exec_driver_sql("select source_file, source_sheet, source_row, customer_id from customer_source_records").fetchall()
        except Exception as exc:
            raise UsageError("the warehouse has no customer_source_records yet: run `unify run` first") from exc
    predicted = {(f, s or "", int(r)): c for f, s, r, c in rows}
    scores = pairwise_scores(predicted, read_truth(args.truth))
    print(json.dumps(scores.as_dict()) if args.json else f"pairwise {scores.summary()}")
    return 0

