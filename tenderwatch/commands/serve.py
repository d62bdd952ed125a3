"""`tenderwatch serve [--review]`: the search site on http://127.0.0.1:8000 (read-only on the database; with
--review, sign-in and review forms that write review decisions only)."""

from __future__ import annotations

import ipaddress

import click

from tenderwatch.options import database_url_option

DEFAULT_MAX_WORKERS = 4  # without --workers: one per core, up to this many


def default_workers() -> int:
    """Without --workers: one per core, at most DEFAULT_MAX_WORKERS."""
    from web.serving import cores

    return max(1, min(cores(), DEFAULT_MAX_WORKERS))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default is reachable only from this machine; "
                   "use 0.0.0.0 only on a trusted network (reading needs no login).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@database_url_option
@click.option("--workers", type=click.IntRange(1, 64),
              help="Worker processes, each with its own pool of read-only connections and search cache (and one "
                   "cache shared by all), taking "
                   "pages in arrival order, as many at once as it has cores "
                   "[default: one per CPU core, at most 4; one with --review].")
@click.option("--search-cache", type=click.IntRange(0, 1_000_000), envvar="TENDERWATCH_SEARCH_CACHE",
              help="Searches each worker keeps to answer again while the database is unchanged (a write is seen "
                   "at once), and, with several workers, the searches they share; 0 = none "
                   "[TENDERWATCH_SEARCH_CACHE; default 1000].")
@click.option("--review", is_flag=True,
              help="Also serve sign-in, the review queue and review forms (users: `tenderwatch user add`). "
                   "Only the review and user tables become writable.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host: str, port: int, database_url: str | None, workers: int | None, search_cache: int | None, review: bool,
          log_level: str):
    """Serve the journalists' search site: search, facets, notices with evidence, organisations,
    CSV/JSON exports, Atom alert feeds, and a JSON API (OpenAPI at /docs). Never writes to the database;
    with --review, signed-in reviewers record decisions (only the review and user tables are written)."""
    import os

    import uvicorn

    from storage import config
    from storage.db import DatabaseError

    url = database_url or config.database_url()
    if review and workers is not None and workers > 1:
        # Sign-in rate limits and (without TENDERWATCH_SESSION_SECRET) session keys live in the process.
        raise click.UsageError("--review runs with one worker")
    if workers is None:
        # One per core: a search spends about half its time in Python, holding the interpreter lock, so one process
        # working on two pages at once keeps two cores only partly busy (bench/bench_serve_load.py, 2 cores, 16
        # clients, SQLite: 126 requests/s with one worker, 226 with two). At most DEFAULT_MAX_WORKERS, as each
        # holds its own connection pool and search cache (more: --workers).
        workers = 1 if review else default_workers()
    if not _is_loopback(host):
        click.secho(f"warning: listening on {host}: anyone who can reach this machine can read the database.",
                    fg="yellow", err=True)
    # Open once here so a missing or outdated database is a clear message, not a traceback per request.
    try:
        from web.app import create_app

        app = create_app(url, review=review, search_cache=search_cache)
    except (DatabaseError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    click.echo(f"tenderwatch: serving {_redact(url)} "
               f"at http://{shown}:{port}/  (API docs: /docs; Ctrl-C stops)")
    if workers > 1:
        import tempfile

        from web import shared_cache
        from web.cache import cache_entries
        from web.serving import BOARD_ENV, WORKERS_ENV, LoadBoard

        # Workers import the app themselves; pass the database and the workers' shared files through the
        # environment: the load table (which keeps their connections evenly spread, web/serving.py) and the shared
        # search cache (web/shared_cache.py), both in a private directory (mode 0700, with the cache's side files)
        # removed when serving stops, whatever is left in it.
        os.environ["TENDERWATCH_DATABASE_URL"] = url
        if search_cache is not None:
            os.environ["TENDERWATCH_SEARCH_CACHE"] = str(search_cache)
        os.environ[WORKERS_ENV] = str(workers)  # each worker's share of the cores (web/serving.py)
        os.environ.pop(shared_cache.SHARED_ENV, None)
        with tempfile.TemporaryDirectory(prefix="tenderwatch-serve-", ignore_cleanup_errors=True) as run:
            os.environ[BOARD_ENV] = LoadBoard.create(run)
            if cache_entries(search_cache) > 0:
                os.environ[shared_cache.SHARED_ENV] = shared_cache.create(run)
            uvicorn.run("web.app:create_app", factory=True, host=host, port=port, workers=workers,
                        log_level=log_level, proxy_headers=False)
    else:
        uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
