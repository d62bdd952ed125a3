"""`tenderwatch replica serve` — serve the bundled replicas on 127.0.0.1 (for the demo, tests, trying the
crawler without touching the real sites)."""

from __future__ import annotations

import time
from typing import Callable

import click


class ReplicaGroup(click.Group):
    def format_epilog(self, ctx, formatter):
        from crawler.replica.multi import REPLICAS

        with formatter.section("Replicas"):
            formatter.write_dl(list(REPLICAS.items()))
        super().format_epilog(ctx, formatter)


def _serve_until_interrupted(requests_served: Callable[[], int]) -> None:
    """Keep the replicas' threads serving until Ctrl-C, then say how many requests they answered."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo(f"\n{requests_served()} requests served")


@click.group(cls=ReplicaGroup)
def replica():
    """Local replicas of the crawled sites, each with the real site's manners (WAF cookies, block pages,
    captchas, API quirks): `serve` runs the ccgp one with options, `serve-all` every one of them."""


@replica.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0 = any free port.")
@click.option("--changed", is_flag=True, help="Serve the changed variant of the notices that have one.")
@click.option("--block-after", type=click.IntRange(min=0), help="Answer 频繁访问 after this many content requests.")
@click.option("--generated", type=click.IntRange(min=0), default=0, help="Add this many generated notices.")
@click.option("--list-page-size", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--open-cookies", is_flag=True, help="Do not require the homepage's WAF cookie.")
@click.option("--waf-lifetime", type=click.IntRange(min=1), metavar="SECONDS",
              help="WAF mode: every page sets a fresh HBB_HC living SECONDS (the real site: 600); 403 without one.")
@click.option("--refuse-all", is_flag=True, help="Answer every request with 403.")
def serve(port, changed, block_after, generated, list_page_size, open_cookies, waf_lifetime, refuse_all):
    """Serve the ccgp replica until Ctrl-C; crawl it with --site-root URL --delay 0."""
    from crawler.replica.server import serving
    from crawler.replica.site import ReplicaOptions, ReplicaSite

    options = ReplicaOptions(changed=changed, block_after=block_after, generated=generated,
                             list_page_size=list_page_size, require_cookies=not open_cookies,
                             waf_lifetime=waf_lifetime, refuse_all=refuse_all)
    site = ReplicaSite(options)
    with serving(site, port=port) as server:
        attachments = sum(len(n.attachments) for n in site.notices)
        click.echo(f"ccgp replica: {len(site.notices)} notices, {attachments} attachments at {server.url}")
        click.echo(f"crawl it: tenderwatch crawl ccgp --site-root {server.url} --delay 0")
        _serve_until_interrupted(lambda: len(site.log))


@replica.command("serve-all")
@click.option("--waf", "waf", multiple=True, type=click.Choice(["zj", "sh"]),
              help="A 政采云 portal that answers with Aliyun WAF's JavaScript challenge (repeatable).")
def serve_all(waf):
    """Serve every bundled replica (ccgp, ggzy, zcy, cebpub), each on its own free port, until Ctrl-C."""
    from crawler.replica.multi import all_sites, serving_all
    from crawler.replica.zcy import ZcyOptions

    sites = all_sites(zcy=ZcyOptions(challenge=tuple(waf)))
    with serving_all(sites) as roots:
        for name, url in roots.items():
            click.echo(f"{name} replica at {url}")
        site_root = ",".join(f"{name}={url}" for name, url in roots.items())
        click.echo(f"crawl them: tenderwatch crawl all --site-root {site_root} --delay 0 --since 2026-08-28 --keywords ''")
        _serve_until_interrupted(lambda: sum(len(s.log) for s in sites.values()))
