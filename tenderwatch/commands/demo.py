"""`tenderwatch demo` — serve the bundled ccgp replica on 127.0.0.1, crawl it into the database, and show
what was stored and a sample search. Needs no network and nothing outside the repository."""

from __future__ import annotations

import click

from tenderwatch.options import database_url_option

SAMPLE_SEARCHES = ["算力", "A100"]


@click.command()
@database_url_option
def demo(database_url):
    """Crawl the local ccgp replica (delays off) and print what was stored."""
    from crawler.replica.server import serving
    from crawler.replica.site import ReplicaSite
    from tenderwatch.commands.crawl import run_crawl
    from tenderwatch.crawl_summary import format_summary

    site = ReplicaSite()
    with serving(site) as server:
        click.echo(f"Serving the ccgp replica ({len(site.notices)} notices, "
                   f"{sum(len(n.attachments) for n in site.notices)} attachments) at {server.url}")
        click.echo(f"Crawling it: tenderwatch crawl ccgp --site-root {server.url} --delay 0")
        summary = run_crawl("ccgp", {"site_root": server.url, "delay": 0}, database_url=database_url)
    click.echo(format_summary(summary))
    show_database(database_url)


def show_database(database_url: str | None) -> None:
    from storage.search.model import SearchQuery
    from storage.store import Store

    with Store.open(database_url) as store:
        stats = store.stats()
        click.echo("\nThe database now holds:")
        click.echo(f"  {stats['notices']} notices by type: {_counts(stats['notices_by_type'])}")
        click.echo(f"  {stats['attachments']} attachments: {_counts(stats['attachments_by_status'])}")
        click.echo(f"  {stats['organisations']} organisations; {stats['cases']} remote-compute cases; "
                   f"{stats['hardware_purchases']} hardware purchases")
        click.echo(f"  crawl runs: {_counts(stats['crawl_runs_by_status'])}; "
                   f"crawl errors: {_counts(stats['crawl_errors_by_reason']) or 'none'}")
        for text in SAMPLE_SEARCHES:
            result = store.search(SearchQuery(text=text, per_page=5))
            click.echo(f"\nSearch {text!r}: {result.total} notices")
            for hit in result.hits:
                snippet = hit.snippet.text if hit.snippet else ""
                click.echo(f"  [{hit.id}] {hit.published_at or ''} {hit.title}")
                if snippet:
                    click.echo(f"      … {snippet} …")
    click.echo("\nTry: tenderwatch search 算力 · tenderwatch stats · tenderwatch show ID")
    if command := digest_command(database_url):
        click.echo(f"The weekly digest of its newest cases: {command}")


def digest_command(database_url: str | None) -> str | None:
    """A `tenderwatch digest` command that shows cases of this database: by publication week, since a fresh
    crawl first saw every notice this week (a first-seen digest of last week would have none)."""
    import sqlalchemy as sa

    from models.tables import NOTICE
    from storage import db
    from storage.digest.weeks import IsoWeek

    engine = db.make_engine(database_url, read_only=True)
    try:
        with engine.connect() as conn:
            n = NOTICE.c
            newest = conn.execute(sa.select(sa.func.max(n.published_at)).where(n.remote_compute)).scalar()
    finally:
        engine.dispose()
    if newest is None:
        return None
    option = f" --database-url {database_url}" if database_url else ""
    return f"tenderwatch digest --by published --week {IsoWeek.of(newest.date())}{option}"


def _counts(counts: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items())
