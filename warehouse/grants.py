"""Read access for BI tools on PostgreSQL: a role that may read the published tables, nothing else.

State tables (staff accounts, API tokens, the audit log, the identity registry) stay private. A
publish replaces the published tables, so it carries each table's grants over to its successor
(warehouse.publish); `grant_read` is therefore needed once per role, and again only when a new
published table appears. DuckDB has no roles: BI tools open its file read-only.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, text

from warehouse.tables import PUBLISHED


class GrantError(ValueError):
    pass


def grant_read(engine: Engine, role: str) -> list[str]:
    """Let `role` (created NOLOGIN when missing) read every published table; returns their names.

    Identifiers are quoted by the dialect: GRANT and CREATE ROLE take no bound parameters."""
    if engine.dialect.name != "postgresql":
        raise GrantError(
            f"{engine.dialect.name} has no roles: BI tools open the DuckDB file read-only (see docs/warehouse.md)"
        )
    quoted = engine.dialect.identifier_preparer.quote_identifier(role)
    with engine.begin() as conn:
        if conn.execute(text("select 1 from pg_roles where rolname = :role"), {"role": role}).first() is None:
            conn.exec_driver_sql(f"create role {quoted} nologin")
        schema = conn.dialect.identifier_preparer.quote_identifier(
            conn.execute(text("select current_schema()")).scalar()
        )
        conn.exec_driver_sql(f"grant usage on schema {schema} to {quoted}")
        present = set(inspect(conn).get_table_names())
        granted = [t.name for t in PUBLISHED if t.name in present]
        for name in granted:
            conn.exec_driver_sql(f'grant select on "{name}" to {quoted}')
    return granted


def copy_grants(conn: Connection, source: str, target: str) -> None:
    """Give `target` the privileges others hold on `source` (PostgreSQL; the owner's own are implicit)."""
    grants = conn.execute(
        text(
            """select case when a.grantee = 0 then 'public' else a.grantee::regrole::text end as grantee,
                      string_agg(a.privilege_type, ', ' order by a.privilege_type) as privileges
               from pg_class c, aclexplode(c.relacl) a
               where c.oid = to_regclass(:source) and a.grantee <> c.relowner
               group by 1"""
        ),
        {"source": f'"{source}"'},
    ).all()
    for grantee, privileges in grants:
        conn.exec_driver_sql(f'grant {privileges} on "{target}" to {grantee}')  # regrole::text is already quoted
