"""The replicas reproduce the real sites' manners (sites.md §2–4), so the crawl tests exercise them:
checked here directly on `handle()`, without HTTP."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from crawler.replica.cebpub import CebpubOptions, CebpubReplica
from crawler.replica.ggzy import API_PATH, GgzyOptions, GgzyReplica
from crawler.replica.zcy import ZcyOptions, ZcyReplica

FORM = {"DEAL_TIME": "06", "TIMEBEGIN": "2026-09-01", "TIMEEND": "2026-09-30", "DEAL_CLASSIFY": "02",
        "DEAL_PROVINCE": "0", "PAGENUMBER": "1"}


def api(site, **fields):
    status, headers, body = site.handle(API_PATH, {}, method="POST", body=urlencode({**FORM, **fields}).encode())
    return status, headers, body


def test_ggzy_answers_a_form_without_deal_time_with_an_html_404():
    status, headers, _ = api(GgzyReplica(), DEAL_TIME="")
    assert status == 404 and headers["Content-Type"].startswith("text/html")


def test_ggzy_caps_the_total_silently():
    site = GgzyReplica(GgzyOptions(cap=5, page_size=2))
    data = json.loads(api(site)[2])["data"]
    assert data["total"] == 5 and data["pages"] == 3
    assert json.loads(api(site, PAGENUMBER="4")[2])["data"]["records"] == []


def test_ggzy_answers_a_keyword_without_hits_with_the_unfiltered_list():
    site = GgzyReplica()
    everything = json.loads(api(site)[2])["data"]
    nonsense = json.loads(api(site, FINDTXT="量子退火")[2])["data"]
    hits = json.loads(api(site, FINDTXT="算力")[2])["data"]
    assert nonsense == everything
    assert hits["total"] == 2 and all("算力" in r["title"] for r in hits["records"])


def test_ggzy_business_codes_come_as_json_with_http_200():
    site = GgzyReplica(GgzyOptions(code_at={1: 800}, captcha_from=3))
    assert json.loads(api(site)[2])["code"] == 800
    assert json.loads(api(site)[2])["code"] == 200
    assert json.loads(api(site)[2]) == {"code": 829, "message": "需验证码", "data": None}


def test_zcy_portal_refuses_a_get_on_the_category_api_and_can_serve_the_waf_challenge():
    site = ZcyReplica(ZcyOptions(challenge=("sh",)))
    assert site.handle("/zj/portal/category", {})[0] == 416
    status, _, body = site.handle("/sh/portal/category", {}, method="POST", body=b"{}")
    assert status == 200 and b"aliyun_waf_aa" in body and b"renderData" in body


def test_cebpub_redirects_to_the_slider_captcha_after_some_requests():
    site = CebpubReplica(CebpubOptions(captcha_after=1))
    assert site.handle("/xxfbcmses/search/bulletin.html?page=1", {})[0] == 200
    status, headers, _ = site.handle("/xxfbcmses/search/bulletin.html?page=2", {})
    assert status == 302 and headers["Location"].startswith("/VerificationCode/login.html?id=88&url=")


def test_the_cebpub_pdfs_are_up_to_date_with_their_source():
    from crawler.replica.cebpub.make_files import main

    assert main(["--check"]) == 0
