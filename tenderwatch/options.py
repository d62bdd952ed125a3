"""Options that several commands share, each defined once."""

import click

database_url_option = click.option(
    "--database-url", "database_url", metavar="URL", default=None,
    help="Database: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
         "(default: TENDERWATCH_DATABASE_URL, else <data dir>/tenderwatch.db).",
)
