"""`one_of` and `one_of_ids` (its twin for statements written as text), the look-ups of many values the bulk loader,
the exports, the organisations' summary and the search use: the rows IN selects, on both backends (on PostgreSQL
written as one array parameter)."""

from __future__ import annotations

import sqlalchemy as sa

from storage.pgcopy import one_of, one_of_ids


def test_one_of_selects_what_in_selects_for_no_one_or_many_values(database_url):
    engine = sa.create_engine(database_url)
    table = sa.Table("t_one_of", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("name", sa.String))
    try:
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), [{"id": i, "name": f"名{i}"} for i in range(1000)])
            for values in ([], [7], list(range(0, 1000, 3)), [5, 5, 2000]):
                for column, given in ((table.c.id, values), (table.c.name, [f"名{v}" for v in values])):
                    chosen = conn.execute(sa.select(table.c.id).where(one_of(conn, column, given))).scalars()
                    expected = conn.execute(sa.select(table.c.id).where(column.in_(given))).scalars()
                    assert sorted(chosen) == sorted(expected), (column, len(values))
    finally:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
        engine.dispose()


def test_one_of_ids_selects_what_in_selects_and_an_id_past_the_column_finds_nothing(database_url):
    """`one_of_ids`, its twin for statements written as text (the search's): none, one, many, a repeated id,
    and the largest id an INTEGER column holds and one past it (found, and nothing, not an error)."""
    engine = sa.create_engine(database_url)
    table = sa.Table("t_one_of_ids", sa.MetaData(), sa.Column("id", sa.Integer))
    top = 2**31 - 1
    try:
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), [{"id": i} for i in [*range(1, 100), top]])
            for ids, expected in (([], []), ([7], [7]), ([3, 3, 50, 500], [3, 50]), ([top, top + 1], [top])):
                params: dict = {}
                condition = one_of_ids(conn.dialect.name, "id", ids, params, "ids")
                chosen = conn.execute(sa.text(f"SELECT id FROM t_one_of_ids WHERE {condition}"), params).scalars()
                assert sorted(chosen) == expected, ids
    finally:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
        engine.dispose()
