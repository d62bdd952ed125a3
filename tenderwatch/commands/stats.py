"""`tenderwatch stats`: what the database holds."""

import json

import click

from tenderwatch.options import database_url_option


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@database_url_option
def stats(as_json, database_url):
    """Notices by source and type, attachments by format and status, organisations, cases, crawl runs and errors."""
    from storage.store import Store

    with Store.open(database_url, create=False) as store:
        data = store.stats()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"notices: {data['notices']} ({data['versions']} versions, "
        f"{data['republications_linked']} republications linked)"
    )
    _section("by source", data["notices_by_source"])
    _section("by type", data["notices_by_type"])
    click.echo(f"attachments: {data['attachments']}")
    _section("by format", data["attachments_by_format"])
    _section("by status", data["attachments_by_status"])
    click.echo(f"organisations: {data['organisations']}")
    _section("roles", data["organisation_roles"])
    click.echo(f"cases (remote compute sought): {data['cases']}")
    click.echo(f"possible cases (short of a case, to check): {data['possible_cases']}")
    click.echo(f"hardware purchases: {data['hardware_purchases']}")
    click.echo(f"procurements linked: {data['procurements_linked']}")
    click.echo(f"crawl runs: {data['crawl_runs']}")
    _section("by status", data["crawl_runs_by_status"])
    for run in data.get("crawl_runs_running", []):
        click.echo(_running_line(run))
    click.echo(f"crawl errors: {data['crawl_errors']}")
    _section("by reason", data["crawl_errors_by_reason"])


def _section(title, counts):
    if counts:
        click.echo(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _running_line(run: dict) -> str:
    """A running crawl's progress as its last heartbeat left it (crawler/progress.py's snapshot)."""
    from crawler.progress import progress_line

    where = f" on {run['host']} (pid {run['pid']})" if run.get("host") else ""
    head = f"  running: run {run['id']}{where} since {run['started_at']} UTC, last heartbeat {run['heartbeat_age_seconds']} s ago"
    progress = run.get("progress") or {}
    return head + (f"\n    {progress_line(run['spider'], progress)}" if "pages" in progress else "")
