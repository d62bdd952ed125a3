"""`tenderwatch db`: schema migrations and index maintenance."""

import click


@click.group()
def db():
    """Database schema and search index."""


@db.command()
@click.option("--database-url", "--url", "url", help="Database URL (default: TENDERWATCH_DATABASE_URL or <data dir>/tenderwatch.db).")
def upgrade(url):
    """Bring the schema to the newest migration."""
    from storage import db as storage_db
    from storage.store import Store

    engine = storage_db.make_engine(url)
    before = storage_db.current_revision(engine)
    Store.open(url).close()  # migrates, then rebuilds the search index if a migration or tokenizer asks for it
    after = storage_db.current_revision(engine)
    click.echo(f"schema: {before or 'empty'} → {after}" if before != after else f"schema already at {after}")


@db.command()
@click.option("--database-url", "--url", "url", help="Database URL.")
def current(url):
    """Print the schema revision of the database and the one this code expects."""
    from storage import db as storage_db

    engine = storage_db.make_engine(url)
    click.echo(f"database: {storage_db.current_revision(engine) or 'empty'}; code: {storage_db.head_revision()}")


@db.command()
@click.option("--database-url", "--url", "url", help="Database URL.")
def reindex(url):
    """Rebuild the full-text index from the stored texts."""
    from storage.store import Store

    with Store.open(url) as store:
        n = store.rebuild_search_index()
    click.echo(f"indexed {n} notices")
