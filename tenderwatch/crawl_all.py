"""`tenderwatch crawl all …`: every spider in turn (ccgp, ggzy, zcy, cebpub), one closing summary.

Each spider runs as its own `tenderwatch crawl NAME … --json` process: the Twisted reactor cannot be
restarted within a process, and a crash or block on one site must not take the others down.
`--site-root` takes one root per site, ``ccgp=URL,ggzy=URL,…`` (a root has no path, so sites cannot share
one); sites not named are crawled on the real hosts. crawler/replica/multi.py serves every replica so. A site that blocks the crawl is reported and the next site is crawled;
Ctrl-C stops the current crawl (which records itself as interrupted) and the ones after it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

SPIDERS = ("ccgp", "ggzy", "zcy", "cebpub")
EXIT_BLOCKED = 3
EXIT_FAILED = 1
COUNTED = ("new", "changed", "unchanged", "failed", "linked")


def crawl_all(*, since=None, until=None, keywords=None, channels=None, max_pages=None, delay=None, site_root=None,
              refresh=False, no_robots=False, jobdir=None, database_url=None, log_level="WARNING", as_json=False,
              overrides=(), spiders=SPIDERS, max_notices=None, max_minutes=None) -> int:
    """Run the spiders one after the other, print one summary; returns the exit code."""
    if channels:
        raise click.UsageError("--channels names one site's channels; it cannot be used with `crawl all`")
    roots = parse_roots(site_root, spiders)
    results: dict[str, dict] = {}
    for name in spiders:
        args = [sys.executable, "-m", "tenderwatch.cli", "crawl", name, "--json", "--log-level", log_level]
        for option, value in (("--since", since), ("--until", until), ("--keywords", keywords),
                              ("--max-pages", max_pages), ("--delay", delay), ("--database-url", database_url),
                              ("--max-notices", max_notices), ("--max-minutes", max_minutes)):  # each per site
            if value is not None:
                args += [option, str(value)]
        if name in roots:
            args += ["--site-root", roots[name]]
        if jobdir:
            args += ["--jobdir", str(Path(jobdir) / name)]
        if refresh:
            args.append("--refresh")
        if no_robots:
            args.append("--no-robots")
        for item in overrides:
            args += ["--set", item]
        if not as_json:
            click.echo(f"== {name}", err=True)
        try:
            proc = subprocess.run(args, stdout=subprocess.PIPE, text=True)  # stderr: the progress line, logs
        except KeyboardInterrupt:
            results[name] = {"status": "interrupted", "reason": "Ctrl-C"}
            break
        results[name] = _parse(proc)
        if results[name].get("status") == "interrupted":
            break
    summary = combine(results)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(format_all(summary))
    statuses = {s.get("status") for s in results.values()}
    if statuses - {"finished", "stopped", "interrupted", "blocked"}:
        return EXIT_FAILED
    return EXIT_BLOCKED if "blocked" in statuses else 0


def parse_roots(value: str | None, spiders) -> dict[str, str]:
    """``ccgp=URL,ggzy=URL`` → {name: URL}."""
    roots: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (value or "").split(","))):
        name, sep, url = item.partition("=")
        if not sep or name.strip() not in spiders or not url.strip():
            raise click.BadParameter(f"expected NAME=URL with NAME one of {', '.join(spiders)}, got {item!r} "
                                     "(each site needs its own root with `crawl all`)", param_hint="--site-root")
        roots[name.strip()] = url.strip()
    return roots


def _parse(proc: subprocess.CompletedProcess) -> dict:
    text = proc.stdout or ""
    try:
        return json.loads(text[text.index("{"):])
    except ValueError:
        last = text.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return {"status": "failed", "reason": last[0]}


def combine(results: dict[str, dict]) -> dict:
    totals = {key: sum(s.get("notices", {}).get(key, 0) for s in results.values()) for key in COUNTED}
    errors: dict[str, int] = {}
    for s in results.values():
        for reason, count in (s.get("errors") or {}).items():
            errors[reason] = errors.get(reason, 0) + count
    statuses = [s.get("status") for s in results.values()]
    status = "finished" if all(st == "finished" for st in statuses) else next(
        (st for st in ("failed", "blocked", "interrupted", "stopped") if st in statuses), "failed")
    return {
        "status": status,
        "spiders": results,
        "notices": totals,
        "skipped_known": sum(s.get("skipped_known", 0) for s in results.values()),
        "attachments": {k: sum((s.get("attachments") or {}).get(k, 0) for s in results.values()) for k in ("fetched", "failed")},
        "errors": dict(sorted(errors.items())),
        "requests": sum(s.get("requests", 0) for s in results.values()),
        "seconds": round(sum(s.get("seconds", 0) for s in results.values()), 1),
    }


def format_all(summary: dict) -> str:
    from tenderwatch.crawl_summary import format_summary

    lines = []
    for name, s in summary["spiders"].items():
        lines.append(f"{name}: " + format_summary(s) if "run_id" in s else f"{name}: {s.get('status')} ({s.get('reason')})")
    n = summary["notices"]
    lines += [
        f"all {len(summary['spiders'])} crawls: {summary['status']} in {summary['seconds']} s, {summary['requests']} requests",
        f"  notices: {n['new']} new, {n['changed']} changed, {n['unchanged']} unchanged, {n['failed']} failed, "
        f"{n['linked']} linked to the same notice from another source; {summary['skipped_known']} already stored",
        f"  attachments: {summary['attachments']['fetched']} fetched, {summary['attachments']['failed']} failed",
        "  errors: " + (", ".join(f"{r} {c}" for r, c in summary["errors"].items()) or "none"),
    ]
    return "\n".join(lines)
