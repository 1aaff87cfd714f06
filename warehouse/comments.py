"""Table and column descriptions as database comments, from the one table definition (tables.py).

A BI tool (Superset, Metabase, DBeaver) shows a table's and a column's comment beside its name.
Both backends get them from the definitions: SQLAlchemy emits `COMMENT ON TABLE/COLUMN` after the
`CREATE TABLE` of every `<table>__next` (PostgreSQL and duckdb-engine alike), and the comments
travel with the table when it is renamed into place. A table an incremental run changes in place
is not created again, so its comments are set here, in the publish's transaction (an older
version of this project may have created it without them). The statements are SQLAlchemy's DDL
constructs: the dialect quotes the names and the text.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, text
from sqlalchemy.schema import SetColumnComment, SetTableComment

DUCKDB_COMMENTS = """
select t.table_name, t.comment, c.column_name, c.comment
from duckdb_tables() t join duckdb_columns() c using (database_name, schema_name, table_name)
where t.schema_name = current_schema()"""
POSTGRES_COMMENTS = """
select c.relname, obj_description(c.oid, 'pg_class'), a.attname, col_description(c.oid, a.attnum)
from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relkind = 'r' and c.relnamespace = current_schema()::regnamespace"""


def set_comments(conn: Connection, table: Table) -> None:
    """Give an existing table its definition's table and column comments."""
    conn.execute(SetTableComment(table))
    for column in table.columns:
        conn.execute(SetColumnComment(column))


def read_comments(conn: Connection) -> dict[str, tuple[str | None, dict[str, str | None]]]:
    """table -> (its comment, column -> comment), as the database holds them, for every table."""
    sql = DUCKDB_COMMENTS if conn.dialect.name == "duckdb" else POSTGRES_COMMENTS
    found: dict[str, tuple[str | None, dict[str, str | None]]] = {}
    for table, table_comment, column, column_comment in conn.execute(text(sql)):
        found.setdefault(table, (table_comment, {}))[1][column] = column_comment
    return found
