"""`tenderwatch db`: schema migrations and index maintenance."""

import click

from tenderwatch.options import database_url_option


@click.group()
def db():
    """Database schema and search index."""


@db.command()
@database_url_option
def upgrade(database_url):
    """Bring the schema to the newest migration. The one command that migrates a PostgreSQL database: run it
    once after installing a new version, before the crawler workers and the site (which refuse an outdated
    schema). SQLite is also upgraded by any command that writes to it."""
    from storage import db as storage_db
    from storage.store import Store

    engine = storage_db.make_engine(database_url)
    before = storage_db.current_revision(engine)
    # Migrates, then rebuilds the search index if a migration or tokenizer asks for it.
    Store.open(database_url, upgrade=True).close()
    after = storage_db.current_revision(engine)
    engine.dispose()
    click.echo(f"schema: {before or 'empty'} → {after}" if before != after else f"schema already at {after}")


@db.command()
@database_url_option
def current(database_url):
    """Print the schema revision of the database and the one this code expects."""
    from storage import db as storage_db

    engine = storage_db.make_engine(database_url, create=False)
    click.echo(f"database: {storage_db.current_revision(engine) or 'empty'}; code: {storage_db.head_revision()}")


@db.command()
@database_url_option
def reindex(database_url):
    """Rebuild the full-text index from the stored texts."""
    from storage.store import Store

    with Store.open(database_url, create=False) as store:
        n = store.rebuild_search_index()
    click.echo(f"indexed {n} notices")


@db.command("reindex-packs")
def reindex_packs():
    """Index the raw files of the data folder's packs (raw/packs/) that its index lacks or cannot read: after
    the index was lost, after a bulk load was killed, or when an indexed pack is missing or damaged and another
    pack holds an intact copy. Packs of bulk loads still running are left alone. A corrupt index is not
    repaired: delete raw/packs/index.sqlite first, then restart the site once this is done."""
    from storage.blobs import BlobStore

    click.echo(f"indexed {BlobStore().packs.reindex()} raw files")
