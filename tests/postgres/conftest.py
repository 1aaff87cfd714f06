"""The warehouse backends side by side: a real PostgreSQL server next to DuckDB files.

The server is a throwaway cluster in a temporary folder on a free loopback port, stopped and
removed after the session. PostgreSQL refuses to run as root, so under root it runs as the
unprivileged `postgres` user. Without PostgreSQL binaries its tests are skipped, with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

DATABASE = "unify"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian layout), else whatever is on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user_prefix() -> list[str]:
    """How to run a server command: as ourselves, or (under root) as the `postgres` user."""
    if os.geteuid() != 0:
        return []
    if subprocess.run(["id", "-u", "postgres"], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], check=True
        )
    return ["runuser", "-u", "postgres", "--"]


def _run(prefix: list[str], *args) -> None:
    done = subprocess.run([*prefix, *map(str, args)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{Path(str(args[0])).name} failed ({done.returncode}): {done.stderr or done.stdout}")


@pytest.fixture(scope="session")
def postgres_url():
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine: run scripts/system-deps.sh")
    prefix = _server_user_prefix()
    root = Path(tempfile.mkdtemp(prefix="unify-pg-"))  # not under pytest's 0700 tmp: the server user must reach it
    data, port = root / "data", _free_port()
    if prefix:
        shutil.chown(root, "postgres")
    try:
        _run(prefix, bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _run(prefix, bin_dir / "pg_ctl", "-D", data, "-l", root / "server.log", "-o", options, "-w", "start")
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as con:
            con.execute(f"create database {DATABASE}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        if (data / "postmaster.pid").exists():
            _run(prefix, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_url):
    """A new, empty database on the test server, for a test that needs a warehouse of its own."""
    url = make_url(postgres_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"create database {name}")
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"drop database {name} with (force)")


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path):
    """An empty warehouse on each backend."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path}/warehouse.duckdb"
    return request.getfixturevalue("postgres_database")
