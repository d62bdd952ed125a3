"""`tenderwatch screening`: screening lists and the organisations whose names match their entries.

    tenderwatch screening import FILE [--list-name NAME] [--date YYYY-MM-DD] [--source TEXT] [--aliases FILE] [--force]
    tenderwatch screening matches [--json]
    tenderwatch screening refresh [--aliases FILE]      # match every list again (new organisations, edited aliases)
    tenderwatch screening lists [--json]

FILE is the US Consolidated Screening List as trade.gov publishes it (CSV or JSON) or OpenSanctions
`targets.simple.csv`; the format is read from the content. Every hit is a candidate for a person to confirm.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from tenderwatch.options import database_url_option

_aliases_option = click.option(
    "--aliases", "aliases", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An alias file (TOML: [aliases] \"中文名\" = [\"Listed name\"]) used besides the repo's and "
         "<data dir>/screening_aliases.toml. Repeatable.",
)


def _connection(database_url, *, write: bool = False):
    from storage.store import connection

    return connection(database_url, write=write)


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else "-"


@click.group()
def screening():
    """Screening lists (US Consolidated Screening List, OpenSanctions) and the organisations they may name."""


@screening.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--list-name", default=None, help="The list's name (default: US Consolidated Screening List, or "
              "OpenSanctions). Importing again under a name replaces that list's entries.")
@click.option("--date", "list_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The version's date, when the file does not state it (CSL CSV; default: today).")
@click.option("--source", default=None, help="Who publishes the list (default: the publisher, and the file name).")
@click.option("--force", is_flag=True, help="Import even when the stored version of the list is newer.")
@_aliases_option
@database_url_option
def import_(file, list_name, list_date, source, force, aliases, database_url):
    """Import a screening list and match it against every organisation."""
    from storage.screening import FORMAT_LABELS, ScreeningError, import_list, read_list

    try:
        parsed = read_list(file)
        with _connection(database_url, write=True) as conn:
            out = import_list(conn, parsed, name=list_name, list_date=list_date.date() if list_date else None,
                              source=source, file_name=file.name, force=force, aliases=aliases)
    except ScreeningError as exc:
        raise click.ClickException(str(exc)) from None
    replaced = f", replacing {out['replaced']:,}" if out["replaced"] else ""
    click.echo(f"{out['list']} ({_day(out['list_date'])}, {FORMAT_LABELS[out['format']]}): "
               f"{out['entries']:,} entries{replaced}; {out['matches']:,} candidate matches")


@screening.command()
@_aliases_option
@database_url_option
def refresh(aliases, database_url):
    """Match every list again against every organisation (after a crawl added organisations, or the alias
    file changed)."""
    from storage.screening import ScreeningError
    from storage.screening import refresh as do_refresh

    try:
        with _connection(database_url, write=True) as conn:
            found = do_refresh(conn, aliases)
    except ScreeningError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{found:,} candidate matches")


@screening.command("lists")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@database_url_option
def lists_(as_json, database_url):
    """The imported lists: name, date, source, entries, candidate matches."""
    from storage.screening import lists

    with _connection(database_url) as conn:
        data = lists(conn)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
        return
    if not data:
        click.echo("no screening list imported: `tenderwatch screening import FILE`")
    for x in data:
        click.echo(f"{x['name']}  {_day(x['date'])}  {x['entries']:,} entries  {x['matches']:,} matches  "
                   f"source: {x['source']}")


@screening.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@database_url_option
def matches(as_json, database_url):
    """Organisations whose names match a list entry: each hit with its list (name, date, source), the entry,
    its programs, the score and the reason. Candidates for a person to confirm, not identifications."""
    from storage.screening import matches as read_matches

    with _connection(database_url) as conn:
        data = read_matches(conn)
    if data["unscreened"]:
        click.echo(f"note: {data['unscreened']:,} organisations were added since the lists were matched: run "
                   "`tenderwatch screening refresh`", err=True)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
        return
    if not data["lists"]:
        click.echo("no screening list imported: `tenderwatch screening import FILE`")
        return
    for x in data["lists"]:
        click.echo(f"list: {x['name']}, {_day(x['date'])}, {x['source']}: {x['entries']:,} entries, "
                   f"{x['matches']:,} candidate matches")
    click.echo(f"{len(data['organisations']):,} organisations with candidate hits (to confirm by a person)")
    for org in data["organisations"]:
        shown = f" (shown as {org['shown_as']})" if org["shown_as"] != org["id"] else ""
        click.secho(f"[{org['id']}] {org['name']}{shown}", bold=True)
        for h in org["hits"]:
            lst, e = h["list"], h["entry"]
            click.echo(f"  {h['score']:>5.1f}  {h['reason']:<14} {e['name']}"
                       + (f"  [{e['programs']}]" if e["programs"] else ""))
            click.echo(f"         {lst['name']}, {_day(lst['date'])}, {lst['source']}"
                       + (f"; {e['sublist']}" if e["sublist"] else ""))
            click.echo(f"         {h['detail']}")


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
