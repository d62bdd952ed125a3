"""Every spider's arguments and URL handling, checked in-process (no crawl): bad arguments are refused with a
clear message, and --site-root rewriting keeps the stored URLs the real sites'. The spiders are the ones the
crawler's SpiderLoader finds, so a new spider is covered without being named here."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawler.spiders.base import SpiderArgumentError
from crawler.spiders.ggzy import GgzySpider
from crawler.spiders.zcy import ZcySpider

LOADER = SpiderLoader(Settings({"SPIDER_MODULES": ["crawler.spiders"]}))
SPIDERS = LOADER.list()


def test_the_loader_finds_every_site():
    assert {"ccgp", "ggzy", "zcy", "cebpub"} <= set(SPIDERS)


@pytest.mark.parametrize("name", SPIDERS)
def test_unknown_channels_are_refused_naming_the_known_ones(name):
    cls = LOADER.load(name)
    with pytest.raises(SpiderArgumentError, match="unknown") as refused:
        cls(channels="nosuch")
    assert all(str(channel) in str(refused.value) for channel in cls().site["channels"]["default"])


@pytest.mark.parametrize("name", SPIDERS)
def test_the_shared_arguments_are_parsed_by_every_spider(name):
    cls = LOADER.load(name)
    spider = cls(since="2026-09-01", until="2026-09-30", keywords="算力, GPU", delay="0", max_pages="3",
                 site_root="http://127.0.0.1:8765")
    assert spider.keywords == ["算力", "GPU"] and spider.max_pages == 3 and spider.delay == 0
    assert spider.window(30) == (spider.since, spider.until)
    with pytest.raises(SpiderArgumentError, match="since"):
        cls(since="01/09/2026")


@pytest.mark.parametrize("name", SPIDERS)
def test_every_spider_reads_list_dates_as_the_extractor_does(name):
    cls = LOADER.load(name)
    assert cls.list_date("2026-09-02 10:11") == cls.list_date("2026年9月2日") == cls.list_date("2026.09.02")
    assert str(cls.list_date("发布时间：2026-09-02")) == "2026-09-02" and cls.list_date("") is None


def test_ggzy_defaults_to_government_procurement_and_maps_origins_onto_the_root():
    spider = GgzySpider(site_root="http://127.0.0.1:8765")
    assert spider.channels == ["02"]
    origin = "http://www.ccgp.gov.cn/cggg/dfgg/gkzb/202609/t20260902_27281244.htm"
    assert spider.fetch_url(origin) == "http://127.0.0.1:8765/cggg/dfgg/gkzb/202609/t20260902_27281244.htm"
    assert spider.canonical_url("http://127.0.0.1:8765/cggg/dfgg/gkzb/202609/t20260902_27281244.htm") == origin.replace("http:", "https:")
    page = "http://127.0.0.1:8765/information/deal/html/b/420000/0201/20260902/8a8d2b0c91f64c0e019207e2b4a15c90.html"
    assert spider.canonical_url(page).startswith("https://www.ggzy.gov.cn/information/deal/html/b/")
    assert spider.external_id(page) == "8a8d2b0c91f64c0e019207e2b4a15c90"


def test_zcy_serves_each_portal_under_its_own_key_on_the_root():
    spider = ZcySpider(site_root="http://127.0.0.1:8765")
    assert spider.fetch_url("https://zfcg.czt.zj.gov.cn/portal/detail?articleId=a%3D%3D") \
        == "http://127.0.0.1:8765/zj/portal/detail?articleId=a%3D%3D"
    assert spider.fetch_url("https://www.zfcg.sh.gov.cn/portal/category") == "http://127.0.0.1:8765/sh/portal/category"
    assert spider.fetch_url("https://example.org/x") == "https://example.org/x"  # not a portal: as it is
