"""`unify subject export|erase|rectify`: data-subject requests (contracts/COMMANDS.md).

pipelines/cli.py adds them with `register(subparsers)`. The work is warehouse/subjects.py's; this
module parses and prints. What it prints names the customer ID and figures, never the person's data.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pipelines.commands import UsageError, add_warehouse_options, command_settings, published_engine
from warehouse.lock import DEFAULT_WAIT_SECONDS


def register(subparsers) -> None:
    subject = subparsers.add_parser("subject", help="data-subject requests: export, erase or correct a person's data")
    commands = subject.add_subparsers(dest="subject_command", required=True)

    export = commands.add_parser("export", help="everything held about a customer, as JSON and a readable HTML page")
    add_warehouse_options(export, sources=False)
    export.add_argument("customer_id", metavar="ID")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder the two files are written to")
    _by(export)
    export.set_defaults(func=cmd_export)

    erase = commands.add_parser(
        "erase", help="remove a customer from the warehouse, the search and the work area; later runs keep them out"
    )
    add_warehouse_options(erase, sources=False)
    erase.add_argument("customer_id", metavar="ID")
    erase.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for a run on the same warehouse to finish (default {DEFAULT_WAIT_SECONDS:g})",
    )
    _by(erase)
    erase.set_defaults(func=cmd_erase)

    rectify = commands.add_parser("rectify", help="correct a golden field; survivorship prefers it from the next run")
    add_warehouse_options(rectify, sources=False)
    rectify.add_argument("customer_id", metavar="ID")
    rectify.add_argument(
        "--field", required=True, metavar="F", help="display_name, phone, email, wechat, birth_date, ..."
    )
    rectify.add_argument("--value", required=True, metavar="V")
    _by(rectify)
    rectify.set_defaults(func=cmd_rectify)


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", default=os.environ.get("USER", "cli"), help="who makes the request (default: $USER)")


def cmd_export(args) -> int:
    from reports.subject_export import render
    from warehouse import subjects

    engine = published_engine(args)
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out is not a folder: {args.out}")
    try:
        document = subjects.export(engine, args.customer_id, args.by, Path(command_settings(args).work_dir))
    except subjects.SubjectError as exc:
        raise UsageError(str(exc)) from exc
    args.out.mkdir(parents=True, exist_ok=True)
    data, page = args.out / f"{args.customer_id}.json", args.out / f"{args.customer_id}.html"
    data.write_text(subjects.to_json(document), encoding="utf-8")
    page.write_text(render(document), encoding="utf-8")
    print(f"{args.customer_id}: {len(document['source_records'])} source records exported to {data} and {page}")
    return 0


def cmd_erase(args) -> int:
    from warehouse import subjects

    engine = published_engine(args)
    settings = command_settings(args)
    try:
        done = subjects.erase(
            engine, args.customer_id, args.by, settings.tombstone_key, Path(settings.work_dir), args.wait
        )
    except subjects.SubjectError as exc:
        raise UsageError(str(exc)) from exc
    removed = sum(done["rows_removed"].values())
    print(
        f"{args.customer_id} erased: {removed} warehouse rows and {sum(done['work_area_rows_removed'].values())} "
        f"work-area rows removed, {done['source_rows']} source rows quarantined; receipt {done['request_id']}"
    )
    return 0


def cmd_rectify(args) -> int:
    from warehouse import subjects

    engine = published_engine(args)
    try:
        done = subjects.rectify(engine, args.customer_id, args.field, args.value, args.by)
    except subjects.SubjectError as exc:
        raise UsageError(str(exc)) from exc
    print(f"{args.customer_id}: {', '.join(done['fields'])} corrected from the next run; receipt {done['request_id']}")
    return 0
