"""`unify audience export`: one channel's audience as CSV or .xlsx, with its suppression file (contracts/COMMANDS.md).

pipelines/cli.py adds it with `register(subparsers)`. The work is warehouse/audience_export.py's;
this module parses, writes the two files and prints figures, never a person's data.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.commands import UsageError, add_warehouse_options, published_engine
from warehouse.audience_export import CHANNELS, FORMATS, SEGMENTS_HELP


def register(subparsers) -> None:
    audience = subparsers.add_parser("audience", help="the marketing audience, for a marketing tool")
    commands = audience.add_subparsers(dest="audience_command", required=True)
    export = commands.add_parser(
        "export",
        help="one channel's audience with its contact field; a suppression file beside it says who was left out and why",
    )
    add_warehouse_options(export, sources=False)
    export.add_argument("--channel", required=True, metavar="|".join(CHANNELS))
    export.add_argument("--format", default="csv", metavar="|".join(FORMATS), help="csv (default) or xlsx")
    export.add_argument("--segment", metavar="SEGMENT", help=f"{SEGMENTS_HELP} (customer_value); default: everyone")
    export.add_argument(
        "--out", type=Path, required=True, metavar="PATH", help="the export file; the suppression file goes beside it"
    )
    export.add_argument(
        "--by", default=os.environ.get("USER", "cli"), help="who exports, for the audit log (default: $USER)"
    )
    export.set_defaults(func=cmd_export)


def suppression_path(out: Path) -> Path:
    """audience.csv -> audience.suppressed.csv, in the same folder."""
    return out.with_name(f"{out.stem}.suppressed{out.suffix}")


def cmd_export(args) -> int:
    from warehouse import audience_export as ae

    try:
        ae.check_channel(args.channel)
        ae.check_format(args.format)
        ae.parse_segment(args.segment)
        if args.out.is_dir():
            raise UsageError(f"--out is a folder, not a file: {args.out}")
        if not args.out.parent.is_dir():
            raise UsageError(f"--out's folder does not exist: {args.out.parent}")
        engine = published_engine(args)
        export = ae.build_export(engine, args.channel, args.segment)
    except ae.ExportError as exc:
        raise UsageError(str(exc)) from exc
    out = args.out if args.out.suffix == f".{args.format}" else args.out.with_name(f"{args.out.name}.{args.format}")
    suppressed = suppression_path(out)
    out.write_bytes(ae.to_bytes(export.rows, ae.EXPORT_COLUMNS, args.format))
    suppressed.write_bytes(ae.to_bytes(export.suppressed, ae.SUPPRESSION_COLUMNS, args.format))
    ae.audit_export(engine, args.by, export, args.format, via="cli")
    print(
        f"{args.channel} audience ({export.segment}): {len(export.rows):,} customers to {out}; "
        f"{len(export.suppressed):,} left out, with the reasons, in {suppressed}"
    )
    return 0
