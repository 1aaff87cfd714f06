"""What the end-to-end tests share: the `unify` command run in process, and a look into a warehouse."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import duckdb

from pipelines.cli import main


def unify(*argv: str) -> tuple[int, str, str]:
    """(exit code, standard output, standard error) of one `unify` command run in process."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def query(path, sql: str) -> list[tuple]:
    """Rows of one query on a DuckDB warehouse file, opened read-only."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()
