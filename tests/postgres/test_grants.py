"""A read-only role for BI tools on PostgreSQL: the published tables, not the state, across publishes."""

from __future__ import annotations

import uuid

import pytest
from publish_and_hang import release
from sqlalchemy import exc
from sqlalchemy.engine import make_url

from warehouse import publish
from warehouse.engine import make_engine
from warehouse.grants import GrantError, grant_read


def test_a_read_role_reads_the_published_tables_only_and_keeps_them_after_the_next_publish(postgres_database):
    engine = make_engine(postgres_database)
    publish.publish(engine, **release(3, "first"))
    role = f"bi_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"create role {role} login")
    assert grant_read(engine, role) == ["golden_customers", "customer_value"]  # the published tables that exist so far
    reader = make_engine(make_url(postgres_database).set(username=role))
    with reader.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from golden_customers").scalar() == 3
        with pytest.raises(exc.ProgrammingError, match="permission denied"):
            conn.exec_driver_sql("select * from staff_accounts")
    publish.publish(engine, **release(4, "second"))  # new tables, same grants
    with reader.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from customer_value").scalar() == 4


def test_a_missing_role_is_created_without_login_and_its_name_is_quoted(postgres_database):
    engine = make_engine(postgres_database)
    publish.publish(engine, **release(1, "first"))
    role = f'bi "team" {uuid.uuid4().hex[:6]}'
    grant_read(engine, role)
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("select rolcanlogin from pg_roles where rolname = %(r)s", {"r": role}).scalar()
            is False
        )
        assert conn.exec_driver_sql(
            "select has_table_privilege(%(r)s, 'golden_customers', 'select')", {"r": role}
        ).scalar()


def test_duckdb_has_no_roles(tmp_path):
    with pytest.raises(GrantError, match="read-only"):
        grant_read(make_engine(f"duckdb:///{tmp_path}/w.duckdb"), "bi")
