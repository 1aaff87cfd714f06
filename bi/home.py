"""What the BI dashboard keeps and reads: its state folder, its secrets and the warehouse's URI for Superset.

Runs inside the BI environment (.venv-bi: Superset pins SQLAlchemy 1.4) as well as the project's, so
it imports only the standard library, SQLAlchemy's URL parser (the same in 1.4 and 2.x) and the
settings. A secret not given in the environment is generated once and kept in the state folder,
readable by its owner only: Superset encrypts stored passwords with its secret key, so the key
must survive a restart.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.settings import env_name, setting

ADMIN = "admin"  # the Superset account provisioned for the dashboard
DASHBOARD_SLUG = "customer-360"
BUNDLE = Path(__file__).resolve().parent / "bundle"
URI_PLACEHOLDER = "__WAREHOUSE_URI__"
# Superset's SQLAlchemy 1.4 has no psycopg 3 dialect: PostgreSQL is read through psycopg2
POSTGRES_DRIVER = "postgresql+psycopg2"


class BIError(ValueError):
    """A warehouse or setting the dashboard cannot use, said in one line."""


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The state folder (UNIFY_BI_HOME), made when missing, private to its owner."""
    home = Path(setting("bi_home", env)).resolve()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def kept_secret(home: Path, name: str, given: str) -> tuple[str, str]:
    """(secret, where it is): the given one, else the one kept in home/name, else a new one kept there."""
    if given:
        return given, "the environment"
    path = home / name
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip(), str(path)


def secret_key(env: Mapping[str, str] = os.environ) -> str:
    return kept_secret(state_dir(env), "secret_key", setting("bi_secret_key", env))[0]


def admin_password(env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """(password, where to find it): UNIFY_BI_ADMIN_PASSWORD, else the file kept in the state folder."""
    password, where = kept_secret(state_dir(env), "admin_password", setting("bi_admin_password", env))
    return password, env_name("bi_admin_password") if where == "the environment" else where


def metadata_uri(env: Mapping[str, str] = os.environ) -> str:
    """Superset's own database (users, charts, dashboards): SQLite in the state folder."""
    return f"sqlite:///{state_dir(env) / 'superset.db'}"


def superset_database(warehouse: str) -> tuple[str, dict]:
    """(URI, engine parameters) Superset reads the warehouse with, read-only.

    DuckDB: the file by absolute path (Superset may start elsewhere), opened read-only so that a run
    can still publish between queries. PostgreSQL: through psycopg2, every session read-only."""
    try:
        url = make_url(warehouse)
    except ArgumentError:
        raise BIError(f"not a database URL: {warehouse!r} ({env_name('warehouse')})") from None
    backend = url.get_backend_name()
    if backend == "duckdb":
        if not url.database or url.database == ":memory:":
            raise BIError(f"the dashboard needs a DuckDB warehouse file, not {warehouse!r}")
        path = Path(url.database).resolve()
        if not path.exists():
            raise BIError(f"no warehouse at {path}: publish one first (make demo, or unify run)")
        return f"duckdb:///{path}", {"connect_args": {"read_only": True}}
    if backend == "postgresql":
        uri = url.set(drivername=POSTGRES_DRIVER).render_as_string(hide_password=False)
        return uri, {"connect_args": {"options": "-c default_transaction_read_only=on"}}
    raise BIError(f"the dashboard reads a duckdb:/// or postgresql:// warehouse, not {backend!r}")
