"""PostgreSQL COPY for rows given as SQLAlchemy inserts them (dicts by column name): what
`conn.execute(table.insert(), rows)` writes, at a fraction of the client's and the server's work (no statement
to build, bind and parse per batch of rows). Used by the bulk loader, the search index and the organisations'
summary on PostgreSQL; `one_of` keeps their look-ups of many values one statement text."""

from __future__ import annotations

import json
from operator import itemgetter

import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.dialects.postgresql import ARRAY


def copy_rows(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert `rows`, which all have the same keys, into `table` in the connection's transaction. As the INSERT
    would: a column left out takes its Python-side default (a callable one is called once for the lot), None in
    a JSON column is JSON null, JSON is serialised by the engine's serialiser."""
    if not rows:
        return
    keys = list(rows[0])
    defaults = [c for c in table.columns if c.name not in rows[0] and c.default is not None]
    fixed = tuple(c.default.arg if c.default.is_scalar else c.default.arg(None) for c in defaults)
    serialise = conn.dialect._json_serializer or json.dumps
    json_at = [i for i, k in enumerate(keys) if isinstance(table.c[k].type, sa.JSON)]
    values = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(n) for n in [*keys, *(c.name for c in defaults)]))
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            out = values(row)
            if json_at:
                out = list(out)
                for i in json_at:
                    out[i] = serialise(out[i])
            copy.write_row((*out, *fixed) if fixed else out)


def one_of(conn: sa.Connection, column: sa.ColumnElement, values) -> sa.ColumnElement[bool]:
    """SQL: `column` is one of `values`. On PostgreSQL one array parameter (`= ANY`): the statement's text is the
    same however many values, so neither SQLAlchemy nor the driver writes and parses a placeholder per value;
    elsewhere IN (callers keep their lists short enough for SQLite's parameter limit)."""
    if conn.dialect.name != "postgresql":
        return column.in_(list(values))
    return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))


def int_array(values) -> str:
    """Integers as the text of one PostgreSQL array parameter, `{1,2,3}`, for `CAST(:p AS bigint[])`: one join,
    where the driver's list adapter spends about a millisecond on 2,000 ids."""
    return "{" + ",".join(map(str, map(int, values))) + "}"


def one_of_ids(dialect: str, column: str, ids, params: dict, key: str) -> str:
    """`one_of` for statements written as text: SQL saying `column` is one of the integers `ids`, binding `:key`
    in `params` on PostgreSQL (one array parameter: the statement's text is the same whatever the ids, so the
    driver prepares it once it recurs and the server reuses its plan, where a literal list made each statement
    new, parsed and planned again); elsewhere a literal list (NULL for none). The array is bigint[] whatever the
    column's integer type (the index serves it across types): an id past the column's range finds nothing."""
    if dialect != "postgresql":
        return f"{column} IN ({', '.join(map(str, map(int, ids))) or 'NULL'})"
    params[key] = int_array(ids)
    return f"{column} = ANY(CAST(:{key} AS bigint[]))"
