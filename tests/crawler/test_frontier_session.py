"""The shared frontier's session state in Redis, read by every worker's run record: a list page failed by any
worker means no worker's run may say the date window was read whole."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from crawler.spiders.ccgp import CcgpSpider


@pytest.fixture
def frontier(redis_url, redis_prefix):
    from crawler.frontier import Frontier

    crawler = get_crawler(CcgpSpider, {"TENDERWATCH_FRONTIER": redis_url, "FRONTIER_KEY_PREFIX": redis_prefix})
    crawler.spider = crawler._create_spider()
    return Frontier.of(crawler)


def test_a_list_page_failed_by_one_worker_marks_the_session_until_the_next_session_begins(frontier):
    frontier.begin_session()
    assert not frontier.window_failed()
    frontier.note_window_failed()  # worker A
    assert frontier.window_failed()  # … seen by worker B
    frontier.server.sadd(frontier.keys.seen, "fingerprint")  # the session is under way: a worker joining keeps it
    frontier.begin_session()
    assert frontier.window_failed()
    frontier.server.delete(frontier.keys.seen)  # the session ended (its seen-set cleared); the next one begins
    frontier.begin_session()
    assert not frontier.window_failed()
