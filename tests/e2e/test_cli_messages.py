"""Expected problems of the commands that touch the warehouse, each said in one line on standard
error with a non-zero exit code: nothing published yet, a merge of a customer with itself, an
unreachable PostgreSQL server (named by host and port, with the reason)."""

from __future__ import annotations

import io
import socket
from contextlib import redirect_stderr, redirect_stdout

import pytest

from pipelines.cli import main
from pipelines.commands import NOTHING_PUBLISHED


def _unify(*argv) -> tuple[int, str]:
    """(exit code, standard error) of one command run in process; the search's commands end with
    SystemExit and their message, as the interpreter would print it."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
            if isinstance(exc.code, str):
                print(exc.code, file=err)
    return code, err.getvalue()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens on it once the socket is closed


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_MODEL"):
        monkeypatch.setenv(name, "")  # recorded, so what the command writes is put back
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_merging_a_customer_with_itself_is_refused(isolated):
    code, err = _unify("merge", "C00000001", "C00000001", "--warehouse", f"duckdb:///{isolated / 'w.duckdb'}")
    assert (code, err) == (2, "unify: cannot merge C00000001 with itself: name two different customers\n")


def test_commands_on_a_warehouse_with_nothing_published_say_so_in_one_line(isolated):
    db = isolated / "w.duckdb"
    warehouse = ["--warehouse", f"duckdb:///{db}"]
    truth = isolated / "truth.csv"
    truth.write_text("source_file,sheet,row_number,person_id\n", encoding="utf-8")
    commands = [
        ["merge", "C00000001", "C00000002"],
        ["split", "C00000001", "--records", "sales/a.csv::1"],
        ["review", "list"],
        ["review", "show", "p1"],
        ["review", "decide", "p1", "same"],
        ["evaluate", "--truth", truth],
        ["audience", "export", "--channel", "email", "--out", isolated / "audience.csv"],
    ]
    for command in commands:
        assert _unify(*command, *warehouse) == (2, f"unify: {NOTHING_PUBLISHED}\n"), command
    assert not db.exists()  # asking created no warehouse


def test_an_unreachable_postgresql_is_named_by_host_and_port_with_the_reason(isolated, sample_sources):
    port = _closed_port()
    url = f"postgresql+psycopg://u:p@127.0.0.1:{port}/db"
    commands = [
        ["run", "--sources", sample_sources],
        ["train", "--sources", sample_sources],
        ["merge", "C00000001", "C00000002"],
        ["review", "list"],
        ["evaluate", "--truth", sample_sources.parent / "sources_truth.csv"],
        ["warehouse", "grant-read", "bi"],
        ["search", "王芳"],
        ["staff", "token", "someone"],
    ]
    expected = f"unify: cannot reach the warehouse at 127.0.0.1:{port} (database db): connection refused\n"
    for command in commands:
        code, err = _unify(*command, "--warehouse", url)
        assert code != 0 and err == expected, command
