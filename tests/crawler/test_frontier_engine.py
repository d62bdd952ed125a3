"""The frontier reads three things of Scrapy's engine that Scrapy keeps private (crawler/frontier.py says why
there is no public way): the engine's slot, whether it is closing, the requests still being processed, and
the call that wakes the engine. Scrapy is pinned in constraints.txt; when an upgrade renames any of them,
this fails here, loudly, instead of the frontier quietly acking work that is not done."""

from __future__ import annotations

import asyncio

from scrapy import Request, Spider
from scrapy.core.engine import ExecutionEngine, _Slot
from scrapy.utils.reactor import CallLaterOnce
from scrapy.utils.test import get_crawler

from crawler.frontier import engine_closing, engine_slot


def test_scrapy_still_keeps_the_engine_state_the_frontier_reads_where_it_reads_it():
    crawler = get_crawler(Spider)
    engine = ExecutionEngine(crawler, lambda spider: None)
    crawler.engine = engine
    assert "_slot" in vars(engine) and engine_slot(crawler) is None and engine_closing(crawler)

    slot = asyncio.run(_slot())  # (Scrapy makes its looping call in a running loop)
    engine._slot = slot  # what ExecutionEngine.open_spider_async does
    assert engine_slot(crawler) is slot and not engine_closing(crawler)
    request = Request("http://example.invalid/")
    slot.add_request(request)  # a request whose callback output is still being handled
    assert request in slot.inprogress
    assert callable(slot.nextcall.schedule)
    slot.closing = object()  # set by _Slot.close() when the spider begins closing
    assert engine_closing(crawler)


async def _slot() -> _Slot:
    return _Slot(close_if_idle=True, nextcall=CallLaterOnce(lambda: None), scheduler=None)
