"""`tenderwatch digest [--week 2026-W47] [--by first_seen|published] [--out DIR]`: the weekly digest of remote-compute cases as Markdown,
HTML (e-mail safe), CSV, JSON, Atom and a chart (PNG, SVG). Rebuilding a past week rewrites the same bytes."""

from __future__ import annotations

from pathlib import Path

import click

from tenderwatch.options import database_url_option, web_url


def week_option(value: str | None):
    from storage.digest.weeks import IsoWeek

    if value is None:
        return IsoWeek.last_complete()
    try:
        return IsoWeek.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None


def open_read_only(url: str | None):
    """A read-only engine on a database whose schema this code understands, or a clear error."""
    from storage import db

    try:
        engine = db.make_engine(url, read_only=True)
        db.check_schema(engine)
    except db.DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    return engine


def run_digest(url: str | None, week, out: Path | None, base_url: str | None, *, public_url: str | None = None,
               by: str = "first_seen") -> list[Path]:
    from storage import config
    from storage.digest import write_digest
    from storage.digest.render import summary

    out = out or config.data_dir() / "digests"
    if not week.is_complete():
        click.echo(f"note: {week} has not ended yet; a rebuild after it ends will differ", err=True)
    engine = open_read_only(url)
    try:
        digest, paths = write_digest(engine, week, out, base_url=base_url, public_url=public_url, by=by)
    finally:
        engine.dispose()
    clock = " (by publication date)" if by == "published" else ""
    click.echo(f"{week}{clock}: " + ("no new case and no change" if digest.is_empty else summary(digest)))
    for path in paths:
        click.echo(f"  {path}")
    return paths


@click.command()
@click.option("--week", "week_text", metavar="YYYY-Www", help="ISO week (default: the last complete week, UTC).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the files (default: <data dir>/digests).")
@database_url_option
@click.option("--by", "by", type=click.Choice(["first_seen", "published"]), default="first_seen", show_default=True,
              help="What puts a notice in a week: when tenderwatch first saw it, or its own publication date "
                   "(for a database of older notices, e.g. a fresh crawl).")
@click.option("--base-url", callback=web_url, help="Public URL the digest files are served from (adds the Atom feed's self link).")
@click.option("--public-url", envvar="TENDERWATCH_PUBLIC_URL", callback=web_url,
              help="Public URL of the tenderwatch site each notice links to (default: TENDERWATCH_PUBLIC_URL, "
                   "else http://127.0.0.1:8000).")
def digest(week_text, out, database_url, by, base_url, public_url):
    """Write the week's digest: cases first seen (or published) that week and changes to earlier cases
    (awarded, corrected, cancelled, revised), grouped by provider, chip and buyer, with totals against the
    previous weeks."""
    run_digest(database_url, week_option(week_text), out, base_url, public_url=public_url, by=by)
