"""`unify search`, `unify staff add|token` through the parser `register` builds."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from search.cli import register
from search.snapshot import read_control


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="unify")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_search_prints_the_customer(published, capsys):
    assert run(["search", "黃桂芝", "--warehouse", published.url]) == 0
    out = capsys.readouterr().out
    assert "黄桂芝" in out and "name=黄桂芝" in out


def test_search_as_json_and_nothing_found(published, capsys):
    assert run(["search", "黄桂芝", "--json", "--limit", "1", "--warehouse", published.url]) == 0
    body = json.loads(capsys.readouterr().out)
    assert len(body["results"]) == 1 and body["run_id"]
    assert run(["search", "zzqqxxjjkk", "--warehouse", published.url]) == 1
    assert "no customer found" in capsys.readouterr().err


def test_search_reports_expected_problems_in_one_line(tmp_path):
    with pytest.raises(SystemExit, match="^unify: not a database URL"):
        run(["search", "x", "--warehouse", "nonsense"])
    with pytest.raises(SystemExit, match="^unify: nothing is published"):
        run(["search", "x", "--warehouse", f"duckdb:///{tmp_path / 'empty.duckdb'}"])


def test_staff_add_reads_the_password_from_stdin_and_token_prints_one_line(published, tmp_path, monkeypatch, capsys):
    url = published.copy(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert run(["staff", "add", "wang.fang", "--role", "reviewer", "--password-stdin", "--warehouse", url]) == 0
    account = read_control(url).accounts["wang.fang"]
    assert (
        account["role"] == "reviewer"
        and account["password_hash"].startswith("$argon2")
        and "a-long-password" not in account["password_hash"]
    )
    capsys.readouterr()
    assert run(["staff", "token", "wang.fang", "--warehouse", url]) == 0
    [token] = capsys.readouterr().out.splitlines()
    assert token.startswith("unify_") and len(token) > 30
    assert len(read_control(url).tokens) == len(published.tokens) + 1 and token not in read_control(url).tokens


@pytest.mark.parametrize(
    "argv, stdin, message",
    [
        (["staff", "add", "vera", "--role", "viewer", "--password-stdin"], "another-password\n", "already exists"),
        (["staff", "add", "newbie", "--role", "viewer", "--password-stdin"], "short\n", "at least 8"),
        (
            ["staff", "add", "bad name!", "--role", "viewer", "--password-stdin"],
            "long-enough-1\n",
            "not a valid staff name",
        ),
        (["staff", "token", "nobody"], "", "no enabled staff account"),
    ],
)
def test_staff_commands_report_expected_problems(published, tmp_path, monkeypatch, argv, stdin, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit, match=f"^unify: .*{message}"):
        run([*argv, "--warehouse", published.copy(tmp_path)])


def test_roles_and_the_password_flag_are_checked_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(["staff", "add", "x", "--role", "boss", "--password-stdin"])
    assert exit_info.value.code == 2


def test_serve_takes_host_and_port():
    parser = argparse.ArgumentParser(prog="unify")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000", "--warehouse", "duckdb:///x.duckdb"])
    assert (args.host, args.port, args.warehouse) == ("0.0.0.0", 9000, "duckdb:///x.duckdb")
