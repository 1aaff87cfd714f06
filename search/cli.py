"""`unify search`, `unify serve`, `unify staff add|token`: the search's commands (contracts/COMMANDS.md).

pipelines/cli.py adds them with `register(subparsers)`. Expected problems end in a one-line
reason on standard error and a non-zero exit code (SystemExit with the message).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys

from config.settings import DEFAULTS, Settings
from search.retry import WarehouseUnavailable
from search.staff import ROLES, StaffError, add_staff, issue_token
from warehouse.engine import WarehouseUnreachable, WarehouseURLError, check_connection, make_engine, warehouse_url


def register(subparsers) -> None:
    search = subparsers.add_parser(
        "search", help="find customers by name, pinyin, phone, email, WeChat, order or ticket number"
    )
    _warehouse_option(search)
    search.add_argument(
        "query", help="what the caller said, e.g. 黄桂芝, 'huang guizhi', '189 5997 5305', '黄 5305', '#1120'"
    )
    search.add_argument("--limit", type=int, default=10, help="at most this many results (default 10)")
    search.add_argument("--json", action="store_true", help="print the results as JSON")
    search.set_defaults(func=cmd_search)

    serve = subparsers.add_parser("serve", help="the staff search web application and JSON API")
    _warehouse_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.set_defaults(func=cmd_serve)

    staff = subparsers.add_parser("staff", help="staff accounts and API tokens for the search")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser("add", help="create a staff account")
    _warehouse_option(add)
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from standard input"
    )
    add.set_defaults(func=cmd_staff_add)
    token = staff_commands.add_parser("token", help="print a new API token for NAME, alone on its line")
    _warehouse_option(token)
    token.add_argument("name")
    token.set_defaults(func=cmd_staff_token)


def _warehouse_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help=f"SQLAlchemy URL (default: $UNIFY_WAREHOUSE or {DEFAULTS.warehouse})")


def _engine(args):
    """The warehouse's engine, once its server answered: a bad URL or an unreachable server is one line."""
    try:
        engine = make_engine(args.warehouse)
        check_connection(engine)
    except (WarehouseURLError, WarehouseUnreachable) as exc:
        raise SystemExit(f"unify: {exc}") from None
    return engine


def cmd_search(args) -> int:
    from search.snapshot import read_snapshot

    _engine(args)  # a bad URL is reported before anything is read
    try:
        snapshot = read_snapshot(warehouse_url(args.warehouse))
    except WarehouseUnavailable as exc:
        raise SystemExit(f"unify: {exc}") from None
    if not snapshot.customers:
        raise SystemExit("unify: nothing is published in this warehouse yet: run `unify run` first")
    results = snapshot.search(args.query, max(1, args.limit))
    if args.json:
        print(json.dumps({"run_id": snapshot.run_id, "results": results}, ensure_ascii=False, default=str, indent=1))
    else:
        print_results(results)
    return 0 if results else 1


def print_results(results: list[dict]) -> None:
    if not results:
        print("no customer found", file=sys.stderr)
        return
    for r in results:
        matched = ", ".join(f"{m['kind']}={m['value']}" for m in r["matched"])
        print(
            f"{r['customer_id']}  {r['display_name'] or '-'}  {r['phone'] or '-'}  {r['email'] or '-'}  {r['city'] or '-'}  [{matched}]"
        )


def cmd_serve(args) -> int:
    import uvicorn

    from search.app import create_app
    from search.store import Store

    _engine(args)
    settings = Settings.from_env(warehouse=args.warehouse)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(Store(settings.warehouse), secret=settings.secret_key, model_path=settings.model)
    print(f"staff search on http://{args.host}:{args.port}/  (API docs: /docs)", file=sys.stderr)
    # uvicorn's own access log prints query strings (phone numbers, emails): ours logs paths only
    uvicorn.run(app, host=args.host, port=args.port, access_log=False)
    return 0


def cmd_staff_add(args) -> int:
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    try:
        add_staff(_engine(args), args.name, args.role, password)
    except (StaffError, WarehouseUnavailable) as exc:
        raise SystemExit(f"unify: {exc}") from None
    print(f"staff {args.name} added as {args.role}", file=sys.stderr)
    return 0


def cmd_staff_token(args) -> int:
    try:
        token = issue_token(_engine(args), args.name)
    except (StaffError, WarehouseUnavailable) as exc:
        raise SystemExit(f"unify: {exc}") from None
    print(token)
    return 0
