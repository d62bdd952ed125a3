"""The spiders' parts without a crawl: ccgp's arguments, --site-root rewriting, page parsing on the replica's
and the real site's markup, charset handling, the replica's generated files, and the JSON-API bases read
from the sites' TOML (ggzy's and zcy's lists, details and origin pages)."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

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


@pytest.mark.parametrize("coding", ["gzip", "deflate-zlib", "deflate-raw", "identity"])
def test_a_block_page_is_read_as_it_arrives_whatever_its_transfer_coding(coding):
    """The early look at a response (the moment Scrapy may send the host's next request) reads the body as the
    middlewares will: inflated, and decoded by the page's real charset (a GB18030 page declaring UTF-8)."""
    import gzip
    import zlib

    from scrapy.http import HtmlResponse

    from crawler.middlewares import _as_received

    raw = '<html><head><meta charset="utf-8"><title>提示</title></head><body>您的访问过于频繁访问</body></html>'
    raw = raw.encode("gb18030")
    body = {"gzip": gzip.compress(raw), "deflate-zlib": zlib.compress(raw), "identity": raw,
            "deflate-raw": zlib.compress(raw, wbits=-15)}[coding]
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if coding != "identity":
        headers["Content-Encoding"] = coding.split("-")[0]
    arrived = HtmlResponse("https://www.ccgp.gov.cn/cggg/x.htm", body=body, headers=headers)
    readable = _as_received(arrived)
    assert readable is not None and "频繁访问" in readable.text and readable.body == raw


def test_a_response_the_early_look_cannot_read_is_left_to_the_middlewares():
    from scrapy.http import HtmlResponse

    from crawler.middlewares import _as_received

    def arrived(body: bytes, coding: str) -> HtmlResponse:
        return HtmlResponse("https://x/", body=body, headers={"Content-Encoding": coding, "Content-Type": "text/html"})

    assert _as_received(arrived(b"\x1f\x8b not gzip at all", "gzip")) is None
    assert _as_received(arrived(b"\x0b\x02\x80", "br")) is None  # read by HttpCompressionMiddleware, later
    assert _as_received(HtmlResponse("https://x/", body=b"")) is None


# --- the JSON-API bases (crawler/spiders/api.py, pages.py), driven by the sites' TOML -------------------------


def on_crawler(cls, **settings):
    """A spider on a real (not started) crawler, with the errors it records in `spider.recorded`."""
    from scrapy.utils.test import get_crawler

    from crawler.signals import crawl_error

    crawler = get_crawler(cls, settings)
    spider = cls.from_crawler(crawler, since="2026-09-01", until="2026-09-02", keywords="")
    spider.recorded = []
    spider.on_error = lambda reason, detail, **_: spider.recorded.append((reason, detail))  # kept: weak signal refs
    crawler.signals.connect(spider.on_error, signal=crawl_error)
    return spider


def answer(request, payload) -> TextResponse:
    """The API's JSON answer to `request`."""
    return TextResponse(request.url, body=json.dumps(payload).encode(), encoding="utf-8", request=request,
                        headers={"Content-Type": "application/json"})


def ggzy_records(*titles: str) -> list[dict]:
    return [{"url": f"/information/deal/html/a/420000/0201/20260902/{i:032x}.html", "title": title, "id": f"r{i}",
             "publishTime": "2026-09-02 10:11:12", "informationType": "0201", "provinceText": "湖北省"}
            for i, title in enumerate(titles, 1)]


def ggzy_list(records: list, total: int | None = None, pages: int = 1) -> dict:
    total = len(records) if total is None else total
    return {"code": 200, "data": {"records": records, "total": total, "pages": pages}}


def posted(request) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


def test_a_json_list_is_asked_one_day_at_a_time_with_the_sites_form():
    from crawler.spiders.ggzy import GgzySpider

    requests = list(on_crawler(GgzySpider).start_lists())
    assert [posted(r)["TIMEBEGIN"] for r in requests] == ["2026-09-02", "2026-09-01"]  # newest first
    form = posted(requests[0])
    assert form["TIMEEND"] == "2026-09-02" and form["DEAL_CLASSIFY"] == "02" and form["PAGENUMBER"] == "1"
    assert form["DEAL_TIME"] == "06" and form["DEAL_PROVINCE"] == "0" and form["FINDTXT"] == ""
    assert requests[0].headers["X-Requested-With"] == b"XMLHttpRequest"


def test_api_records_become_listed_notices_through_the_sites_field_map():
    from crawler.spiders.ggzy import GgzySpider

    spider = on_crawler(GgzySpider)
    first = next(iter(spider.start_lists()))
    out = list(spider.parse_list(answer(first, ggzy_list(ggzy_records("甲", "乙"), pages=2))))
    notices, more = out[:2], out[2:]
    assert [r.meta["canonical"] for r in notices] == [
        f"https://www.ggzy.gov.cn/information/deal/html/b/420000/0201/20260902/{i:032x}.html" for i in (1, 2)]
    assert notices[0].meta["list_meta"] == {"title": "甲", "published_at": "2026-09-02 10:11:12", "region": "湖北省",
                                            "notice_type": "tender", "ggzy_id": "r1"}
    assert [posted(r)["PAGENUMBER"] for r in more] == ["2"]


def test_a_query_at_the_result_cap_is_asked_again_per_slice_and_a_slice_at_it_is_recorded():
    from crawler.spiders.ggzy import GgzySpider

    spider = on_crawler(GgzySpider, GGZY_RESULT_CAP=2)
    first = next(iter(spider.start_lists()))
    slices = list(spider.parse_list(answer(first, ggzy_list(ggzy_records("甲"), total=2))))
    assert [posted(r)["DEAL_PROVINCE"] for r in slices] == spider.site["api"]["slices"]
    listed = list(spider.parse_list(answer(slices[0], ggzy_list(ggzy_records("甲"), total=2))))
    assert len(listed) == 1 and [reason for reason, _ in spider.recorded] == ["result_capped"]
    assert "province 110000" in spider.recorded[0][1]


def test_a_keyword_the_api_ignored_lists_nothing_and_hits_are_kept():
    from crawler.spiders.ggzy import GgzySpider

    spider = on_crawler(GgzySpider)
    spider.keywords = ["算力"]
    first = next(iter(spider.start_lists()))
    assert posted(first)["FINDTXT"] == "算力"
    assert list(spider.parse_list(answer(first, ggzy_list(ggzy_records("办公家具", "印刷服务"))))) == []
    hits = list(spider.parse_list(answer(first, ggzy_list(ggzy_records("办公家具", "智算算力租赁")))))
    assert [r.meta["list_meta"]["title"] for r in hits] == ["智算算力租赁"]


def test_business_codes_do_what_the_site_file_says():
    from crawler.spiders.ggzy import GgzySpider

    spider = on_crawler(GgzySpider)
    first = next(iter(spider.start_lists()))
    narrowed = list(spider.parse_list(answer(first, {"code": 804, "message": "需细化查询条件"})))
    assert len(narrowed) == len(spider.site["api"]["slices"]) and spider.recorded == []
    assert list(spider.parse_list(answer(first, {"code": 801, "message": "系统错误"}))) == []
    assert spider.recorded == [("api_801", "business code 801 (系统错误) for 2026-09-02, DEAL_CLASSIFY 02, page 1")]


def test_a_refusal_without_its_message_is_still_a_business_code():
    from crawler.spiders.ggzy import GgzySpider

    spider = on_crawler(GgzySpider)
    first = next(iter(spider.start_lists()))
    assert list(spider.parse_list(answer(first, {"code": 801}))) == []
    assert spider.recorded == [("api_801", "business code 801 () for 2026-09-02, DEAL_CLASSIFY 02, page 1")]


def test_a_list_with_a_record_that_is_not_an_object_is_a_parse_error_not_a_crash():
    from crawler.spiders.zcy import ZcySpider

    spider = on_crawler(ZcySpider)
    first = next(iter(spider.list_queries(["zj"])))
    broken = zcy_list("a1", total=2)
    broken["result"]["data"]["data"].append(None)
    assert list(spider.parse_list(answer(first, broken))) == []
    assert [reason for reason, _ in spider.recorded] == ["parse_error"]


def test_epoch_milliseconds_are_read_as_china_time():
    from datetime import date, datetime

    from crawler.spiders.base import ProcurementSpider, epoch_ms

    assert epoch_ms(1725206400000) == epoch_ms("1725206400000") == datetime(2024, 9, 2, 0, 0)  # 16:00 UTC
    assert ProcurementSpider.list_date(1725206400000) == date(2024, 9, 2)
    assert epoch_ms("2026-09-02") is None and epoch_ms(None) is None and epoch_ms(True) is None


def zcy_list(*ids: str, total: int) -> dict:
    return {"result": {"data": {"total": total, "data": [
        {"articleId": i, "title": f"公告{i}", "publishDate": 1788278400000, "purchaseName": "某局"} for i in ids]}}}


def test_pages_follow_until_as_many_records_came_as_the_total_says():
    from crawler.spiders.zcy import ZcySpider

    spider = on_crawler(ZcySpider)
    first = next(iter(spider.list_queries(["zj"])))
    assert json.loads(first.body)["categoryCode"] == "110-978863" and json.loads(first.body)["isGov"] is True
    out = list(spider.parse_list(answer(first, zcy_list("a1", "a2", total=3))))
    assert [r.meta["list_meta"]["article_id"] for r in out[:2]] == ["a1", "a2"]
    assert out[0].meta["list_meta"]["published_at"] == "2026-09-02 00:00" and out[0].meta["list_meta"]["portal"] == "zj"
    assert out[0].meta["canonical"] == "https://zfcg.czt.zj.gov.cn/site/detail?articleId=a1"
    assert json.loads(out[2].body)["pageNo"] == 2
    last = list(spider.parse_list(answer(out[2], zcy_list("a3", total=3))))
    assert [r.meta["list_meta"]["article_id"] for r in last] == ["a3"]  # 3 of 3 came: no further page


def test_a_detail_json_is_stored_as_one_html_page_with_its_facts_and_attachments():
    from crawler.spiders.base import ListEntry
    from crawler.spiders.zcy import ZcySpider

    spider = on_crawler(ZcySpider)
    entry = ListEntry("https://zfcg.czt.zj.gov.cn/site/detail?articleId=a%3D1", None,
                      {"portal": "zj", "article_id": "a=1", "buyer": "某局"})
    request = spider.notice_request(entry)
    assert request.url.startswith("https://zfcg.czt.zj.gov.cn/portal/detail?articleId=a%3D1&timestamp=")
    detail = {"success": True, "result": {"data": {
        "title": "算力服务采购公告", "publishDate": 1788278400000, "content": "<p>正文</p>", "projectCode": "ZJ-1",
        "attachmentList": [{"fileId": "f1", "name": "招标文件.pdf"}, {"name": "no file id"}]}}}
    (attachment,) = spider.parse_notice(answer(request, detail))
    notice = attachment.meta["notice"]
    assert attachment.url == "https://zfcg.czt.zj.gov.cn/attachment/downloadUrl?fileId=f1"
    assert notice.url == entry.url and notice.external_id == "a=1" and notice.list_meta["project_code"] == "ZJ-1"
    page = notice.data.decode()
    assert "<h1>算力服务采购公告</h1>" in page and "发布时间：2026-09-02 00:00" in page and "<p>正文</p>" in page
    assert "<td>项目编号</td><td>ZJ-1</td>" in page and "<td>采购人</td><td>某局</td>" in page
    assert list(spider.parse_notice(answer(request, {"success": False, "error": "无此公告"}))) == []
    assert spider.recorded == [("parse_error", "detail API: 无此公告")]


def test_an_empty_content_page_is_replaced_by_the_origin_it_names():
    from crawler.spiders.ggzy import GgzySpider

    spider = on_crawler(GgzySpider)
    shell = "<html><body><h4 class='h4_o'>公告</h4><div id='mycontent'><div class='detail_content'>{}</div></div>" \
            "<span class='detail_url'><a href='http://www.ccgp.gov.cn/cggg/t1.htm'>原文</a></span></body></html>"
    url = "https://www.ggzy.gov.cn/information/deal/html/b/420000/0201/20260902/00000000000000000001.html"
    (origin,) = spider.parse_notice(page(url, shell.format("").encode(), {"list_meta": {"title": "公告"}}))
    assert origin.url == "http://www.ccgp.gov.cn/cggg/t1.htm" and origin.callback == spider.parse_origin
    (notice,) = spider.parse_origin(page(origin.url, b"<html>origin</html>", origin.meta))
    assert notice.url == url and notice.data == b"<html>origin</html>"
    assert notice.list_meta == {"title": "公告", "origin_url": "https://www.ccgp.gov.cn/cggg/t1.htm"}
    (kept,) = spider.parse_notice(page(url, shell.format("正文").encode()))
    assert kept.url == url and "正文".encode() in kept.data  # a page with content is stored as it is


# --- HTML lists read with the TOML's selectors (lists.py PagedListMixin.html_list) ------------------------


def test_an_html_list_is_read_by_position_and_by_label_as_the_selectors_say(spider):
    sel = {**spider.site["search"]["selectors"], "aligned_urls": r'var urls = "([^"]*)"', "page_count": r"pages=(\d+)"}
    item = "<li><a href='/t{n}.htm'><b>算力</b>租赁 {n}</a><span>2026.09.0{n} 10:00:00 | 采购人：某局 | " \
           "代理机构：某公司\n<br>\n <strong>公开招标公告</strong> | 湖北</span></li>"  # the line break ends 代理机构
    body = "<ul class='vT-srch-result-list-bid'>{}</ul><script>var urls = \"{}\"; pages=3</script>"
    complete = body.format(item.format(n=1) + item.format(n=2), "http://a/1.htm,http://a/2.htm")
    entries, pages = spider.html_list(page(f"{ROOT}/bxsearch", complete.encode()), sel, channel="x")
    assert pages == 3 and [e.url for e in entries] == ["http://a/1.htm", "http://a/2.htm"]
    assert entries[0].published.isoformat() == "2026-09-01"
    assert entries[0].meta == {"title": "算力租赁 1", "published_at": "2026.09.01 10:00:00", "buyer": "某局",
                               "agency": "某公司", "notice_type_label": "公开招标公告", "notice_type": "tender",
                               "channel": "x"}
    short = body.format(item.format(n=1) + item.format(n=2), "http://a/1.htm")  # not one URL per item: the links
    entries, pages = spider.html_list(page(f"{ROOT}/bxsearch", short.replace("pages=3", "").encode()), sel)
    assert pages is None and [e.url for e in entries] == [f"{ROOT}/t1.htm", f"{ROOT}/t2.htm"]
