"""Signals of the tenderwatch crawler (sent with crawler.signals.send_catch_log)."""

# A URL failed (timeout, HTTP error, block page, parse failure …); kwargs: url, reason, detail, and
# retry_meta (the list's meta of a notice page, which the next run fetches again; None for other pages).
# Sent only by crawler.runs.record_error; RunRecord records it in the crawl run (CrawlError) and counts it.
crawl_error = object()
