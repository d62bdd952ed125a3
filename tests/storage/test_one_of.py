"""`one_of`, the look-up of many values the bulk loader and the organisations' summary use: the rows IN selects,
on both backends (on PostgreSQL written as one array parameter)."""

from __future__ import annotations

import sqlalchemy as sa

from storage.pgcopy import one_of


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
