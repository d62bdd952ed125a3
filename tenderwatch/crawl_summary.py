"""The closing summary of a crawl run, as `crawl`, `crawl all` and `demo` print it."""

from __future__ import annotations


def format_summary(summary: dict) -> str:
    pages = summary.get("pages", {})
    notices = summary.get("notices", {})
    attachments = summary.get("attachments", {})
    errors = summary.get("errors", {})
    run = f"crawl run {summary['run_id']}" if summary.get("run_id") is not None else f"crawl {summary.get('spider', '')}".rstrip()
    reason = summary.get("reason")
    # the reason adds nothing when it only repeats the status ("finished (finished)")
    head = f"{run}: {summary.get('status')}" + (f" ({reason})" if reason and reason != summary.get("status") else "")
    if "pages" not in summary:  # it never got going: no counts to show
        return "\n".join([head, *_resume(summary)])
    window = summary.get("window") or {}
    waf = summary.get("waf") or {}
    lines = [
        f"{head} in {summary.get('seconds', 0)} s, {summary.get('requests', 0)} requests",
        "  window: " + (f"{window['since']} to {window.get('until') or 'today'} (since: {window.get('from')})"
                        if window.get("since") else "the site's default"),
        f"  pages: {pages.get('list', 0)} list, {pages.get('search', 0)} search, {pages.get('detail', 0)} detail; "
        f"{summary.get('pages_failed', 0)} failed"
        + (f"; {summary['retried_from_earlier_runs']} notice pages of earlier runs tried again"
           if summary.get("retried_from_earlier_runs") else ""),
        f"  notices: {notices.get('new', 0)} new, {notices.get('changed', 0)} changed, "
        f"{notices.get('unchanged', 0)} unchanged, {notices.get('failed', 0)} failed"
        + (f", {notices['linked']} linked to the same notice from another source" if notices.get("linked") else "")
        + f"; {summary.get('skipped_known', 0)} already stored, not fetched",
        f"  attachments: {attachments.get('fetched', 0)} fetched, {attachments.get('failed', 0)} failed",
        "  errors: " + (", ".join(f"{reason} {count}" for reason, count in errors.items()) or "none"),
    ]
    if any(waf.values()):
        lines.append(f"  WAF cookies: renewed by {waf.get('renewed_by_page', 0)} pages and "
                     f"{waf.get('homepage_renewals', 0)} homepage visits; {waf.get('refused', 0)} refusals "
                     f"({waf.get('retried', 0)} retried with fresh cookies)")
    frontier = summary.get("frontier")
    if frontier:  # --frontier (crawler/runs.py FRONTIER_COUNTERS)
        lines.append(f"  frontier: {frontier['taken']} requests taken, {frontier['acked']} done, "
                     f"{frontier['released']} put back at the stop, {frontier['reclaimed']} of workers gone handed out "
                     f"again; {frontier['delay_waits']} waited {frontier['delay_wait_seconds']} s for the shared host "
                     f"delay; {frontier['redis_retries']} Redis calls retried")
    if summary.get("log"):
        lines.append(f"  log: {summary['log']}")
    return "\n".join(lines + _resume(summary))


def _resume(summary: dict) -> list[str]:
    command = summary.get("command") or "the same command"
    failed = summary.get("pages_failed", 0)
    retry = f"; the {failed} failed pages are tried again" if failed else ""
    if summary.get("status") == "finished":
        return [f"  the next run tries the {failed} failed pages again"] if failed else []
    return [f"  to resume: {command}{retry} (notices already stored are not fetched again)"]
