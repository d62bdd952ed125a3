"""`tenderwatch weekly`: crawl the configured sources incrementally, then write last week's digest.

Meant for cron, e.g. every Monday at 06:15 UTC:

    15 6 * * 1  cd /srv/tenderwatch && .venv/bin/tenderwatch weekly >> data/weekly.log 2>&1

Sources come from a TOML file (default: <data dir>/weekly.toml, else the built-in
storage/digest/weekly.toml: just ccgp). Each source is crawled by `tenderwatch crawl <spider> [options]` in
its own process: Scrapy's reactor cannot be restarted inside one process, and a source that fails must not
stop the others. The digest is built even when a crawl failed (from what the database holds); the exit
status is then 1, so cron reports it.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import click

from tenderwatch.options import database_url_option



@dataclass
class Source:
    spider: str
    options: list[str] = field(default_factory=list)


@dataclass
class WeeklyConfig:
    sources: list[Source]
    out: str = "digests"
    base_url: str | None = None
    command: list[str] = field(default_factory=lambda: [sys.executable, "-m", "tenderwatch.cli", "crawl"])
    timeout_minutes: float = 0
    path: Path | None = None


def default_config_path() -> Path:
    from storage import config

    import importlib.util

    user = config.data_dir() / "weekly.toml"
    if user.is_file():
        return user
    # Located without importing storage.digest (which loads matplotlib).
    [folder] = importlib.util.find_spec("storage.digest").submodule_search_locations
    return Path(folder) / "weekly.toml"


def load_config(path: Path) -> WeeklyConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    sources = []
    for i, s in enumerate(data.get("sources", [])):
        spider, options = s.get("spider"), s.get("options", [])
        if not isinstance(spider, str) or not spider:
            raise click.ClickException(f"{path}: sources[{i}] needs a spider name")
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            raise click.ClickException(f"{path}: sources[{i}].options must be a list of strings")
        sources.append(Source(spider, list(options)))
    digest, crawl = data.get("digest", {}), data.get("crawl", {})
    cfg = WeeklyConfig(sources=sources, out=digest.get("out", "digests"), base_url=digest.get("base_url") or None,
                       timeout_minutes=float(crawl.get("timeout_minutes", 0) or 0), path=path)
    if "command" in crawl:
        command = crawl["command"]
        if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
            raise click.ClickException(f"{path}: crawl.command must be a non-empty list of strings")
        cfg.command = list(command)
    return cfg


def run_crawl(cfg: WeeklyConfig, source: Source, extra: tuple[str, ...], env: dict[str, str] | None) -> int:
    """Crawl one source in a child process; its output goes straight to ours (the cron log)."""
    argv = [*cfg.command, source.spider, *source.options, *extra]
    click.echo(f"crawl {source.spider}: {' '.join(argv)}")
    try:
        done = subprocess.run(argv, env=env, timeout=cfg.timeout_minutes * 60 or None, check=False)
    except subprocess.TimeoutExpired:
        click.echo(f"crawl {source.spider}: stopped after {cfg.timeout_minutes:g} minutes", err=True)
        return 124
    except OSError as exc:
        click.echo(f"crawl {source.spider}: cannot start: {exc}", err=True)
        return 127
    if done.returncode:
        click.echo(f"crawl {source.spider}: failed with exit status {done.returncode}", err=True)
    return done.returncode


def refresh_screening(database_url: str | None) -> None:
    """Organisations the crawls brought in are matched against the imported screening lists before the digest,
    so its cases show their hits (nothing to do without lists or without new organisations)."""
    from storage import screening
    from storage.store import connection

    with connection(database_url, write=True) as conn:
        if screening.unscreened(conn):
            click.echo(f"screening: lists matched again, {screening.refresh(conn)} candidate hits")


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Sources and digest settings (default: <data dir>/weekly.toml, else the built-in one).")
@click.option("--week", "week_text", metavar="YYYY-Www", help="Digest week (default: the last complete week).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Digest folder (overrides the config).")
@database_url_option
@click.option("--crawl-option", "crawl_options", multiple=True, metavar="OPT",
              help="Extra option for every `tenderwatch crawl` (repeatable), e.g. --crawl-option=--max-pages=5.")
@click.option("--only", "only", multiple=True, metavar="SPIDER", help="Crawl only these configured sources.")
@click.option("--skip-crawl", is_flag=True, help="Only build the digest.")
@click.option("--print-config", is_flag=True, help="Print the configuration file in use and exit.")
def weekly(config_path, week_text, out, database_url, crawl_options, only, skip_crawl, print_config):
    """Incremental crawl of the configured sources, then the digest of the last complete week."""
    import os

    from storage import config
    from tenderwatch.commands.digest import run_digest, week_option

    path = config_path or default_config_path()
    if print_config:
        click.echo(f"# {path}\n" + path.read_text(encoding="utf-8"), nl=False)
        return
    cfg = load_config(path)
    week = week_option(week_text)
    unknown = set(only) - {s.spider for s in cfg.sources}
    if unknown:
        raise click.ClickException(f"not configured in {path}: {', '.join(sorted(unknown))}")

    failed = []
    if not skip_crawl:
        env = None
        if database_url:  # the crawls must write where the digest reads
            env = {**os.environ, "TENDERWATCH_DATABASE_URL": database_url}
        for source in cfg.sources:
            if only and source.spider not in only:
                continue
            if run_crawl(cfg, source, crawl_options, env):
                failed.append(source.spider)

    refresh_screening(database_url)
    out_dir = out or (config.data_dir() / cfg.out if not Path(cfg.out).is_absolute() else Path(cfg.out))
    run_digest(database_url, week, out_dir, cfg.base_url)
    if failed:
        click.echo(f"the digest was built, but these crawls failed: {', '.join(failed)}", err=True)
        sys.exit(1)
