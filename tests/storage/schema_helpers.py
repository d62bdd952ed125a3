"""Databases held at an older schema revision (the fresh PostgreSQL database of the `postgres_url` fixture, or a
SQLite file), as an older release left them."""

from __future__ import annotations


def previous_revision() -> str:
    """The revision just before this code's head: a database a release behind."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, head_revision

    return ScriptDirectory.from_config(alembic_config()).get_revision(head_revision()).down_revision


def hold_at(url: str, revision: str) -> None:
    """Migrate the database at `url` to `revision` (as an older release would have left it)."""
    from storage import db

    engine = db.make_engine(url)
    try:
        db.upgrade(engine, revision)
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    from storage import db

    engine = db.make_engine(url, create=False)
    try:
        return db.current_revision(engine)
    finally:
        engine.dispose()
