"""What every `unify` command shares: its one-line error, its warehouse options, its settings and
its warehouse (pipelines/cli.py and the subcommand modules beside it import these)."""

from __future__ import annotations

import argparse
from pathlib import Path

from config.settings import DEFAULTS, Settings

NOTHING_PUBLISHED = "nothing is published in this warehouse yet: run `unify run` first"


class UsageError(Exception):
    """An expected problem: reported in one line, exit code 2."""


def add_warehouse_options(parser: argparse.ArgumentParser, sources: bool = True) -> None:
    parser.add_argument("--warehouse", help=f"SQLAlchemy URL (default: $UNIFY_WAREHOUSE or {DEFAULTS.warehouse})")
    if sources:
        parser.add_argument("--sources", help=f"sources folder (default: $UNIFY_SOURCES or {DEFAULTS.sources})")


def command_settings(args) -> Settings:
    """This command's settings: its options over the environment (config/settings.py), the paths it
    names made absolute."""

    def option(name: str):
        return getattr(args, name, None)

    def absolute(path) -> str | None:
        return str(Path(path).resolve()) if path else None

    return Settings.from_env(
        warehouse=option("warehouse"),
        sources=absolute(option("sources")),
        model=absolute(option("model")),
        engine=option("engine"),
        spark_master=option("spark_master"),
    )


def reachable(url: str | None):
    """The warehouse's engine, once its server answered (a bad URL, an unreachable server: one line)."""
    from warehouse.engine import WarehouseUnreachable, WarehouseURLError, check_connection, make_engine

    try:
        engine = make_engine(url)
        check_connection(engine)
    except (WarehouseURLError, WarehouseUnreachable) as exc:
        raise UsageError(str(exc)) from exc
    return engine


def engine_of(args):
    return reachable(command_settings(args).warehouse)


def published_engine(args):
    """The warehouse's engine, once a run has published into it."""
    from warehouse.state import has_published

    engine = engine_of(args)
    if not has_published(engine):
        raise UsageError(NOTHING_PUBLISHED)
    return engine
