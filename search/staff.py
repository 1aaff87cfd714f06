"""Staff accounts, API tokens and the audit log: state tables in the warehouse.

Passwords are kept only as argon2 hashes and tokens only as SHA-256 digests (a token is random
and long, so a fast digest is enough and lets a request be checked by a dictionary lookup).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update

from common.clock import utc_now
from search.branches import Branch, BranchError, check_name
from search.retry import retry_when_busy
from warehouse.publish import add_missing_columns, ensure_state_tables
from warehouse.tables import api_tokens, audit_log, staff_accounts, staff_branches

ROLES = ("viewer", "resolver", "reviewer", "admin")  # each may do what those before it may
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "unify_"
_USERNAME_RE = re.compile(r"^[\w.@\-]{1,64}$")
_hasher = PasswordHasher()


class StaffError(ValueError):
    """An expected problem with a staff command (unknown user, bad role, short password)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the account is unknown, so both answers take as long; made on first
    use (a deliberate ~0.1 s) rather than by every command that imports this module."""
    return _hasher.hash(secrets.token_urlsafe(16))


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def add_staff(engine: Engine, username: str, role: str, password: str) -> None:
    if not _USERNAME_RE.match(username or ""):
        raise StaffError(f"not a valid staff name: {username!r} (letters, digits, . _ @ -; at most 64)")
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    row = {
        "username": username,
        "role": role,
        "password_hash": _hasher.hash(password),
        "created_at": utc_now(),
        "disabled": False,
    }

    def write() -> None:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            if conn.execute(select(staff_accounts.c.username).where(staff_accounts.c.username == username)).first():
                raise StaffError(f"staff {username!r} already exists")
            conn.execute(insert(staff_accounts).values(**row))

    retry_when_busy(write)


def issue_token(engine: Engine, username: str) -> str:
    """A new API token for an existing, enabled account; only its digest is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def write() -> None:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            account = (
                conn.execute(select(staff_accounts).where(staff_accounts.c.username == username)).mappings().first()
            )
            if account is None or account["disabled"]:
                raise StaffError(f"no enabled staff account {username!r} (add it with `unify staff add`)")
            conn.execute(
                insert(api_tokens).values(
                    token_hash=hash_token(token), username=username, created_at=utc_now(), revoked=False
                )
            )

    retry_when_busy(write)
    return token


def write_audit(engine: Engine, entries: list[dict]) -> None:
    """Append audit entries (at, username, action, target, detail) in one transaction."""
    if not entries:
        return

    def write() -> None:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            conn.execute(insert(audit_log), entries)

    retry_when_busy(write)


def read_audit(engine: Engine, limit: int = 100) -> list[dict]:
    def read() -> list[dict]:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            query = select(audit_log).order_by(audit_log.c["at"].desc()).limit(limit)
            return [dict(r) for r in conn.execute(query).mappings()]

    return retry_when_busy(read)


# ---------------------------------------------------------------- branch scoping (search/branches.py)


def limit_to_branches(engine: Engine, username: str, branches: list[str] | None) -> None:
    """Limit an account to these branches; none: unscoped (every customer). An account made before
    branches existed has no such column yet: it gains it here, and until then reads as unscoped."""
    names = sorted({check_name(b) for b in branches or []})

    def write() -> None:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            add_missing_columns(conn, staff_accounts)
            done = conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(branches=",".join(names) or None)
            )
            if done.rowcount == 0:
                raise StaffError(f"no staff account {username!r}")

    retry_when_busy(write)


def save_branch(engine: Engine, branch: Branch, by: str) -> None:
    """Define (or replace) a branch of the admin page."""
    row = {
        "salespeople": json.dumps(sorted(branch.salespeople), ensure_ascii=False),
        "source_systems": json.dumps(sorted(branch.source_systems), ensure_ascii=False),
        "updated_at": utc_now(),
        "updated_by": by,
    }

    def write() -> None:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            conn.execute(delete(staff_branches).where(staff_branches.c.name == branch.name))
            conn.execute(insert(staff_branches).values(name=branch.name, **row))

    retry_when_busy(write)


def delete_branch(engine: Engine, name: str) -> None:
    def write() -> None:
        with engine.begin() as conn:
            ensure_state_tables(conn)
            if conn.execute(delete(staff_branches).where(staff_branches.c.name == name)).rowcount == 0:
                raise BranchError(f"no branch {name!r} defined on the admin page")

    retry_when_busy(write)
