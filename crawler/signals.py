"""Signals of the tenderwatch crawler (sent with crawler.signals.send_catch_log)."""

# A URL failed (timeout, HTTP error, block page, parse failure …); kwargs: url, reason, detail.
# StorePipeline records it in the crawl run (CrawlError) and counts it.
crawl_error = object()
