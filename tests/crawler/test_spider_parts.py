"""The ccgp spider's parts without a crawl: arguments, --site-root rewriting, page parsing on the replica's
and the real site's markup, charset handling, and the replica's generated files."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.replica import make_files, render
from crawler.replica.content import load_notices
from crawler.spiders.base import SpiderArgumentError
from crawler.spiders.ccgp import CcgpSpider

ROOT = "http://127.0.0.1:8765"


def page(url: str, body: bytes, meta: dict | None = None, content_type: str = "text/html; charset=utf-8"):
    return HtmlResponse(url=url, body=body, headers={"Content-Type": content_type},
                        request=Request(url, meta=meta or {}))


@pytest.fixture
def spider():
    return CcgpSpider(site_root=ROOT)


# --- arguments ---------------------------------------------------------------------------------------


def test_defaults_are_the_compute_keywords_and_every_channel_of_both_zones():
    spider = CcgpSpider()
    assert {"算力", "GPU", "云服务", "A100", "Azure", "亚马逊", "服务器租赁"} <= set(spider.keywords)
    assert ("zygg", "gkzb") in spider.channels and ("dfgg", "fblbgg") in spider.channels
    assert spider.obey_robots and not spider.refresh and spider.delay is None


def test_channels_accept_codes_zones_and_zone_slash_code():
    assert CcgpSpider(channels="dfgg/zbgg").channels == [("dfgg", "zbgg")]
    assert CcgpSpider(channels="zbgg").channels == [("zygg", "zbgg"), ("dfgg", "zbgg")]
    assert len(CcgpSpider(channels="zygg").channels) == 12
    assert CcgpSpider(channels="").channels == []
    assert CcgpSpider(keywords="").keywords == []
    assert CcgpSpider(keywords="算力，GPU").keywords == ["算力", "GPU"]  # full-width comma too


@pytest.mark.parametrize("arguments, message", [
    ({"since": "2026/09/01"}, "since"),
    ({"since": "2026-09-10", "until": "2026-09-01"}, "after"),
    ({"channels": "dfgg/nosuch"}, "unknown channel"),
    ({"max_pages": "0"}, "max_pages"),
    ({"delay": "-1"}, "delay"),
    ({"refresh": "maybe"}, "refresh"),
    ({"site_root": "127.0.0.1:8000"}, "site_root"),
    ({"site_root": "http://127.0.0.1:8000/mirror"}, "site_root"),
])
def test_bad_arguments_are_refused_with_the_reason(arguments, message):
    with pytest.raises(SpiderArgumentError, match=message):
        CcgpSpider(**arguments)


def test_arguments_set_politeness_settings():
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    crawler = Crawler(CcgpSpider, Settings({"DOWNLOAD_DELAY": 3.0, "ROBOTSTXT_OBEY": True, "AUTOTHROTTLE_ENABLED": True}))
    CcgpSpider.from_crawler(crawler, delay="0", obey_robots="false")  # what Crawler.crawl does before freezing
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 0
    assert not crawler.settings.getbool("AUTOTHROTTLE_ENABLED")
    assert not crawler.settings.getbool("ROBOTSTXT_OBEY")


# --- --site-root -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("real, mirrored, canonical", [
    ("http://www.ccgp.gov.cn/cggg/dfgg/gkzb/index_1.htm", f"{ROOT}/cggg/dfgg/gkzb/index_1.htm",
     "https://www.ccgp.gov.cn/cggg/dfgg/gkzb/index_1.htm"),
    ("http://search.ccgp.gov.cn/bxsearch?kw=%E7%AE%97%E5%8A%9B&page_index=2", f"{ROOT}/bxsearch?kw=%E7%AE%97%E5%8A%9B&page_index=2",
     "https://search.ccgp.gov.cn/bxsearch?kw=%E7%AE%97%E5%8A%9B&page_index=2"),
    ("https://download.ccgp.gov.cn/oss/download?uuid=ab12", f"{ROOT}/oss/download?uuid=ab12",
     "https://download.ccgp.gov.cn/oss/download?uuid=ab12"),
    ("http://ccgp.gov.cn/", f"{ROOT}/", "https://www.ccgp.gov.cn/"),
])
def test_site_root_moves_every_host_onto_one_root_and_back(spider, real, mirrored, canonical):
    assert spider.fetch_url(real) == mirrored
    assert spider.canonical_url(mirrored) == canonical
    assert spider.canonical_url(real) == canonical


def test_other_hosts_are_neither_rewritten_nor_canonicalised(spider):
    oss = "https://gz-gov-open-doc.oss-cn-gz.aliyuncs.com/a/b.pdf"
    assert spider.fetch_url(oss) == oss
    assert spider.canonical_url(oss) == oss
    assert CcgpSpider().fetch_url("http://www.ccgp.gov.cn/x.htm") == "http://www.ccgp.gov.cn/x.htm"


# --- page parsing ----------------------------------------------------------------------------------------


def test_list_page_entries_carry_what_the_list_says(spider):
    notices = [n for n in load_notices() if (n.zone, n.channel) == ("dfgg", "gkzb")]
    body = render.list_page("dfgg", "gkzb", notices[:4], 0, 2)
    response = page(f"{ROOT}/cggg/dfgg/gkzb/index.htm", body, {"list_key": ("channel", "dfgg", "gkzb"), "page": 0})
    entries, pages = spider.parse_list_page(response)
    entries = list(entries)
    assert pages == 2
    assert [spider.canonical_url(e.url) for e in entries] == ["https://www.ccgp.gov.cn" + n.path for n in notices[:4]]
    first = entries[0].meta
    assert first["title"] == notices[0].title and first["buyer"] == notices[0].buyer
    assert first["notice_type"] == "tender" and first["channel"] == "dfgg/gkzb"
    assert entries[0].published == notices[0].published_at.date()


def test_search_results_use_ohtmlurls_and_clean_the_meta_line(spider):
    notices = load_notices()[:3]
    body = render.search_page("算力", notices, 1, 4, 17, "所有公告")
    response = page(f"{ROOT}/bxsearch?kw=x", body, {"list_key": ("search", "算力"), "page": 0})
    entries, pages = spider.parse_list_page(response)
    entries = list(entries)
    assert pages == 4
    assert [e.url for e in entries] == [n.site_url for n in notices]
    assert entries[0].meta["agency"] == notices[0].agency  # not run on into the notice type
    assert entries[0].meta["notice_type"] == "tender"
    assert entries[0].published == notices[0].published_at.date()


def test_detail_page_attachments_from_biz_download_ids_and_fjxx_lists(spider):
    notice = next(n for n in load_notices() if n.id == 27283777)  # two fjxx files, no extension in their URLs
    response = page(f"{ROOT}{notice.path}", render.detail_page(notice))
    links = list(spider.attachment_links(response))
    assert [(link.name, link.url) for link in links] == [
        (a.label, "https://www.ccgp.gov.cn" + a.path) for a in notice.attachments]
    biz = next(n for n in load_notices() if n.id == 27280516)
    links = list(spider.attachment_links(page(f"{ROOT}{biz.path}", render.detail_page(biz))))
    assert [link.url for link in links] == [a.site_url for a in biz.attachments]
    assert [link.name for link in links] == [f"附件{i}{a.name}" for i, a in enumerate(biz.attachments, 1)]
    assert [link.name for link in links] == [a.label for a in biz.attachments]


@pytest.mark.parametrize("template", ["cloud", "noticearea", "plain"])
def test_each_body_template_is_a_notice_page(spider, template):
    notice = next(n for n in load_notices() if n.template == template)
    assert spider.check_notice_page(page(f"{ROOT}{notice.path}", render.detail_page(notice))) is None


def test_block_and_challenge_pages_are_not_notice_pages(spider):
    assert spider.check_notice_page(page(f"{ROOT}/x.htm", render.block_page()))
    assert spider.check_notice_page(page(f"{ROOT}/x.htm", render.waf_denied_page()))


@pytest.mark.shared
def test_the_real_shenzhen_page_is_a_notice_page_without_attachments(spider, shared_dir):
    body = (shared_dir / "samples/real/ccgp_detail_zbgg_shenzhen_2025-05-27.html").read_bytes()
    response = page("http://www.ccgp.gov.cn/cggg/dfgg/zbgg/202505/t20250527_24635000.htm", body)
    assert spider.check_notice_page(response) is None
    assert list(spider.attachment_links(response)) == []  # its ignore=1 <img> is not a file link
    assert spider.external_id(response.url) == "24635000"


# --- charsets ---------------------------------------------------------------------------------------------


def crawler_encoding(body: bytes, content_type: str | None) -> str:
    """The encoding the crawler reads a fetched page with (CharsetMiddleware: the extractor's decision)."""
    from crawler.middlewares import CharsetMiddleware

    response = page("http://x/", body, content_type=content_type or "text/html")
    return CharsetMiddleware().process_response(response.request, response).encoding


def test_chinese_pages_decode_as_browsers_do():
    text = "<html><head>{}</head><body>朱镕基 㙟 采购公告</body></html>"
    assert crawler_encoding(text.format('<meta charset="gb2312">').encode("gb18030"), "text/html") == "gb18030"
    assert crawler_encoding(text.format("").encode("gb18030"), None) == "gb18030"
    assert crawler_encoding(text.format('<meta charset="gb2312">').encode("utf-8"), "text/html") == "utf-8"
    assert crawler_encoding(text.format("").encode("big5", "ignore"), "text/html; charset=big5") in ("big5", "big5hkscs")


def test_a_gb18030_page_declaring_utf8_is_read_right_by_the_spider():
    from crawler.middlewares import CharsetMiddleware

    notice = next(n for n in load_notices() if n.fields.get("encoding"))
    body = render.detail_page(notice).replace(b'<meta charset="gb2312">', b'<meta charset="utf-8">')
    response = page("http://x/", body, content_type="text/html; charset=utf-8")
    assert notice.buyer not in response.text  # what Scrapy alone makes of it
    fixed = CharsetMiddleware().process_response(response.request, response)
    assert fixed.encoding == "gb18030" and notice.buyer in fixed.text
    assert fixed.body == body  # the stored bytes are the fetched bytes


# --- the replica's files -----------------------------------------------------------------------------------


def test_replica_attachment_files_are_reproducible():
    pytest.importorskip("reportlab")
    assert make_files.main(["--check"]) == 0


# --- the storing worker ------------------------------------------------------------------------------------


def test_the_storing_workers_warm_up_pdf_is_made_in_memory_and_reads_as_chinese_text():
    from crawler.storing import warm_up_pdf
    from extract.documents import read_document

    text = "供应商提供GPU云服务器租赁服务，服务期十二个月。"
    document = read_document(warm_up_pdf(text), name="warm-up.pdf")
    assert document.text.strip() == text and not document.errors


# --- failures ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exception, reason", [
    ("DownloadTimeoutError('Getting x took longer than 60 seconds.')", "timeout"),
    ("CannotResolveHostError('no such host')", "dns_error"),
    ("DownloadConnectionRefusedError('refused')", "connection_refused"),
    ("DownloadCancelledError('received response size (70000000) larger than download max size (67108864)')",
     "too_large"),
    ("ResponseDataLossError('lost')", "data_loss"),
    ("IgnoreRequest('Forbidden by robots.txt')", "robots_disallowed"),
])
def test_download_failures_get_a_reason_for_the_record(exception, reason):
    import scrapy.exceptions
    from twisted.python.failure import Failure

    from crawler.middlewares import failure_reason

    exc = eval(exception, vars(scrapy.exceptions))
    failure = Failure(exc)
    failure.request = Request("http://x/")
    assert failure_reason(failure)[0] == reason


def test_http_errors_and_already_recorded_skips():
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    from crawler.middlewares import SkippedResponse, failure_reason

    response = page("http://x/a.pdf", b"missing").replace(status=404)
    assert failure_reason(Failure(HttpError(response, "Ignoring non-200 response")))[:1] == ("http_404",)
    assert failure_reason(Failure(SkippedResponse("empty_body", "twice")))[::2] == ("empty_body", True)


def test_block_detection_reads_json_answers_without_failing():
    from types import SimpleNamespace

    from scrapy.http import JsonResponse

    from crawler.middlewares import BlockDetectionMiddleware

    spider = SimpleNamespace(block_markers=["频繁访问"], block_short_page_bytes=3000)
    middleware = BlockDetectionMiddleware.__new__(BlockDetectionMiddleware)
    middleware.crawler = SimpleNamespace(spider=spider)
    ok = JsonResponse("https://www.ggzy.gov.cn/api", body='{"code": 200, "data": []}'.encode(), encoding="utf-8")
    blocked = JsonResponse("https://www.ggzy.gov.cn/api", body='{"msg": "频繁访问"}'.encode(), encoding="utf-8")
    assert middleware.block_marker(ok) is None
    assert middleware.block_marker(blocked) == "频繁访问"
