"""Alembic environment: always run programmatically (storage.db.upgrade) with a connection handed over in
`config.attributes["connection"]`; the search index objects (FTS5 tables, tsvector table) are created by
migrations with op.execute and are invisible to autogenerate."""

from alembic import context
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

SEARCH_OBJECTS = ("notice_fts", "notice_search", "search_meta", "facet_total", "facet_delta")  # search-owned (raw SQL)


def include_name(name, type_, parent_names):
    if type_ == "table" and name and name.startswith(SEARCH_OBJECTS):
        return False
    return True


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through storage.db.upgrade() or `tenderwatch db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
